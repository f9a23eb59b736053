/**
 * Server side of RFC 8894 §3: decode, authenticate and decrypt a client's
 * pkiMessage. Undecodable bytes throw MalformedMessageError (HTTP 400); a
 * decodable but unacceptable message yields a Rejection for a signed FAILURE.
 */
import {
  digestByOid, DecryptionError, DerError, findSignerCertificate, NoRecipientError, openEnvelope, parseCarriedCertificates, parseCsr,
  parseEnvelope, parseSignedData, SignatureError, UnsupportedAlgorithmError, verifySigner,
  type Certificate, type CipherName, type Csr, type DecryptionKey, type DigestName, type KeyTransportName, type ParsedSignedData,
  type PrivateKeyOps,
} from "../crypto/index.js";
import { AttributeError, readScepAttributes, type ScepAttributes } from "./attributes.js";
import { MalformedMessageError } from "./errors.js";
import { parseIssuerAndSerial, parseIssuerAndSubject, type IssuerAndSerial, type IssuerAndSubject } from "./payloads.js";
import { FailInfo, isRequestType, MessageType, messageTypeName } from "./types.js";

/** The algorithms a request used, so the CertRep can mirror them. */
export interface RequestAlgorithms {
  digest: DigestName;
  cipher: CipherName;
  keyTransport: KeyTransportName | "ecdh";
  oaepHash?: DigestName;
}

interface RequestBase {
  transactionId: string;
  senderNonce: Uint8Array;
  /** The certificate that signed the request (self-signed for a new device, the old certificate for renewal). */
  signer: Certificate;
  algorithms: RequestAlgorithms;
}

export type ScepRequest =
  | (RequestBase & { messageType: typeof MessageType.PKCSReq | typeof MessageType.RenewalReq; csr: Csr })
  | (RequestBase & { messageType: typeof MessageType.CertPoll; issuerAndSubject: IssuerAndSubject })
  | (RequestBase & { messageType: typeof MessageType.GetCert | typeof MessageType.GetCRL; issuerAndSerial: IssuerAndSerial });

/** Why a decodable message is refused, with what the FAILURE CertRep can echo. */
export interface Rejection {
  failInfo: FailInfo;
  /** One line for failInfoText and the log. */
  reason: string;
  messageType?: string;
  transactionId?: string;
  senderNonce?: Uint8Array;
  /** The request's digest when we support it, for the FAILURE's signature. */
  digest?: DigestName;
}

export type DecodedRequest = { ok: true; request: ScepRequest } | { ok: false; rejection: Rejection };

class Reject extends Error {
  constructor(
    readonly failInfo: FailInfo,
    message: string,
  ) {
    super(message);
  }
}

function failInfoOf(err: unknown): FailInfo {
  if (err instanceof UnsupportedAlgorithmError) return FailInfo.badAlg;
  if (err instanceof NoRecipientError) return FailInfo.badCertId;
  if (err instanceof SignatureError || err instanceof DecryptionError) return FailInfo.badMessageCheck;
  return FailInfo.badRequest;
}

function parseOuter(der: Uint8Array): ParsedSignedData {
  try {
    const sd = parseSignedData(der);
    if (sd.signers.length === 0) throw new DerError("SignedData has no signerInfo");
    return sd;
  } catch (err) {
    if (err instanceof DerError) throw new MalformedMessageError(`not a SCEP pkiMessage: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Decodes a request. `keys` are the RA certificates and keys that may open
 * the pkcsPKIEnvelope (the encryption identity first).
 */
export async function decodeRequest(der: Uint8Array, keys: readonly DecryptionKey[], ops?: PrivateKeyOps): Promise<DecodedRequest> {
  const sd = parseOuter(der);
  const signer = sd.signers[0]!;
  let attrs: ScepAttributes = {};
  let digest: DigestName | undefined;
  try {
    digest = safeDigest(signer.digestOid);
    attrs = readScepAttributes(signer.attributes);
    return { ok: true, request: await authenticateAndOpen(sd, attrs, keys, ops) };
  } catch (err) {
    if (!(err instanceof Reject) && !(err instanceof AttributeError)) throw err;
    const failInfo = err instanceof Reject ? err.failInfo : FailInfo.badRequest;
    const { messageType, transactionId, senderNonce } = attrs;
    return { ok: false, rejection: { failInfo, reason: err.message, messageType, transactionId, senderNonce, digest } };
  }
}

function safeDigest(oid: string): DigestName | undefined {
  try {
    return digestByOid(oid);
  } catch {
    return undefined;
  }
}

function toReject(what: string, err: unknown): Reject {
  if (err instanceof Reject) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new Reject(failInfoOf(err), `${what}: ${detail}`);
}

function guard<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw toReject(what, err);
  }
}

async function guardAsync<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw toReject(what, err);
  }
}

/**
 * Every CertRep SUCCESS is encrypted to the signer's certificate with RSA
 * PKCS#1 v1.5 key transport (or ECDH); an id-RSASSA-PSS key is for
 * signatures only (RFC 4055 §1.2), so such a requester could never get its
 * certificate: refused up front.
 */
function refusePssOnlySigner(signer: Certificate): void {
  if (signer.publicKey().asymmetricKeyType !== "rsa-pss") return;
  throw new Reject(
    FailInfo.badAlg,
    "signer certificate: its key is id-RSASSA-PSS, for signatures only (RFC 4055 §1.2), so the CertRep cannot be encrypted to it; use an rsaEncryption key",
  );
}

async function authenticateAndOpen(sd: ParsedSignedData, attrs: ScepAttributes, keys: readonly DecryptionKey[], ops?: PrivateKeyOps): Promise<ScepRequest> {
  const signerInfo = sd.signers[0]!;
  const certs = guard("certificates", () => parseCarriedCertificates(sd));
  const signer = findSignerCertificate(signerInfo, certs);
  if (!signer) throw new Reject(FailInfo.badMessageCheck, "the signer's certificate is not in the message");
  const digest = guard("signature", () => verifySigner(sd, signerInfo, signer));
  refusePssOnlySigner(signer);
  const { messageType, transactionId, senderNonce } = attrs;
  if (messageType === undefined) throw new Reject(FailInfo.badRequest, "messageType attribute missing");
  if (!isRequestType(messageType)) throw new Reject(FailInfo.badRequest, `messageType ${messageTypeName(messageType)} is not a request`);
  if (!transactionId) throw new Reject(FailInfo.badRequest, "transactionID attribute missing");
  if (!senderNonce || senderNonce.length === 0) throw new Reject(FailInfo.badRequest, "senderNonce attribute missing");
  if (!sd.content?.length) throw new Reject(FailInfo.badRequest, "no pkcsPKIEnvelope");
  const env = guard("pkcsPKIEnvelope", () => parseEnvelope(sd.content!));
  const opened = await guardAsync("pkcsPKIEnvelope", () => openEnvelope(env, keys, ops));
  const base: RequestBase = {
    transactionId,
    senderNonce,
    signer,
    algorithms: { digest, cipher: opened.cipher, keyTransport: opened.keyTransport, oaepHash: opened.oaepHash },
  };
  switch (messageType) {
    case MessageType.PKCSReq:
    case MessageType.RenewalReq: {
      const csr = guard("CSR", () => parseCsr(opened.content));
      guard("CSR", () => csr.checkSignature());
      return { ...base, messageType, csr };
    }
    case MessageType.CertPoll:
      return { ...base, messageType, issuerAndSubject: guard("IssuerAndSubject", () => parseIssuerAndSubject(opened.content)) };
    case MessageType.GetCert:
    case MessageType.GetCRL:
      return { ...base, messageType, issuerAndSerial: guard("IssuerAndSerialNumber", () => parseIssuerAndSerial(opened.content)) };
  }
}
