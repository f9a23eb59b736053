/**
 * Errors of the crypto module. One base class; each subclass names a kind of
 * failure the protocol layer maps to a SCEP failInfo (RFC 8894 §3.2.1.4.5).
 */
export class CryptoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bytes that are not the expected BER/DER structure. */
export class DerError extends CryptoError {}

/** An algorithm we do not implement (maps to badAlg). */
export class UnsupportedAlgorithmError extends CryptoError {}

/** A signature or message digest that does not verify (maps to badMessageCheck). */
export class SignatureError extends CryptoError {}

/** Content that cannot be decrypted (maps to badMessageCheck). */
export class DecryptionError extends CryptoError {}

/** An envelope with no recipient we hold a key for (maps to badCertId). */
export class NoRecipientError extends CryptoError {}

/** A key or certificate that cannot be loaded or does not match. */
export class KeyError extends CryptoError {}
