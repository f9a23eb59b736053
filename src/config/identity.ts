/**
 * The RA identity keys of a profile: a certificate and private key as PEM
 * files, one PKCS#12 file, or a key (and its certificate) on a PKCS#11 token;
 * optionally a separate encryption identity of the same shape.
 *
 * @module
 */
import * as z from "zod";
import { integer, mapping, text } from "./fields.js";

/**
 * A private key and its certificate on a PKCS#11 token (an HSM): the key
 * never leaves it. The token is found by `slot` or `tokenLabel`; the user PIN
 * is `pin` (secret) or read from `pinFile`.
 */
export const pkcs11Schema = mapping({
  /** The PKCS#11 module (shared library), e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: text(),
  /** The slot ID holding the token; instead of tokenLabel. */
  slot: integer(0).optional(),
  /** The label of the token; instead of slot. */
  tokenLabel: text().optional(),
  /** The user PIN (secret). */
  pin: z.string({ error: "expected a string" }).min(1, { error: "expected a non-empty string" }).optional(),
  /** A file holding the user PIN (trailing newline ignored); instead of pin. */
  pinFile: text().optional(),
  /** CKA_LABEL of the private key (and of its public key). */
  keyLabel: text(),
  /** CKA_LABEL of the certificate on the token (default: keyLabel). */
  certLabel: text().optional(),
}).superRefine((value, ctx) => {
  if ((value.slot === undefined) === (value.tokenLabel === undefined)) {
    ctx.addIssue({ code: "custom", path: ["tokenLabel"], message: "give exactly one of slot or tokenLabel" });
  }
  if ((value.pin === undefined) === (value.pinFile === undefined)) {
    ctx.addIssue({ code: "custom", path: ["pin"], message: "give exactly one of pin or pinFile" });
  }
});

export type Pkcs11Config = z.infer<typeof pkcs11Schema>;

const identityShape = {
  /** PEM certificate file; may hold the chain after the RA certificate. */
  cert: text().optional(),
  /** PEM private key file (PKCS#8 or PKCS#1, optionally encrypted). */
  key: text().optional(),
  /** Passphrase of an encrypted `key` (secret). */
  keyPassphrase: z.string({ error: "expected a string" }).optional(),
  /** PKCS#12 file holding certificate (and chain) and key; instead of cert+key. */
  p12: text().optional(),
  /** Passphrase of the `p12` file (secret). */
  p12Passphrase: z.string({ error: "expected a string" }).optional(),
  /** The key and certificate on a PKCS#11 token; instead of cert+key or p12. */
  pkcs11: pkcs11Schema.optional(),
};

type IdentityInput = {
  cert?: string | undefined;
  key?: string | undefined;
  keyPassphrase?: string | undefined;
  p12?: string | undefined;
  p12Passphrase?: string | undefined;
  pkcs11?: Pkcs11Config | undefined;
};

/** Adds an issue unless exactly one of {cert+key}, {p12} or {pkcs11} is given. */
function checkIdentity(value: IdentityInput, ctx: z.RefinementCtx): void {
  const pem = value.cert !== undefined || value.key !== undefined;
  const p12 = value.p12 !== undefined;
  const token = value.pkcs11 !== undefined;
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (token && (pem || p12)) {
    issue("pkcs11", `give either pkcs11 or ${pem ? "cert+key" : "p12"}, not both`);
  } else if (pem && p12) {
    issue("p12", "give either cert+key or p12, not both");
  } else if (!pem && !p12 && !token) {
    ctx.addIssue({ code: "custom", message: "expected cert+key or p12 (or pkcs11: a key on a token)" });
  } else if (pem && value.cert === undefined) {
    issue("cert", "required with key");
  } else if (pem && value.key === undefined) {
    issue("key", "required with cert");
  }
  if (value.keyPassphrase !== undefined && value.key === undefined) issue("keyPassphrase", "only used with key");
  if (value.p12Passphrase !== undefined && !p12) issue("p12Passphrase", "only used with p12");
}

/** A signing (or encryption) identity: exactly one of {cert+key}, {p12} or {pkcs11}. */
export const identitySchema = mapping(identityShape).superRefine(checkIdentity);

/**
 * The `ra` key of a profile: the RA's own identity, plus an optional separate
 * `encryption` identity (else the RA certificate also decrypts).
 */
export const raSchema = mapping({
  ...identityShape,
  /** Separate encryption identity, same shape (cert+key, p12 or pkcs11). */
  encryption: identitySchema.optional(),
}).superRefine(checkIdentity);
