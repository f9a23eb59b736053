/** Builds the runtime Profile of each configured profile: identity, CA, policy, settings. */
import path from "node:path";
import type { Config, ProfileConfig } from "../config/index.js";
import { ProfilePolicy, type ProfilePolicyOptions } from "../policy/profile-policy.js";
import type { Profile } from "../ra/profile.js";
import type { Clock, Logger, OneTimePasswords, UpstreamCa } from "../ra/ports.js";
import { EmbeddedCa } from "../upstream/embedded-ca.js";
import { bootstrapDevRaIdentity, loadRaIdentity, type LoadedRaIdentity } from "./ra-identity.js";

export interface ProfileDeps {
  clock: Clock;
  logger: Logger;
  /** The one-time password store; needed by profiles with `challenge.mode: otp`. */
  otp?: OneTimePasswords;
}

function challengeOf(name: string, cfg: ProfileConfig, deps: ProfileDeps): ProfilePolicyOptions["challenge"] {
  switch (cfg.challenge.mode) {
    case "static":
      return { mode: "static", value: cfg.challenge.value! };
    case "otp":
      if (!deps.otp) throw new Error(`profile "${name}": challenge mode otp needs the one-time password store`);
      return { mode: "otp", store: deps.otp };
    default:
      return { mode: "none" };
  }
}

async function upstreamOf(config: Config, name: string, cfg: ProfileConfig, deps: ProfileDeps): Promise<{ upstream: UpstreamCa; ca?: EmbeddedCa }> {
  if (cfg.upstream) throw new Error(`profile "${name}": upstream.url is not supported yet (forwarding arrives with the approval pipeline)`);
  const ca = await EmbeddedCa.open(path.join(config.dataDir, "embedded-ca"), { clock: deps.clock, validityDays: cfg.issuance.validityDays });
  return { upstream: ca, ca };
}

async function buildProfile(config: Config, name: string, cfg: ProfileConfig, deps: ProfileDeps): Promise<Profile> {
  const { upstream, ca } = await upstreamOf(config, name, cfg, deps);
  let loaded: LoadedRaIdentity;
  if (cfg.ra) loaded = await loadRaIdentity(cfg.ra, name);
  else if (ca) loaded = await bootstrapDevRaIdentity(path.join(config.dataDir, "profiles", name), ca, name);
  else throw new Error(`profile "${name}": no ra configured`);
  for (const warning of loaded.warnings) deps.logger.warn({ profile: name }, warning);
  const policy = new ProfilePolicy({
    approval: cfg.approval,
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
    settings: {
      syncWaitMs: cfg.syncWaitMs,
      replayWindowMs: config.replayWindow,
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
