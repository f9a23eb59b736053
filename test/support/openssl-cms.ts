/**
 * `openssl cms` as an independent check of the CMS we build: verify a
 * SignedData (signature + messageDigest) and decrypt an EnvelopedData. Bytes go
 * through stdin/stdout; keys and certificates through files in a scratch
 * directory. A small pool bounds how many openssl processes run at once.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OpensslResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

const MAX_PARALLEL = 4;
let running = 0;
const waiting: Array<() => void> = [];

async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function spawnOpenssl(args: readonly string[], input: Uint8Array): Promise<OpensslResult> {
  return new Promise((resolve) => {
    const child = spawn("openssl", args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
    child.on("error", (e) => err.push(Buffer.from(String(e))));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

/** Runs `openssl args` with `input` on stdin, at most {@link MAX_PARALLEL} at a time. Never rejects. */
export function openssl(args: readonly string[], input: Uint8Array = new Uint8Array(0)): Promise<OpensslResult> {
  return slot(() => spawnOpenssl(args, input));
}

/** Single DES lives in OpenSSL 3's legacy provider. */
export const LEGACY = ["-provider", "legacy", "-provider", "default"] as const;

/**
 * `openssl cms -verify -noverify -inform DER`: checks the signature and the
 * messageDigest (not the chain) and returns the encapsulated content.
 */
export function cmsVerify(signedDer: Uint8Array): Promise<OpensslResult> {
  return openssl(["cms", "-verify", "-noverify", "-inform", "DER", "-binary"], signedDer);
}

/** `openssl cms -decrypt -inform DER -recip CERT -inkey KEY` of a ContentInfo(envelopedData). */
export function cmsDecrypt(envelopeDer: Uint8Array, certFile: string, keyFile: string, legacy = false): Promise<OpensslResult> {
  return openssl(["cms", "-decrypt", ...(legacy ? LEGACY : []), "-inform", "DER", "-binary", "-recip", certFile, "-inkey", keyFile], envelopeDer);
}

/** Verify a SignedData, then decrypt the EnvelopedData it carries; the plaintext, or the step that failed. */
export async function cmsVerifyThenDecrypt(
  signedDer: Uint8Array,
  certFile: string,
  keyFile: string,
  legacy = false,
): Promise<{ ok: true; plaintext: Buffer } | { ok: false; step: string; stderr: string }> {
  const v = await cmsVerify(signedDer);
  if (v.code !== 0 || !/Verification successful/.test(v.stderr)) return { ok: false, step: "verify", stderr: v.stderr };
  const d = await cmsDecrypt(v.stdout, certFile, keyFile, legacy);
  if (d.code !== 0) return { ok: false, step: "decrypt", stderr: d.stderr };
  return { ok: true, plaintext: d.stdout };
}

/** A scratch directory for PEM files openssl reads; `remove()` in afterAll. */
export async function scratchDir(): Promise<{ dir: string; write(name: string, text: string): Promise<string>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "scepgate-cms-"));
  return {
    dir,
    async write(name, text) {
      const file = join(dir, name);
      await writeFile(file, text, { mode: 0o600 });
      return file;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
