/** Builds the runtime Profile of each configured profile: identity, CA, policy, settings. */
import path from "node:path";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { approvalOf, CHALLENGE_WEBHOOK_TIMEOUT_MS, type Config, type ProfileConfig, type UpstreamConfig } from "../config/index.js";
import type { PrivateKeyOps } from "../crypto/index.js";
import { ProfilePolicy, type ProfilePolicyOptions } from "../policy/profile-policy.js";
import type { Profile } from "../ra/profile.js";
import type { Clock, Logger, OneTimePasswords, UpstreamCa } from "../ra/ports.js";
import { whileLocked } from "../fsutil/dir-lock.js";
import { EmbeddedCa } from "../upstream/embedded-ca.js";
import { enrollRaIdentity } from "../upstream/ra-enroll.js";
import { ScepUpstream } from "../upstream/scep-upstream.js";
import type { UpstreamTlsPem } from "../upstream/upstream-http.js";
import { bootstrapDevRaIdentity, loadRaIdentity, type LoadedRaIdentity } from "./ra-identity.js";
import { rolloverFile } from "./rollover-file.js";
import { readUpstreamTls } from "./tls-files.js";

export interface ProfileDeps {
  clock: Clock;
  logger: Logger;
  /** The one-time password store; needed by profiles with `challenge.mode: otp`. */
  otp?: OneTimePasswords;
  /** Where private-key operations run (worker threads on a server). */
  keyOps?: PrivateKeyOps;
}

function challengeOf(name: string, cfg: ProfileConfig, deps: ProfileDeps): ProfilePolicyOptions["challenge"] {
  switch (cfg.challenge.mode) {
    case "static":
      return { mode: "static", value: cfg.challenge.value! };
    case "otp":
      if (!deps.otp) throw new Error(`profile "${name}": challenge mode otp needs the one-time password store`);
      return { mode: "otp", store: deps.otp };
    case "webhook":
      return { mode: "webhook", url: cfg.challenge.url!, secret: cfg.challenge.secret!, timeoutMs: cfg.challenge.timeout ?? CHALLENGE_WEBHOOK_TIMEOUT_MS, onError: cfg.challenge.onError ?? "fail" };
    default:
      return { mode: "none" };
  }
}

/** Where a profile keeps the RA key and certificate it made itself (no `ra` configured). */
export function generatedRaFiles(config: Config, name: string): { dir: string; keyFile: string; certFile: string } {
  const dir = path.join(config.dataDir, "profiles", name);
  return { dir, keyFile: path.join(dir, "ra.key"), certFile: path.join(dir, "ra.crt") };
}

/** How long a first start waits for the upstream to issue the RA certificate. */
const RA_ENROLL_MAX_WAIT_MS = 10 * 60_000;

/** The RA certificate's subject when scepgate enrolls it itself. */
export function defaultRaSubject(name: string): string {
  return `CN=scepgate RA ${name} ${hostname()}, O=scepgate`;
}

/**
 * The RA identity of a profile fronting a remote CA: configured files, or the
 * key and certificate enrolled from that CA on first start (`scepgate ra init`
 * does the same by hand) and reused afterwards.
 */
async function upstreamRaIdentity(config: Config, name: string, cfg: ProfileConfig & { upstream: UpstreamConfig }, tls: UpstreamTlsPem | undefined, deps: ProfileDeps): Promise<LoadedRaIdentity> {
  if (cfg.ra) return loadRaIdentity(cfg.ra, name);
  const files = generatedRaFiles(config, name);
  // Several processes may share dataDir on their first start: one enrolls, the others wait for its result.
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await whileLocked(path.join(files.dir, "ra.enroll.lock"), async () => {
    deps.logger.info({ profile: name, upstream: cfg.upstream.url }, "enrolling the RA certificate from the upstream CA");
    const { warnings } = await enrollRaIdentity({
      url: cfg.upstream.url,
      caFingerprint: cfg.upstream.caFingerprint,
      challenge: cfg.upstream.challenge,
      subject: defaultRaSubject(name),
      keyFile: files.keyFile,
      certFile: files.certFile,
      timeoutMs: cfg.upstream.timeout,
      tls,
      pollIntervalMs: Math.min(cfg.upstream.pollInterval, 10_000),
      maxWaitMs: RA_ENROLL_MAX_WAIT_MS,
      logger: deps.logger,
      clock: deps.clock,
    });
    for (const w of warnings) deps.logger.warn({ profile: name }, w);
  }, { done: () => existsSync(files.certFile) });
  return loadRaIdentity({ cert: files.certFile, key: files.keyFile }, name);
}

async function identityAndCa(config: Config, name: string, cfg: ProfileConfig, deps: ProfileDeps): Promise<{ loaded: LoadedRaIdentity; upstream: UpstreamCa }> {
  if (cfg.upstream) {
    const tls = await readUpstreamTls(cfg.upstream.tls, name);
    const loaded = await upstreamRaIdentity(config, name, { ...cfg, upstream: cfg.upstream }, tls, deps);
    const upstream = new ScepUpstream({
      url: cfg.upstream.url,
      caFingerprint: cfg.upstream.caFingerprint,
      challenge: cfg.upstream.challenge,
      timeoutMs: cfg.upstream.timeout,
      tls,
      rollover: rolloverFile(path.join(generatedRaFiles(config, name).dir, "upstream-next-ca.pem")),
      capsRefreshMs: cfg.upstream.capsRefresh,
      identity: loaded.identity,
      clock: deps.clock,
      logger: deps.logger,
    });
    return { loaded, upstream };
  }
  const ca = await EmbeddedCa.open(path.join(config.dataDir, "embedded-ca"), { clock: deps.clock, validityDays: cfg.issuance.validityDays, keyOps: deps.keyOps });
  const loaded = cfg.ra ? await loadRaIdentity(cfg.ra, name) : await bootstrapDevRaIdentity(generatedRaFiles(config, name).dir, ca, name);
  return { loaded, upstream: ca };
}

async function buildProfile(config: Config, name: string, cfg: ProfileConfig, deps: ProfileDeps): Promise<Profile> {
  const { loaded, upstream } = await identityAndCa(config, name, cfg, deps);
  for (const warning of loaded.warnings) deps.logger.warn({ profile: name }, warning);
  const policy = new ProfilePolicy({
    approval: approvalOf(cfg.approval).mode,
    challenge: challengeOf(name, cfg, deps),
    rules: {
      rsaMinBits: cfg.rules.rsaMinBits,
      ecCurves: cfg.rules.ecCurves,
      subjectCn: cfg.rules.subjectCn === undefined ? undefined : new RegExp(cfg.rules.subjectCn),
    },
    renewalAnchors: () => upstream.caChain(),
  });
  return {
    name,
    identity: loaded.identity,
    upstream,
    policy,
    keyOps: deps.keyOps,
    settings: {
      syncWaitMs: cfg.syncWaitMs,
      approvals: approvalOf(cfg.approval).approvals,
      replayWindowMs: config.replayWindow,
      resendWindowMs: cfg.resendWindow,
      crypto: cfg.crypto,
      compat: cfg.compat,
      forwarding: {
        retryForMs: cfg.upstream?.retryFor ?? 86_400_000,
        maxPendingAgeMs: cfg.upstream?.maxPendingAge ?? 7 * 86_400_000,
        pollIntervalMs: cfg.upstream?.pollInterval ?? 60_000,
      },
    },
  };
}

export async function buildProfiles(config: Config, deps: ProfileDeps): Promise<Profile[]> {
  const out: Profile[] = [];
  for (const [name, cfg] of Object.entries(config.profiles)) out.push(await buildProfile(config, name, cfg, deps));
  return out;
}
