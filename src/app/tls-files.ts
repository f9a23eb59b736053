/**
 * The TLS PEM files of the configuration, read and checked with one-line
 * errors naming the key: the HTTPS listener's identity (`listen.tls`, read at
 * start and again on SIGHUP, so that a bad renewal leaves the current
 * certificate in place instead of breaking the listener), and a profile's
 * `upstream.tls`.
 */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { ConfigError, type ListenTlsConfig, type UpstreamTlsConfig } from "../config/index.js";
import type { TlsIdentityPem } from "../edge/index.js";
import type { UpstreamTlsPem } from "../upstream/upstream-http.js";

/** A listener identity ready to serve, with what the log says about it. */
export interface ListenerIdentity {
  pem: TlsIdentityPem;
  /** Subject, SHA-256 fingerprint and expiry of the leaf certificate. */
  summary: { subject: string; fingerprint: string; notAfter: string };
}

/** Reads and checks `listen.tls`; throws a one-line ConfigError naming the file at fault. */
export async function readListenerIdentity(tls: ListenTlsConfig): Promise<ListenerIdentity> {
  const cert = await readPem(tls.cert, "listen.tls.cert");
  const key = await readPem(tls.key, "listen.tls.key");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError(`listen.tls.cert: ${tls.cert} holds no PEM certificate`, { key: "listen.tls.cert", cause: err });
  }
  checkKeyPair(cert, key, tls.key, "listen.tls.key");
  return {
    pem: { cert, key },
    summary: { subject: leaf.subject.replace(/\n/g, ", "), fingerprint: leaf.fingerprint256, notAfter: new Date(leaf.validTo).toISOString() },
  };
}

/** Reads a profile's `upstream.tls` files (undefined when not set). */
export async function readUpstreamTls(tls: UpstreamTlsConfig | undefined, profile: string): Promise<UpstreamTlsPem | undefined> {
  if (!tls) return undefined;
  const key = (name: string) => `profiles.${profile}.upstream.tls.${name}`;
  const pem: UpstreamTlsPem = {};
  if (tls.ca) pem.ca = await readPem(tls.ca, key("ca"));
  if (tls.cert && tls.key) {
    pem.cert = await readPem(tls.cert, key("cert"));
    pem.key = await readPem(tls.key, key("key"));
    checkKeyPair(pem.cert, pem.key, tls.key, key("key"));
  }
  return pem;
}

/** Throws a ConfigError on `keyKey` unless `key` is a usable private key for `cert`. */
function checkKeyPair(cert: string, key: string, keyFile: string, keyKey: string): void {
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const reason = /mismatch/i.test((err as Error).message) ? "the key does not match the certificate" : "not a usable PEM private key";
    throw new ConfigError(`${keyKey}: ${keyFile}: ${reason}`, { key: keyKey, cause: err });
  }
}

async function readPem(file: string, key: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { key, cause: err });
  }
}
