/**
 * The RA identity keys of a profile: a certificate and private key as PEM
 * files, or one PKCS#12 file; optionally a separate encryption identity of
 * the same shape.
 *
 * @module
 */
import * as z from "zod";
import { mapping, text } from "./fields.js";

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
};

type IdentityInput = {
  cert?: string | undefined;
  key?: string | undefined;
  keyPassphrase?: string | undefined;
  p12?: string | undefined;
  p12Passphrase?: string | undefined;
};

/** Adds an issue unless exactly one of {cert+key} or {p12} is given. */
function checkIdentity(value: IdentityInput, ctx: z.RefinementCtx): void {
  const pem = value.cert !== undefined || value.key !== undefined;
  const p12 = value.p12 !== undefined;
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (pem && p12) {
    issue("p12", "give either cert+key or p12, not both");
  } else if (!pem && !p12) {
    ctx.addIssue({ code: "custom", message: "expected cert+key or p12" });
  } else if (pem && value.cert === undefined) {
    issue("cert", "required with key");
  } else if (pem && value.key === undefined) {
    issue("key", "required with cert");
  }
  if (value.keyPassphrase !== undefined && value.key === undefined) issue("keyPassphrase", "only used with key");
  if (value.p12Passphrase !== undefined && !p12) issue("p12Passphrase", "only used with p12");
}

/** A signing (or encryption) identity: exactly one of {cert+key} or {p12}. */
export const identitySchema = mapping(identityShape).superRefine(checkIdentity);

/**
 * The `ra` key of a profile: the RA's own identity, plus an optional separate
 * `encryption` identity (else the RA certificate also decrypts).
 */
export const raSchema = mapping({
  ...identityShape,
  /** Separate encryption identity, same shape (cert+key or p12). */
  encryption: identitySchema.optional(),
}).superRefine(checkIdentity);
