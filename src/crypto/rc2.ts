/**
 * RC2-CBC (RFC 2268), decryption and encryption, in plain TypeScript.
 *
 * Only for opening legacy PKCS#12 files: OpenSSL 1.x, `openssl pkcs12
 * -legacy`, Java keytool before 12 and old Windows exports protect the
 * certificates with pbeWithSHAAnd40BitRC2-CBC. OpenSSL 3 keeps RC2 in its
 * legacy provider, which Node does not load, so node:crypto has no "rc2-cbc".
 * Never used to protect anything new.
 */
import { DecryptionError } from "./errors.js";

/** PITABLE of RFC 2268 §2: a permutation of 0..255 derived from the digits of pi. */
const PITABLE = Uint8Array.from(Buffer.from(
  "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82" +
    "54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb6266fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7" +
    "08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731" +
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad",
  "hex",
));

function expandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const t = key.length;
  if (t < 1 || t > 128) throw new DecryptionError("RC2 key length out of range");
  const l = new Uint8Array(128);
  l.set(key);
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1]! + l[i - t]!) & 0xff]!;
  const t8 = Math.ceil(effectiveBits / 8);
  const tm = 0xff >> (8 * t8 - effectiveBits);
  l[128 - t8] = PITABLE[l[128 - t8]! & tm]!;
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1]! ^ l[i + t8]!]!;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8);
  return k;
}

const SHIFTS = [1, 2, 3, 5] as const;

function encryptBlock(k: Uint16Array, r: Uint16Array): void {
  let j = 0;
  const mix = (): void => {
    for (let i = 0; i < 4; i++) {
      const v = r[i]! + k[j++]! + (r[(i + 3) & 3]! & r[(i + 2) & 3]!) + (~r[(i + 3) & 3]! & r[(i + 1) & 3]!);
      const s = SHIFTS[i]!;
      r[i] = ((v & 0xffff) << s) | ((v & 0xffff) >> (16 - s));
    }
  };
  const mash = (): void => {
    for (let i = 0; i < 4; i++) r[i] = r[i]! + k[r[(i + 3) & 3]! & 63]!;
  };
  for (let n = 0; n < 5; n++) mix();
  mash();
  for (let n = 0; n < 6; n++) mix();
  mash();
  for (let n = 0; n < 5; n++) mix();
}

function decryptBlock(k: Uint16Array, r: Uint16Array): void {
  let j = 63;
  const rmix = (): void => {
    for (let i = 3; i >= 0; i--) {
      const s = SHIFTS[i]!;
      const v = r[i]!;
      r[i] = ((v >> s) | (v << (16 - s))) - k[j--]! - (r[(i + 3) & 3]! & r[(i + 2) & 3]!) - (~r[(i + 3) & 3]! & r[(i + 1) & 3]!);
    }
  };
  const rmash = (): void => {
    for (let i = 3; i >= 0; i--) r[i] = r[i]! - k[r[(i + 3) & 3]! & 63]!;
  };
  for (let n = 0; n < 5; n++) rmix();
  rmash();
  for (let n = 0; n < 6; n++) rmix();
  rmash();
  for (let n = 0; n < 5; n++) rmix();
}

function load(block: Uint8Array, off: number, r: Uint16Array): void {
  for (let i = 0; i < 4; i++) r[i] = block[off + 2 * i]! | (block[off + 2 * i + 1]! << 8);
}

function store(r: Uint16Array, out: Uint8Array, off: number): void {
  for (let i = 0; i < 4; i++) {
    out[off + 2 * i] = r[i]! & 0xff;
    out[off + 2 * i + 1] = r[i]! >> 8;
  }
}

/** One 8-byte block in ECB mode (for the RFC 2268 §5 test vectors). */
export function rc2EncryptBlock(key: Uint8Array, effectiveBits: number, block: Uint8Array): Uint8Array {
  const r = new Uint16Array(4);
  load(block, 0, r);
  encryptBlock(expandKey(key, effectiveBits), r);
  const out = new Uint8Array(8);
  store(r, out, 0);
  return out;
}

/** RC2-CBC with PKCS#7 padding. */
export function rc2CbcEncrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const k = expandKey(key, effectiveBits);
  const pad = 8 - (data.length % 8);
  const out = new Uint8Array(data.length + pad);
  out.set(data);
  out.fill(pad, data.length);
  const r = new Uint16Array(4);
  const prev = Uint8Array.from(iv);
  for (let off = 0; off < out.length; off += 8) {
    for (let i = 0; i < 8; i++) out[off + i]! ^= prev[i]!;
    load(out, off, r);
    encryptBlock(k, r);
    store(r, out, off);
    prev.set(out.subarray(off, off + 8));
  }
  return out;
}

/** RC2-CBC with PKCS#7 padding; throws DecryptionError on a bad length or padding. */
export function rc2CbcDecrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0 || data.length % 8 !== 0 || iv.length !== 8) throw new DecryptionError("RC2-CBC: bad data or IV length");
  const k = expandKey(key, effectiveBits);
  const out = new Uint8Array(data.length);
  const r = new Uint16Array(4);
  for (let off = 0; off < data.length; off += 8) {
    load(data, off, r);
    decryptBlock(k, r);
    store(r, out, off);
    for (let i = 0; i < 8; i++) out[off + i]! ^= off === 0 ? iv[i]! : data[off - 8 + i]!;
  }
  const pad = out[out.length - 1]!;
  if (pad < 1 || pad > 8 || out.subarray(out.length - pad).some((b) => b !== pad)) throw new DecryptionError("RC2-CBC: bad padding");
  return out.subarray(0, out.length - pad);
}
