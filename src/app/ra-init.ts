/**
 * `scepgate ra init`: make the RA key and enroll its certificate from the
 * upstream CA by SCEP, written where the profile's configuration expects it
 * (its `ra.cert`/`ra.key`, else dataDir/profiles/NAME/ra.crt and ra.key,
 * which the first start of such a profile also uses).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "../config/index.js";
import type { Logger } from "../ra/ports.js";
import { enrollRaIdentity } from "../upstream/ra-enroll.js";
import { defaultRaSubject, generatedRaFiles } from "./profiles.js";
import { systemClock } from "./runtime.js";
import { readUpstreamTls } from "./tls-files.js";

export interface RaInitOptions {
  profile: string;
  /** Overrides the profile's upstream.url. */
  upstream?: string;
  challenge?: string;
  caFingerprint?: string;
  subject?: string;
  /** Enroll again even when the certificate file exists (the key is kept). */
  force?: boolean;
  /** Write ra.crt and ra.key into this directory instead of where the profile expects them. */
  outDir?: string;
}

export class RaInitError extends Error {
  override name = "RaInitError";
}

export async function initRaIdentity(loaded: LoadedConfig, o: RaInitOptions, logger: Logger): Promise<{ certFile: string; keyFile: string; warnings: string[] }> {
  const cfg = loaded.config.profiles[o.profile];
  if (!cfg) throw new RaInitError(`unknown profile "${o.profile}"`);
  const url = o.upstream ?? cfg.upstream?.url;
  if (!url) throw new RaInitError(`profile "${o.profile}" has no upstream.url: give --upstream URL`);
  if (cfg.ra?.p12 && !o.outDir) throw new RaInitError(`profile "${o.profile}" takes its RA identity from ${cfg.ra.p12} (PKCS#12): ra init writes PEM files only`);
  const files = o.outDir
    ? { certFile: path.resolve(o.outDir, "ra.crt"), keyFile: path.resolve(o.outDir, "ra.key") }
    : cfg.ra?.cert && cfg.ra.key
      ? { certFile: cfg.ra.cert, keyFile: cfg.ra.key }
      : generatedRaFiles(loaded.config, o.profile);
  if (existsSync(files.certFile) && !o.force) {
    throw new RaInitError(`${files.certFile} exists already: the RA is enrolled (use --force to enroll again with the same key)`);
  }
  const { warnings } = await enrollRaIdentity({
    url,
    caFingerprint: o.caFingerprint ?? cfg.upstream?.caFingerprint,
    challenge: o.challenge ?? cfg.upstream?.challenge,
    subject: o.subject ?? defaultRaSubject(o.profile),
    keyFile: files.keyFile,
    certFile: files.certFile,
    timeoutMs: cfg.upstream?.timeout ?? 30_000,
    tls: url.toLowerCase().startsWith("https:") ? await readUpstreamTls(cfg.upstream?.tls, o.profile) : undefined,
    pollIntervalMs: Math.min(cfg.upstream?.pollInterval ?? 10_000, 10_000),
    maxWaitMs: 60 * 60_000,
    logger,
    clock: systemClock,
  });
  return { certFile: files.certFile, keyFile: files.keyFile, warnings };
}
