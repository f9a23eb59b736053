/**
 * `scepgate ra init`: make the RA key and enroll its certificate from the
 * upstream CA by SCEP, written where the profile's configuration expects it
 * (its `ra.cert`/`ra.key`, else dataDir/profiles/NAME/ra.crt and ra.key,
 * which the first start of such a profile also uses).
 *
 * With `--pkcs11`: the key pair is generated on the profile's `ra.pkcs11`
 * token (kept when it exists) and the certificate is stored on the token
 * under `certLabel`.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { LoadedConfig, ProfileConfig } from "../config/index.js";
import { buildName, parseCertificate } from "../crypto/index.js";
import { generateTokenKey, hasTokenKey, openTokenKey, readTokenCertificate, writeTokenCertificate } from "../hsm/index.js";
import type { Logger } from "../ra/ports.js";
import { EmbeddedCa } from "../upstream/embedded-ca.js";
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

/** What both forms of `ra init` ask of the upstream: where, its pin and challenge, the RA subject, TLS and timing (the options win over the profile). */
async function upstreamEnrollment(cfg: ProfileConfig, o: Pick<RaInitOptions, "profile" | "caFingerprint" | "challenge" | "subject">, url: string, logger: Logger) {
  return {
    url,
    caFingerprint: o.caFingerprint ?? cfg.upstream?.caFingerprint,
    challenge: o.challenge ?? cfg.upstream?.challenge,
    subject: o.subject ?? defaultRaSubject(o.profile),
    timeoutMs: cfg.upstream?.timeout ?? 30_000,
    tls: url.toLowerCase().startsWith("https:") ? await readUpstreamTls(cfg.upstream?.tls, o.profile) : undefined,
    pollIntervalMs: Math.min(cfg.upstream?.pollInterval ?? 10_000, 10_000),
    maxWaitMs: 60 * 60_000,
    logger,
    clock: systemClock,
  };
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
    ...(await upstreamEnrollment(cfg, o, url, logger)),
    keyFile: files.keyFile,
    certFile: files.certFile,
  });
  return { certFile: files.certFile, keyFile: files.keyFile, warnings };
}

/** `ra init --pkcs11`: as {@link RaInitOptions}, where `force` stores a new certificate even when the token has one under certLabel (the key is kept). */
export interface TokenRaInitOptions extends Omit<RaInitOptions, "outDir"> {
  /** RSA modulus size of a generated key. */
  bits?: number;
}

/** The DER INTEGER of a certificate serial given as INTEGER contents (always < 128 octets). */
function serialDer(contents: Uint8Array): Uint8Array {
  return Uint8Array.of(0x02, contents.length, ...contents);
}

/**
 * `scepgate ra init --pkcs11`: generates the RA key pair on the profile's
 * `ra.pkcs11` token unless a key of that label is there, then stores its
 * certificate on the token. The certificate comes from the embedded CA when
 * the profile has no upstream.
 */
export async function initTokenRaIdentity(loaded: LoadedConfig, o: TokenRaInitOptions, logger: Logger): Promise<{ key: string; certLabel: string; generated: boolean }> {
  const cfg = loaded.config.profiles[o.profile];
  if (!cfg) throw new RaInitError(`unknown profile "${o.profile}"`);
  const ref = cfg.ra?.pkcs11;
  if (!ref) throw new RaInitError(`profile "${o.profile}" has no ra.pkcs11: --pkcs11 makes the key on the token configured there`);
  const url = o.upstream ?? cfg.upstream?.url;
  const generated = !hasTokenKey(ref);
  if (generated) {
    logger.info({ profile: o.profile, keyLabel: ref.keyLabel, bits: o.bits ?? 2048 }, "generating the RA key pair on the token");
    generateTokenKey(ref, o.bits ?? 2048);
  }
  const key = openTokenKey(ref);
  const certLabel = ref.certLabel ?? ref.keyLabel;
  if (readTokenCertificate(key.token, certLabel) && !o.force) {
    throw new RaInitError(`${key.token.name} holds a certificate labelled "${certLabel}" already: the RA is enrolled (use --force to store a new one for the same key)`);
  }
  if (url) {
    await enrollRaIdentity({
      ...(await upstreamEnrollment(cfg, o, url, logger)),
      keyFile: "",
      certFile: "",
      key: { publicKey: key.publicKey, rejectionSecret: key.rejectionSecret },
      store: async (der) => {
        const cert = parseCertificate(der);
        writeTokenCertificate(key.token, certLabel, key.id, { der: cert.der, subject: cert.subject, issuer: cert.issuer, serialDer: serialDer(cert.serial) });
      },
    });
    return { key: key.source, certLabel, generated };
  }
  const ca = await EmbeddedCa.open(path.join(loaded.config.dataDir, "embedded-ca"), { clock: systemClock, validityDays: cfg.issuance.validityDays });
  const cert = parseCertificate(ca.issueRaCertificate(key.publicKey.export({ format: "der", type: "spki" }), buildName(o.subject ?? defaultRaSubject(o.profile))));
  writeTokenCertificate(key.token, certLabel, key.id, { der: cert.der, subject: cert.subject, issuer: cert.issuer, serialDer: serialDer(cert.serial) });
  logger.info({ profile: o.profile, subject: cert.subjectText(), serial: cert.serialHex, certLabel }, "RA certificate issued by the embedded CA and stored on the token");
  return { key: key.source, certLabel, generated };
}
