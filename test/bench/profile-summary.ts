/**
 * Aggregates V8 .cpuprofile files (from `node --cpu-prof`) by function, by
 * file and by area, using the exact time deltas between samples:
 *
 *   node --import tsx test/bench/profile-summary.ts FILE.cpuprofile [...] [--top N]
 *
 * Self time = time in the function itself; total time = time with the
 * function anywhere on the stack (counted once per sample, so recursion is
 * not double-counted). Areas group files into what the time was spent on:
 * RSA/native crypto, scepgate's DER codec, the rest of each src/ module,
 * Redis client, HTTP, logging, GC, idle.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  selfMs: number;
  totalMs: number;
}

export interface ProfileSummary {
  files: string[];
  wallMs: number;
  /** Sampled time that was not idle. */
  busyMs: number;
  idleMs: number;
  byFunction: Row[];
  byFile: Row[];
  byArea: Row[];
  /**
   * Self time charged to the nearest application frame on the stack (the
   * first frame in src/ or node_modules/, walking up from the leaf): native
   * and node-core work lands on the code that asked for it, e.g. the RSA
   * signature on src/crypto/signed-data.ts signData.
   */
  byAppFunction: Row[];
  byAppArea: Row[];
}

/** Short file label: src/crypto/der.ts, node_modules/ioredis/built/..., node:internal/... */
export function fileLabel(url: string): string {
  if (url === "") return "(native)";
  const u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("/node_modules/");
  if (nm >= 0) return `node_modules/${u.slice(nm + "/node_modules/".length)}`;
  const src = u.search(/\/(src|workers|bin|test)\//);
  if (src >= 0) return u.slice(src + 1);
  return u;
}

/** The area of a sample's leaf frame. */
export function areaOf(frame: CallFrame): string {
  const { functionName: fn, url } = frame;
  if (fn === "(idle)") return "idle";
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(program)") return "V8/native (program)";
  if (fn === "(root)") return "(root)";
  const f = fileLabel(url);
  if (f === "(native)") {
    // Native functions called from JS: the crypto bindings show up by their own names.
    if (/^(sign|verify|privateDecrypt|publicEncrypt|privateEncrypt|publicDecrypt|oneShotDigest|digest|update|final|createHash|Hash|Hmac|Sign|Verify|CipherBase|.*Cipher.*|randomBytes|randomFill|.*Key.*|getRandomValues)$/.test(fn)) {
      return "native crypto (RSA, hashes, ciphers)";
    }
    if (/^(writev|writeBuffer|writeUtf8String|writeLatin1String|readStart|readStop|shutdown|close|connect|read)$/.test(fn)) return "native I/O (sockets, files)";
    return `native: ${fn || "(anonymous)"}`;
  }
  if (f.startsWith("node:internal/crypto") || f === "node:crypto") return "native crypto (RSA, hashes, ciphers)";
  if (f.startsWith("src/crypto/der") || f.startsWith("src/crypto/name")) return "src DER codec (src/crypto/der.ts, name.ts)";
  const srcMod = /^src\/([^/]+)\//.exec(f);
  if (srcMod) return `src/${srcMod[1]}`;
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
  if (pkg) {
    const name = pkg[1]!;
    if (/^(ioredis|@ioredis\/.*|redis-parser|denque|cluster-key-slot|standard-as-callback)$/.test(name)) return "Redis client (ioredis)";
    if (/^(bullmq|msgpackr|cron-parser|luxon)$/.test(name)) return "queue (bullmq)";
    if (/^(pino|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify|pino-std-serializers)$/.test(name)) return "logging (pino)";
    if (/^(hono|@hono\/node-server)$/.test(name)) return "HTTP framework (hono, @hono/node-server)";
    if (/^(tsx|esbuild|get-tsconfig)$/.test(name)) return "tsx loader";
    return `node_modules/${name}`;
  }
  if (/^node:(_http|http|https|net|stream|internal\/(http|streams|stream_base|net|js_stream|timers|url|webstreams|abort))/.test(f)) return "HTTP / sockets / streams (node core)";
  if (f.startsWith("node:internal/webstreams") || f.startsWith("node:internal/deps/undici")) return "web streams / fetch (node core)";
  if (f.startsWith("node:")) return "node core (other)";
  return f;
}

/** Area of an application frame: the src/ file (one level below the module) or the package. */
function appAreaOf(frame: CallFrame): string {
  const f = fileLabel(frame.url);
  if (f.startsWith("src/") || f.startsWith("workers/")) return f;
  const area = areaOf(frame);
  return area.startsWith("node_modules/") ? area : `${area}`;
}

export function summarize(files: readonly string[]): ProfileSummary {
  const selfFn = new Map<string, number>();
  const totalFn = new Map<string, number>();
  const selfFile = new Map<string, number>();
  const totalFile = new Map<string, number>();
  const selfArea = new Map<string, number>();
  const totalArea = new Map<string, number>();
  const appFn = new Map<string, number>();
  const appArea = new Map<string, number>();
  let wallMs = 0;
  let idleMs = 0;
  let busyMs = 0;
  const add = (m: Map<string, number>, k: string, v: number): void => {
    m.set(k, (m.get(k) ?? 0) + v);
  };

  for (const file of files) {
    const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    wallMs += (p.endTime - p.startTime) / 1000;
    const byId = new Map<number, ProfileNode>();
    const parent = new Map<number, number>();
    for (const n of p.nodes) byId.set(n.id, n);
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const fnKey = (f: CallFrame): string => `${f.functionName || "(anonymous)"}  ${fileLabel(f.url)}${f.url ? `:${f.lineNumber + 1}` : ""}`;

    for (let i = 0; i < p.samples.length; i++) {
      // timeDeltas[i] is the time since the previous sample: attribute the time to sample i's stack (V8/DevTools convention).
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      const leaf = byId.get(p.samples[i]!);
      if (!leaf) continue;
      const lf = leaf.callFrame;
      if (lf.functionName === "(idle)") {
        idleMs += ms;
        continue;
      }
      busyMs += ms;
      add(selfFn, fnKey(lf), ms);
      add(selfFile, fileLabel(lf.url), ms);
      add(selfArea, areaOf(lf), ms);
      const seenFn = new Set<string>();
      const seenFile = new Set<string>();
      const seenArea = new Set<string>();
      for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
        const f = byId.get(id)!.callFrame;
        if (f.functionName === "(root)") break;
        seenFn.add(fnKey(f));
        seenFile.add(fileLabel(f.url));
        seenArea.add(areaOf(f));
      }
      let app: CallFrame | undefined;
      for (let id: number | undefined = leaf.id; id !== undefined && !app; id = parent.get(id)) {
        const f = byId.get(id)!.callFrame;
        const label = fileLabel(f.url);
        if (label.startsWith("src/") || label.startsWith("node_modules/") || label.startsWith("workers/")) app = f;
      }
      if (app) {
        add(appFn, fnKey(app), ms);
        add(appArea, appAreaOf(app), ms);
      } else {
        const special = ["(garbage collector)", "(program)"].includes(lf.functionName) ? areaOf(lf) : `no application frame: ${areaOf(lf)}`;
        add(appFn, special, ms);
        add(appArea, special, ms);
      }
      for (const k of seenFn) add(totalFn, k, ms);
      for (const k of seenFile) add(totalFile, k, ms);
      for (const k of seenArea) add(totalArea, k, ms);
    }
  }
  const rows = (self: Map<string, number>, total: Map<string, number>): Row[] =>
    [...new Set([...self.keys(), ...total.keys()])]
      .map((name) => ({ name, selfMs: self.get(name) ?? 0, totalMs: total.get(name) ?? 0 }))
      .sort((a, b) => b.selfMs - a.selfMs || b.totalMs - a.totalMs);
  return {
    files: [...files],
    wallMs,
    busyMs,
    idleMs,
    byFunction: rows(selfFn, totalFn),
    byFile: rows(selfFile, totalFile),
    byArea: rows(selfArea, totalArea),
    byAppFunction: rows(appFn, new Map()),
    byAppArea: rows(appArea, new Map()),
  };
}

/** Text report: areas, then the top files and functions by self time. */
export function formatSummary(s: ProfileSummary, top = 25): string {
  const pct = (ms: number): string => `${((100 * ms) / Math.max(1, s.busyMs)).toFixed(1).padStart(5)}%`;
  const table = (title: string, rows: Row[], n: number, withTotal: boolean): string[] => {
    const out = [`${title}`, `  ${"self ms".padStart(9)} ${"self".padStart(6)}${withTotal ? ` ${"total ms".padStart(9)} ${"total".padStart(6)}` : ""}  name`];
    for (const r of rows.slice(0, n)) {
      out.push(
        `  ${r.selfMs.toFixed(0).padStart(9)} ${pct(r.selfMs)}${withTotal ? ` ${r.totalMs.toFixed(0).padStart(9)} ${pct(r.totalMs)}` : ""}  ${r.name}`,
      );
    }
    return out;
  };
  return [
    `profile: ${s.files.map((f) => basename(f)).join(", ")}`,
    `wall ${s.wallMs.toFixed(0)} ms, busy (non-idle samples) ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms; percentages are of busy time`,
    "",
    ...table("charged to the nearest application frame (src/ file or package that made the call; native and node-core time included)", s.byAppArea, 30, false),
    "",
    ...table(`top ${top} application functions, native and node-core time they caused included`, s.byAppFunction, top, false),
    "",
    ...table("by area of the leaf frame (self = leaf frame in the area; total = area anywhere on the stack)", s.byArea, 30, true),
    "",
    ...table(`top ${top} files by self time`, s.byFile, top, true),
    "",
    ...table(`top ${top} functions by self time`, s.byFunction, top, true),
  ].join("\n");
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  let top = 25;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--top") top = Number(args[++i]);
    else files.push(args[i]!);
  }
  if (files.length === 0) {
    process.stderr.write("usage: node --import tsx test/bench/profile-summary.ts FILE.cpuprofile [...] [--top N]\n");
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(summarize(files), top)}\n`);
}
