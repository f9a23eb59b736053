/**
 * The result every client wrapper returns. The wrappers never throw because a
 * client failed: they report it here, with the client's log, so that a test
 * can assert on failures as well as on successes.
 */
import { readFile } from "node:fs/promises";
import { randomBytes, X509Certificate } from "node:crypto";
import { sameKey } from "../openssl.js";

/** What one enrollment attempt with a real client produced. */
export interface EnrollResult {
  /** A certificate came back and carries the client's key. (Chain checks are the test's job: see verifyCert.) */
  ok: boolean;
  /** The client's exit code; 124 when the harness killed it on timeout, 127 when it could not start. */
  exitCode: number;
  /** The harness killed the client because it ran past its timeout. */
  timedOut: boolean;
  /** The server answered PENDING at least once (as far as the client's log or exit code tells). */
  pending: boolean;
  /** The issued certificate (PEM), when there is one. */
  certPem?: string;
  /** The client's private key (PEM), "" if it never made one. */
  keyPem: string;
  /** Everything the client (and the harness around it) wrote: read this when a test fails. */
  log: string;
  /** The client's working directory (kept with KEEP_TMP=1). */
  dir: string;
  /** Wall-clock time of this attempt. */
  durationMs: number;
}

/** Reads a file, or "" if it is missing. */
export async function readOrEmpty(path: string): Promise<string> {
  return readFile(path, "utf8").catch(() => "");
}

/**
 * Decides `ok`/`certPem` from what the client left on disk: the first PEM
 * certificate in `certText` that parses and carries `keyPem`'s public key.
 */
export function pickCert(certText: string, keyPem: string): { certPem?: string; problem?: string } {
  const blocks = certText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return { problem: "no certificate written" };
  if (keyPem === "") return { problem: "no private key written" };
  for (const block of blocks) {
    const pem = `${block}\n`;
    try {
      new X509Certificate(pem);
      if (sameKey(pem, keyPem)) return { certPem: pem };
    } catch (err) {
      return { problem: `unreadable certificate or key: ${String(err)}` };
    }
  }
  return { problem: "no certificate carries the client's key" };
}

/** Log lines of strongSwan/TSS plugin noise that say nothing about SCEP. */
export function dropPluginNoise(text: string): string {
  return text
    .split("\n")
    .filter((l) => !/failed to load|libtss2|could not load|plugin '.*' failed/.test(l))
    .join("\n");
}

/** A random suffix for common names, e.g. `9f3a1c2b04d1`. */
export function randomSuffix(): string {
  return randomBytes(6).toString("hex");
}
