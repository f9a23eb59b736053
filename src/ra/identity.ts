/** The RA's own certificates and keys, as the use-cases need them. */
import type { KeyObject } from "node:crypto";
import type { Certificate, DecryptionKey } from "../crypto/index.js";

export interface RaIdentity {
  /** Signs CertReps (and, as the RA, the requests forwarded upstream). */
  signer: { cert: Certificate; key: KeyObject };
  /** Keys that open devices' pkcsPKIEnvelopes: the encryption identity first, then the signer when it is RSA. */
  decryption: DecryptionKey[];
  /** The RA certificate(s) published first in GetCACert: the signing one, then a separate encryption one. */
  certificates: Certificate[];
}
