/**
 * Where RSA and ECDSA private-key operations run. A SCEP answer costs two or
 * three of them (~0.2 ms each for RSA-2048), which is most of its CPU: run on
 * the event loop they cap a process at one core. `threadedKeyOps` moves them
 * onto worker threads (node:crypto has no asynchronous privateDecrypt, so
 * libuv's pool cannot take them all), so one process uses every core.
 *
 * One worker fewer than there are cores: the event loop (HTTP, Redis,
 * parsing) needs a core of its own. Measured on 2 cores (PKCSReq → PENDING,
 * 32 connections): 1 worker doing signatures and decryptions ~1,980 answers/s;
 * 2 workers ~1,900; signatures on libuv's pool (4 threads) beside 2 workers
 * ~1,840; everything on the event loop ~1,200.
 */
import { constants, privateDecrypt, sign as nodeSign, type KeyObject } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { Digests, type DigestName } from "./algorithms.js";

export interface PrivateKeyOps {
  /** RSA without padding: the raw private-key operation, for key transport unwrapping. */
  rsaRaw(key: KeyObject, input: Uint8Array): Promise<Uint8Array>;
  /** A signature over `data` (PKCS#1 v1.5 for RSA, DER ECDSA for EC). */
  sign(digest: DigestName, data: Uint8Array, key: KeyObject): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * A private key held outside the process (a PKCS#11 token), known here by its
 * public KeyObject: every PrivateKeyOps sends that KeyObject's operations to
 * it, so the use-cases handle token and file keys alike.
 */
export interface ExternalPrivateKey {
  /** As PrivateKeyOps.rsaRaw (RSA without padding). */
  rsaRaw(input: Uint8Array): Promise<Uint8Array>;
  /** As PrivateKeyOps.sign. */
  sign(digest: DigestName, data: Uint8Array): Promise<Uint8Array>;
  /** The same signature, synchronously (for the synchronous builders: CSRs, upstream requests). */
  signNow(digest: DigestName, data: Uint8Array): Uint8Array;
}

const externalKeys = new WeakMap<KeyObject, ExternalPrivateKey>();

/** Routes the private-key operations of `publicKey` to `external`. */
export function registerExternalKey(publicKey: KeyObject, external: ExternalPrivateKey): void {
  externalKeys.set(publicKey, external);
}

/** The external private key that `key` stands for, if it is one. */
export function externalKeyOf(key: KeyObject): ExternalPrivateKey | undefined {
  return externalKeys.get(key);
}

/** A signature with `key` on the calling thread, whether the key is in process or on a token. */
export function signNow(digest: DigestName, data: Uint8Array, key: KeyObject): Uint8Array {
  const external = externalKeys.get(key);
  return external ? external.signNow(digest, data) : nodeSign(Digests[digest].node, data, key);
}

/** Everything on the calling thread (tools, tests, the client side). */
export const inThreadKeyOps: PrivateKeyOps = {
  rsaRaw: async (key, input) => externalKeys.get(key)?.rsaRaw(input) ?? privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, input),
  sign: async (digest, data, key) => externalKeys.get(key)?.sign(digest, data) ?? nodeSign(Digests[digest].node, data, key),
  close: async () => undefined,
};

// The worker's code is a string (plain JavaScript, node: built-ins only) so it
// loads the same from the TypeScript sources (tsx) and from the compiled dist.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { privateDecrypt, sign, constants } = require("node:crypto");
const keys = new Map();
parentPort.on("message", (m) => {
  if (m.register !== undefined) { keys.set(m.register, m.key); return; }
  try {
    const key = keys.get(m.slot);
    const out = m.digest ? sign(m.digest, m.input, key) : privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, m.input);
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});
`;

interface Pending {
  resolve(out: Uint8Array): void;
  reject(err: Error): void;
}

class ThreadedKeyOps implements PrivateKeyOps {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private readonly slots = new WeakMap<KeyObject, number>();
  private nextSlot = 0;
  private nextId = 0;
  private turn = 0;

  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      // The worker only calls into OpenSSL: a small heap keeps its memory small.
      const w = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 } });
      w.unref();
      w.on("message", (m: { id: number; out?: Uint8Array; error?: string }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error !== undefined || !m.out) p?.reject(new Error(m.error ?? "no result"));
        else p?.resolve(new Uint8Array(m.out));
      });
      w.on("error", (err) => this.failAll(err));
      return w;
    });
  }

  private slotOf(key: KeyObject): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.nextSlot++;
      this.slots.set(key, slot);
      for (const w of this.workers) w.postMessage({ register: slot, key });
    }
    return slot;
  }

  private call(key: KeyObject, input: Uint8Array, digest?: string): Promise<Uint8Array> {
    const slot = this.slotOf(key);
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, slot, input, digest });
    });
  }

  rsaRaw(key: KeyObject, input: Uint8Array): Promise<Uint8Array> {
    return externalKeys.get(key)?.rsaRaw(input) ?? this.call(key, input);
  }

  sign(digest: DigestName, data: Uint8Array, key: KeyObject): Promise<Uint8Array> {
    return externalKeys.get(key)?.sign(digest, data) ?? this.call(key, data, Digests[digest].node);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.failAll(new Error("key operations closed"));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Private-key operations on `size` worker threads (default: one per core but one). */
export function threadedKeyOps(size = availableParallelism() - 1): PrivateKeyOps {
  return new ThreadedKeyOps(Math.max(1, size));
}
