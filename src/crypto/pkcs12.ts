/**
 * PKCS#12 bundles (see ./pkcs12-codec.ts). pkijs and asn1js are loaded on
 * first use: a front that never reads or writes a .p12 file does not carry
 * them (~15 MB).
 */
import type { Pkcs12BuildOptions, Pkcs12Contents } from "./pkcs12-codec.js";

export type { Pkcs12BuildOptions, Pkcs12Contents };
export { PKCS12_ITERATIONS } from "./pkcs12-pbe.js";

/** Opens a PKCS#12 file: the private key, its certificate and the other certificates. */
export async function loadPkcs12(der: Uint8Array, passphrase: string): Promise<Pkcs12Contents> {
  return (await import("./pkcs12-codec.js")).loadPkcs12(der, passphrase);
}

/** Builds a PKCS#12 file (AES-256/PBKDF2-SHA256, or 3DES/SHA-1 with `legacy`). */
export async function buildPkcs12(o: Pkcs12BuildOptions): Promise<Uint8Array> {
  return (await import("./pkcs12-codec.js")).buildPkcs12(o);
}
