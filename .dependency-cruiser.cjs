/**
 * dependency-cruiser rules: the import arrows of DESIGN.md, enforced.
 *
 *   workers, cli → app → edge, queue, store, upstream, policy → ra → protocol → crypto
 *                                                  → pkijs / asn1js
 *   config and observability are leaves.
 *   hsm (PKCS#11 tokens) sits beside crypto: app → hsm → crypto.
 *
 * Run: `npm run depcheck` (= depcruise src workers --config .dependency-cruiser.cjs).
 * Type-only imports count too (tsPreCompilationDeps), so a `import type` cannot
 * sneak a forbidden arrow or a cycle in.
 * Proof that every rule fires (and the allowed arrows stay clean), in a scratch
 * copy, never in src/: test/harness/sh/probe-depcruise-rules.sh
 */

/** `^src/(a|b|c)/` */
const srcDirs = (...dirs) => `^src/(${dirs.join("|")})/`;

/** An npm package as resolved under node_modules. */
const npm = (...names) => `(^|/)node_modules/(${names.join("|")})(/|$)`;

/** The same package names as written in the import (matches even if resolution failed). */
const npmModule = (...names) => `^(${names.join("|")})(/|$)`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // Protects: "no import cycles" (STYLE.md). A cycle makes load order and
    // module initialisation depend on who is imported first.
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles are forbidden (STYLE.md: no import cycles).",
      from: {},
      to: { circular: true },
    },

    // Protects: protocol and crypto stay pure (bytes in, values out) and know
    // nothing of HTTP, Redis, config, the clock, or the layers that use them.
    {
      name: "protocol-crypto-are-pure",
      severity: "error",
      comment:
        "src/protocol and src/crypto must not import edge, store, queue, ra, policy, upstream, app, cli, config, observability, hsm or workers.",
      from: { path: srcDirs("protocol", "crypto") },
      to: {
        path: [
          srcDirs("edge", "store", "queue", "ra", "policy", "upstream", "app", "cli", "config", "observability", "hsm"),
          "^workers/",
        ],
      },
    },

    // Protects: the arrow protocol → crypto points one way; crypto is the
    // bottom layer (only the vendor libraries are below it).
    {
      name: "crypto-not-to-protocol",
      severity: "error",
      comment: "src/crypto must not import src/protocol (the arrow is protocol → crypto).",
      from: { path: "^src/crypto/" },
      to: { path: "^src/protocol/" },
    },

    // Protects: ra holds the use-cases and talks to the outside only through
    // its ports (ra/ports.ts); adapters and composition roots depend on ra,
    // never the other way.
    {
      name: "ra-not-to-adapters",
      severity: "error",
      comment:
        "src/ra must not import edge, store, queue, upstream, policy, app, cli or workers: use the ports in ra/ports.ts.",
      from: { path: "^src/ra/" },
      to: { path: [srcDirs("edge", "store", "queue", "upstream", "policy", "app", "cli"), "^workers/"] },
    },

    // Protects: ra imports no HTTP framework, queue or Redis client (DESIGN.md:
    // "ra imports no hono, bullmq, ioredis or fetch").
    {
      name: "ra-no-infrastructure-packages",
      severity: "error",
      comment: "src/ra must not import hono, @hono/*, bullmq or ioredis.",
      from: { path: "^src/ra/" },
      to: {
        dependencyTypesNot: ["local"],
        pathNot: "^src/",
        path: [npm("hono", "@hono/[^/]+", "bullmq", "ioredis"), npmModule("hono", "@hono/[^/]+", "bullmq", "ioredis")],
      },
    },

    // Protects: the pure core (protocol, crypto, ra) does no HTTP or socket
    // I/O of its own; HTTP lives in edge/ and upstream/. (node:net is allowed:
    // crypto uses its pure isIPv4/isIPv6 helpers for subjectAltNames.)
    {
      name: "core-no-network-builtins",
      severity: "error",
      comment: "src/protocol, src/crypto and src/ra must not import node:http, https, http2, tls or dgram.",
      from: { path: srcDirs("protocol", "crypto", "ra") },
      to: { dependencyTypes: ["core"], path: "^(node:)?(http|https|http2|tls|dgram)$" },
    },

    // Protects: adapters sit below the composition roots; only app/ wires
    // them, and only cli/ and workers/ sit on top of app/.
    {
      name: "adapters-not-to-composition",
      severity: "error",
      comment: "src/edge, store, queue, upstream and policy must not import app, cli or workers.",
      from: { path: srcDirs("edge", "store", "queue", "upstream", "policy") },
      to: { path: [srcDirs("app", "cli"), "^workers/"] },
    },

    // Protects: config, observability and fsutil are leaves that everyone may use;
    // if they imported another src module, that module could never use them
    // without a cycle.
    {
      name: "leaves-stay-leaves",
      severity: "error",
      comment: "src/config, src/observability and src/fsutil must not import any other src module (or workers).",
      from: { path: "^src/(config|observability|fsutil)/" },
      to: { path: ["^src/", "^workers/"], pathNot: "^src/$1/" },
    },

    // Protects: one importer per vendor crypto library (pkijs has one
    // process-wide engine; asn1js 3 and 4 objects must not cross).
    {
      name: "only-crypto-imports-pkijs-asn1js-x509",
      severity: "error",
      comment: "Only src/crypto may import pkijs or asn1js.",
      from: { pathNot: "^src/crypto/" },
      to: {
        pathNot: "^src/",
        path: [npm("pkijs", "asn1js"), npmModule("pkijs", "asn1js")],
      },
    },

    // Protects: HTTP framing stays in the edge.
    {
      name: "only-edge-imports-hono",
      severity: "error",
      comment: "Only src/edge may import hono or @hono/*.",
      from: { pathNot: "^src/edge/" },
      to: { pathNot: "^src/", path: [npm("hono", "@hono/[^/]+"), npmModule("hono", "@hono/[^/]+")] },
    },

    // Protects: BullMQ (queue names, job payloads, options) is one adapter.
    {
      name: "only-queue-and-workers-import-bullmq",
      severity: "error",
      comment: "Only src/queue and workers/ may import bullmq.",
      from: { pathNot: ["^src/queue/", "^workers/"] },
      to: { pathNot: "^src/", path: [npm("bullmq"), npmModule("bullmq")] },
    },

    // Protects: the PKCS#11 binding is one adapter (src/hsm) that offers token
    // keys to crypto's PrivateKeyOps; it knows nothing of config, the RA or
    // the layers that wire it (app/ does, e.g. app/ra-identity.ts).
    {
      name: "hsm-only-to-crypto",
      severity: "error",
      comment: "src/hsm may import only src/crypto (and itself) among the src modules.",
      from: { path: "^src/hsm/" },
      to: { path: ["^src/", "^workers/"], pathNot: ["^src/hsm/", "^src/crypto/"] },
    },
    {
      name: "only-hsm-imports-pkcs11js",
      severity: "error",
      comment: "Only src/hsm may import pkcs11js.",
      from: { pathNot: "^src/hsm/" },
      to: { pathNot: "^src/", path: [npm("pkcs11js"), npmModule("pkcs11js")] },
    },

    // Protects: every Redis key is built in the store (and the queue's
    // connection); nobody else talks to Redis directly. Test code is not
    // cruised, so it may use ioredis freely.
    {
      name: "only-store-and-queue-import-ioredis",
      severity: "error",
      comment: "Only src/store and src/queue may import ioredis.",
      from: { pathNot: ["^src/store/", "^src/queue/"] },
      to: { pathNot: "^src/", path: [npm("ioredis"), npmModule("ioredis")] },
    },

    // Protects: metrics are defined in one place (src/observability/metrics.ts);
    // the use-cases and adapters record through decorators and sources wired
    // by app/, never through prom-client itself (DESIGN.md: arrows point one way).
    {
      name: "only-observability-imports-prom-client",
      severity: "error",
      comment: "Only src/observability may import prom-client.",
      from: { pathNot: "^src/observability/" },
      to: { pathNot: "^src/", path: [npm("prom-client"), npmModule("prom-client")] },
    },

    // Protects: a mistyped path or a .js suffix that does not map to a .ts
    // file would otherwise silently escape every rule above.
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "Every import must resolve (check the path and its .js suffix).",
      from: {},
      to: { couldNotResolve: true },
    },

    // Protects: production code never imports a devDependency (it would be
    // missing from a `npm ci --omit=dev` install).
    {
      name: "not-to-dev-dep",
      severity: "error",
      comment: "src and workers must not import devDependencies.",
      from: { path: "^(src|workers)/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },

    // Protects: every imported package is declared in package.json.
    {
      name: "no-non-package-json",
      severity: "error",
      comment: "Import only packages declared in package.json dependencies.",
      from: {},
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] },
    },
  ],

  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: "^(dist|data|test-artifacts)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
