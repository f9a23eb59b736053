/**
 * The on-disk form of a pre-built message set, shared by the builders
 * (build-messages.ts), the orchestrator (run.ts) and the load generator
 * (load.ts). Node built-ins only, so the generator stays light.
 *
 * `NAME.bin`: u32be count, then count × (u32be length, bytes). Each message is
 * one complete pkiMessage (DER), sent as the body of a POST PKIOperation.
 */
import { readFileSync, writeFileSync } from "node:fs";

/** Writes `messages` as one set file. */
export function writeMessageFile(file: string, messages: readonly Uint8Array[]): void {
  let size = 4;
  for (const m of messages) size += 4 + m.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(messages.length, 0);
  let at = 4;
  for (const m of messages) {
    out.writeUInt32BE(m.length, at);
    out.set(m, at + 4);
    at += 4 + m.length;
  }
  writeFileSync(file, out);
}

/** Reads a set file; the messages are views into one buffer (no copies). */
export function readMessageFile(file: string): Buffer[] {
  const buf = readFileSync(file);
  const count = buf.readUInt32BE(0);
  const out: Buffer[] = new Array<Buffer>(count);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const len = buf.readUInt32BE(at);
    out[i] = buf.subarray(at + 4, at + 4 + len);
    at += 4 + len;
  }
  return out;
}

/** Concatenates several set files into one (the builders each write a part). */
export function concatMessageFiles(parts: readonly string[], file: string): number {
  const all = parts.flatMap((p) => readMessageFile(p));
  writeMessageFile(file, all);
  return all.length;
}

/** One kind of message set the builders can make. */
export type SetSpec =
  | {
      /** Distinct PKCSReqs: one transaction each (fresh transactionID, senderNonce and CSR subject). */
      kind: "pkcsreq";
      name: string;
      count: number;
      /** DER of the certificate the envelope is encrypted to (the RA's, or the CA's for micromdm). */
      recipientB64: string;
    }
  | {
      /**
       * `issueCount` PKCSReqs (NAME-issue) and `pollCount` CertPolls (NAME-poll)
       * on those transactions, round-robin: each poll signed by the key of the
       * transaction it polls, with a fresh senderNonce.
       */
      kind: "issue-poll";
      name: string;
      issueCount: number;
      pollCount: number;
      recipientB64: string;
      /** DER Name of the issuing CA (IssuerAndSubject.issuer). */
      caSubjectB64: string;
    };

/** What one builder process is asked to do. */
export interface BuildJob {
  outDir: string;
  /** This builder's number (part of file names and CNs). */
  worker: number;
  /** RSA-2048 device keys this builder generates and signs with. */
  keys: number;
  /** Distinguishes CNs of different bench runs. */
  runId: string;
  digest: "sha1" | "sha256";
  cipher: "des3" | "aes128" | "aes256";
  sets: SetSpec[];
}

/** What a builder reports back (one line of JSON on stdout). */
export interface BuildReport {
  worker: number;
  keyMs: number;
  buildMs: number;
  /** set file name (without .bin) → message count. */
  files: Record<string, number>;
  /** Per set: the device key (PKCS#8 PEM) and signer certificate (DER, base64) of message 0, to decode a sample answer. */
  sampleKeys: Record<string, { keyPem: string; certB64: string }>;
}
