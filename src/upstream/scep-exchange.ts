/**
 * One PKIOperation with the upstream (RFC 8894 §3.3): build the signed and
 * encrypted pkiMessage, send it (POST, or GET with `message` when the CA does
 * not announce POSTPKIOperation), and decode the CertRep. Shared by the RA's
 * forwarding (ScepUpstream, signing as the RA) and by `ra init` (signing with
 * a transient self-signed certificate).
 *
 * The CertRep must be signed by one of the certificates the upstream serves
 * in GetCACert, carry our transactionID and, as recipientNonce, the
 * senderNonce we sent (RFC 8894 §3.2.1.5); anything else is an UpstreamError
 * "protocol".
 */
import { CryptoError, type DecryptionKey } from "../crypto/index.js";
import {
  buildRequest, decodeCertRep, messageTypeName, pkiStatusName, ProtocolError, type CertRep, type RequestSigner, type RequestType,
} from "../protocol/index.js";
import { UpstreamError } from "../ra/errors.js";
import type { Clock, Logger } from "../ra/ports.js";
import type { UpstreamAlgorithms } from "./algorithm-choice.js";
import type { UpstreamInfo } from "./upstream-directory.js";
import { httpError, type HttpAnswer, type UpstreamHttp } from "./upstream-http.js";

/** Who we are in the exchange: the signer, and the keys that open the CertRep (encrypted to the signer). */
export interface ExchangeParty {
  signer: RequestSigner;
  decryption: readonly DecryptionKey[];
}

export interface ExchangeMessage {
  messageType: RequestType;
  transactionId: string;
  /** CSR (PKCSReq), IssuerAndSubject (CertPoll) or IssuerAndSerialNumber (GetCert, GetCRL), DER. */
  messageData: Uint8Array;
}

export interface ExchangeContext {
  http: UpstreamHttp;
  info: UpstreamInfo;
  clock: Clock;
  logger: Logger;
  /** Overrides the choice from GetCACaps (tests, diagnostics). */
  algorithms?: UpstreamAlgorithms;
}

/** Sends one request and returns the checked CertRep. Throws UpstreamError. */
export async function scepExchange(ctx: ExchangeContext, party: ExchangeParty, msg: ExchangeMessage): Promise<CertRep> {
  const alg = ctx.algorithms ?? ctx.info.algorithms;
  const label = `PKIOperation ${messageTypeName(msg.messageType)}`;
  const { der, senderNonce } = buildRequest({
    messageType: msg.messageType,
    transactionId: msg.transactionId,
    messageData: msg.messageData,
    signer: party.signer,
    recipient: ctx.info.recipient,
    cipher: alg.cipher,
    digest: alg.digest,
    signingTime: ctx.clock.now(),
  });
  const started = Date.now();
  const answer = await send(ctx.http, alg.method, der);
  if (answer.status !== 200) throw httpError(label, answer);
  const rep = await decode(answer, label, ctx.info, party, msg.transactionId, senderNonce);
  ctx.logger.debug(
    { upstream: ctx.http.url, messageType: messageTypeName(msg.messageType), transactionId: msg.transactionId, pkiStatus: pkiStatusName(rep.status), ms: Date.now() - started },
    "upstream PKIOperation",
  );
  return rep;
}

function send(http: UpstreamHttp, method: "POST" | "GET", der: Uint8Array): Promise<HttpAnswer> {
  // GET: base64 in `message`, URL-encoded by UpstreamHttp (RFC 8894 §4.3).
  return method === "POST" ? http.post("PKIOperation", der) : http.get("PKIOperation", Buffer.from(der).toString("base64"));
}

async function decode(answer: HttpAnswer, label: string, info: UpstreamInfo, party: ExchangeParty, transactionId: string, senderNonce: Uint8Array): Promise<CertRep> {
  let rep: CertRep;
  try {
    rep = await decodeCertRep(answer.body, { decryption: party.decryption, trustedSigners: info.trustedSigners, transactionId, recipientNonce: senderNonce });
  } catch (err) {
    if (!(err instanceof ProtocolError) && !(err instanceof CryptoError)) throw err;
    throw new UpstreamError(`upstream ${label}: ${err.message}`, "protocol", undefined, { cause: err });
  }
  // decodeCertRep also trusts certificates issued by a trusted one; the CA's end-entity certificates must not sign CertReps.
  if (!info.trustedSigners.some((c) => Buffer.compare(c.der, rep.signer.der) === 0)) {
    throw new UpstreamError(`upstream ${label}: CertRep signed by ${rep.signer.subjectText()}, which the upstream does not serve in GetCACert`, "protocol");
  }
  return rep;
}
