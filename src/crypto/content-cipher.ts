/**
 * CBC content encryption for CMS EncryptedContentInfo: DES, 3DES and AES with
 * PKCS#7 padding (RFC 5652 §6.3).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import des from "des.js";
import { Ciphers, type CipherName } from "./algorithms.js";
import { DecryptionError } from "./errors.js";

/**
 * Single DES is disabled in OpenSSL 3's default provider and Node 20 only
 * reaches it with --openssl-legacy-provider, which we will not impose on every
 * deployment; des.js (pure JS) does it. NOTE(client): micromdm scepclient
 * always sends DES-CBC, and micromdm scepserver always answers with it.
 */
function desCbc(type: "encrypt" | "decrypt", key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = des.CBC.instantiate(des.DES).create({ type, key, iv, padding: false });
  return Uint8Array.from([...cipher.update(data), ...cipher.final()]);
}

function pad(data: Uint8Array, block: number): Uint8Array {
  const n = block - (data.length % block);
  return Buffer.concat([data, new Uint8Array(n).fill(n)]);
}

function unpad(data: Uint8Array, block: number): Uint8Array {
  const n = data[data.length - 1] ?? 0;
  let bad = n === 0 || n > block ? 1 : 0;
  for (let i = 1; i <= block && i <= data.length; i++) {
    if (i <= n) bad |= (data[data.length - i] ?? 0) ^ n;
  }
  if (bad) throw new DecryptionError("bad content padding");
  return data.subarray(0, data.length - n);
}

export function newContentKey(cipher: CipherName): { key: Uint8Array; iv: Uint8Array } {
  const spec = Ciphers[cipher];
  return { key: randomBytes(spec.keyLength), iv: randomBytes(spec.ivLength) };
}

export function encryptContent(cipher: CipherName, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const spec = Ciphers[cipher];
  if (cipher === "des") return desCbc("encrypt", key, iv, pad(plaintext, 8));
  const c = createCipheriv(spec.node, key, iv);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

export function decryptContent(cipher: CipherName, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const spec = Ciphers[cipher];
  if (key.length !== spec.keyLength || iv.length !== spec.ivLength) {
    throw new DecryptionError(`wrong key or IV length for ${cipher}`);
  }
  if (ciphertext.length === 0 || ciphertext.length % spec.ivLength !== 0) {
    throw new DecryptionError("encrypted content is not a whole number of blocks");
  }
  try {
    if (cipher === "des") return unpad(desCbc("decrypt", key, iv, ciphertext), 8);
    const d = createDecipheriv(spec.node, key, iv);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch (err) {
    if (err instanceof DecryptionError) throw err;
    throw new DecryptionError("content decryption failed", { cause: err });
  }
}
