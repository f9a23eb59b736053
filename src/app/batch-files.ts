/**
 * The output directory of `scepgate batch`, per device NAME:
 *
 * - NAME.key.pem  the device key, encrypted PKCS#8 (AES-256-CBC, PBKDF2) with
 *                 the batch passphrase, mode 0600; written (atomically, never
 *                 replaced) BEFORE the device's request goes anywhere, so a
 *                 key the CA certified is never lost;
 * - NAME.crt.pem  the certificate, then the CA chain (issuing CA first);
 * - NAME.p12      key, certificate and chain, mode 0600 (AES-256-CBC +
 *                 PBKDF2-SHA256, or 3DES/SHA-1 with --legacy-p12);
 * - NAME.p7       (--requests-only) the RA-signed PKCSReq, DER;
 * - NAME.p7r      (for `batch collect`) the CA's CertRep to NAME.p7, DER;
 *
 * plus manifest.json (batch-manifest.ts), ca-chain.pem and upstream-signers.pem
 * (--requests-only: what `collect` puts in bundles and trusts as CertRep
 * signers) and .batch.lock while a run is working in it.
 */
import type { KeyObject } from "node:crypto";
import { mkdir, readdir, unlink } from "node:fs/promises";
import path from "node:path";
import {
  buildPkcs12, describeKey, generateKey, KeyError, loadPkcs12, loadPrivateKey, parseCertificate, privateKeyPem, toPem, type Certificate,
} from "../crypto/index.js";
import { createSecretFile, PUBLIC_MODE, readIfExists, writeFileAtomic, writeSecretFile } from "../fsutil/secret-file.js";
import type { BatchKeySpec } from "../ra/batch-devices.js";
import { BatchUsageError } from "./batch-errors.js";

/** What describeKey says for each key spec. */
const KEY_SHAPES: Record<BatchKeySpec, { type: "rsa" | "ec"; bits: number }> = {
  "rsa-2048": { type: "rsa", bits: 2048 },
  "rsa-3072": { type: "rsa", bits: 3072 },
  "ec-p256": { type: "ec", bits: 256 },
  "ec-p384": { type: "ec", bits: 384 },
};

/** The key spec a key fits, or undefined. */
export function keySpecOf(key: KeyObject): BatchKeySpec | undefined {
  const d = describeKey(key);
  return (Object.keys(KEY_SHAPES) as BatchKeySpec[]).find((s) => KEY_SHAPES[s].type === d.type && KEY_SHAPES[s].bits === d.bits);
}

/** A finished bundle found on disk. */
export interface Bundle {
  key: KeyObject;
  cert: Certificate;
  chain: Uint8Array[];
}

export class BatchDir {
  constructor(
    readonly dir: string,
    private readonly passphrase: string,
  ) {}

  keyFile(name: string): string {
    return path.join(this.dir, `${name}.key.pem`);
  }

  certFile(name: string): string {
    return path.join(this.dir, `${name}.crt.pem`);
  }

  p12File(name: string): string {
    return path.join(this.dir, `${name}.p12`);
  }

  requestFile(name: string): string {
    return path.join(this.dir, `${name}.p7`);
  }

  certRepFile(name: string): string {
    return path.join(this.dir, `${name}.p7r`);
  }

  manifestFile(): string {
    return path.join(this.dir, "manifest.json");
  }

  lockFile(): string {
    return path.join(this.dir, ".batch.lock");
  }

  caChainFile(): string {
    return path.join(this.dir, "ca-chain.pem");
  }

  signersFile(): string {
    return path.join(this.dir, "upstream-signers.pem");
  }

  /** Creates the directory (0700: it holds keys). */
  async create(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Removes temporary files a killed run left behind (call while holding the lock). */
  async removeLeftovers(): Promise<void> {
    for (const f of await readdir(this.dir)) if (/^\..+\.tmp$/.test(f)) await unlink(path.join(this.dir, f)).catch(() => undefined);
  }

  /** Throws BatchUsageError when a key already in the directory does not open with the passphrase. */
  async checkPassphrase(): Promise<void> {
    const first = (await readdir(this.dir)).find((f) => f.endsWith(".key.pem"));
    if (!first) return;
    try {
      loadPrivateKey(await this.read(path.join(this.dir, first)), this.passphrase);
    } catch {
      throw new BatchUsageError(`the passphrase does not open ${path.join(this.dir, first)}: use the passphrase of the first run`);
    }
  }

  /**
   * The device's key: the one on disk, else a new one of `spec`, written
   * before this returns. Throws KeyError when the key on disk does not open
   * or is not a `spec` key.
   */
  async loadOrCreateKey(name: string, spec: BatchKeySpec): Promise<{ key: KeyObject; created: boolean }> {
    const file = this.keyFile(name);
    const existing = await readIfExists(file);
    if (existing) return { key: this.checkedKey(file, existing, spec), created: false };
    const key = await generateKey(spec);
    if (await createSecretFile(file, privateKeyPem(key, this.passphrase))) return { key, created: true };
    return { key: this.checkedKey(file, await this.read(file), spec), created: false }; // another writer won
  }

  /** The key on disk, or undefined when there is none. */
  async loadKey(name: string): Promise<KeyObject | undefined> {
    const pem = await readIfExists(this.keyFile(name));
    return pem && loadPrivateKey(pem, this.passphrase);
  }

  /** The device's finished bundle when NAME.p12 opens and holds a matching key and certificate; rewrites a missing NAME.crt.pem. */
  async readBundle(name: string): Promise<Bundle | undefined> {
    const der = await readIfExists(this.p12File(name));
    if (!der) return undefined;
    let p12;
    try {
      p12 = await loadPkcs12(der, this.passphrase);
    } catch {
      return undefined; // damaged or foreign: made again from the key and the record
    }
    const bundle = { key: p12.key, cert: parseCertificate(p12.cert), chain: p12.chain };
    if (!(await readIfExists(this.certFile(name)))) await this.writeCertPem(name, bundle.cert, bundle.chain);
    return bundle;
  }

  /** Writes NAME.crt.pem, then NAME.p12 (each atomically): a valid NAME.p12 means the device is done. */
  async writeBundle(name: string, b: Bundle, legacy: boolean): Promise<void> {
    await this.writeCertPem(name, b.cert, b.chain);
    const p12 = await buildPkcs12({ key: b.key, cert: b.cert.der, chain: b.chain, passphrase: this.passphrase, legacy, friendlyName: name });
    await writeSecretFile(this.p12File(name), p12);
  }

  /** Writes a public file atomically (NAME.p7, ca-chain.pem…); `exclusive`: false when it exists. */
  writePublic(file: string, data: string | Uint8Array, exclusive = false): Promise<boolean> {
    return writeFileAtomic(file, data, { mode: PUBLIC_MODE, exclusive });
  }

  readIfExists(file: string): Promise<Buffer | undefined> {
    return readIfExists(file);
  }

  private writeCertPem(name: string, cert: Certificate, chain: readonly Uint8Array[]): Promise<boolean> {
    return writeFileAtomic(this.certFile(name), [cert.der, ...chain].map((d) => toPem(d)).join(""), { mode: PUBLIC_MODE });
  }

  private checkedKey(file: string, pem: Uint8Array, spec: BatchKeySpec): KeyObject {
    const key = loadPrivateKey(pem, this.passphrase);
    const actual = keySpecOf(key);
    if (actual !== spec) {
      throw new KeyError(`${file} holds a key of type ${actual ?? describeKey(key).type} but the device list asks for ${spec}: remove the device's files to make a new key`);
    }
    return key;
  }

  private async read(file: string): Promise<Buffer> {
    const data = await readIfExists(file);
    if (!data) throw new KeyError(`${file} disappeared`);
    return data;
  }
}
