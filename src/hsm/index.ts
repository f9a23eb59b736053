export { HsmError } from "./errors.js";
export { Pkcs11Token, type TokenRef } from "./pkcs11-token.js";
export {
  generateTokenKey, hasTokenKey, openTokenKey, readTokenCertificate, writeTokenCertificate,
  type CertificateFields, type OpenedTokenKey, type TokenKeyRef,
} from "./token-key.js";
