/**
 * The RA's SCEP service: dispatches the operations of RFC 8894 §4 to the
 * use-cases of a profile. Implements ScepService for the edge.
 */
import { createHash } from "node:crypto";
import { degenerateSignedData, inThreadKeyOps, Oid, signDataWith } from "../crypto/index.js";
import {
  decodeRequest, FailInfo, formatCapabilities, isRequestType, MalformedMessageError, MessageType, messageTypeName, ScepgateCapabilities,
  type ScepRequest,
} from "../protocol/index.js";
import { enrollChecked, handleEnrollment, type EnrollmentDeps } from "./enrollment.js";
import { handlePoll, lookupRequest } from "./poll.js";
import { handleQuery } from "./query.js";
import type { Profile } from "./profile.js";
import type { RequestContext } from "./ports.js";
import { certRepStatus, failure } from "./responses.js";
import type { CertRepSummary, PkiOperationResult, ScepService, TypedBody } from "./service.js";

const CAPS = formatCapabilities(ScepgateCapabilities);

export class RaScepService implements ScepService {
  private readonly profiles: ReadonlyMap<string, Profile>;
  private readonly caCertCache = new Map<string, { chain: Uint8Array[]; body: TypedBody }>();

  constructor(
    private readonly deps: EnrollmentDeps,
    profiles: readonly Profile[],
  ) {
    this.profiles = new Map(profiles.map((p) => [p.name, p]));
  }

  hasProfile(name: string): boolean {
    return this.profiles.has(name);
  }

  private profile(name: string): Profile {
    const p = this.profiles.get(name);
    if (!p) throw new Error(`unknown profile ${name}`);
    return p;
  }

  async getCaCaps(): Promise<string> {
    return CAPS;
  }

  /** RA certificate(s) first, then the CA chain (NOTE(client): iOS and Windows pick the RA by keyUsage). */
  async getCaCert(name: string): Promise<TypedBody> {
    const p = this.profile(name);
    const chain = await p.upstream.caChain();
    const hit = this.caCertCache.get(name);
    if (hit && hit.chain === chain) return hit.body;
    const certs = [...p.identity.certificates.map((c) => c.der), ...chain];
    const body = { contentType: "application/x-x509-ca-ra-cert", body: degenerateSignedData(certs) };
    this.caCertCache.set(name, { chain, body });
    return body;
  }

  /** The upstream's rollover certificate(s), re-signed by the RA (RFC 8894 §3.5.1, §4.7). */
  async getNextCaCert(name: string): Promise<TypedBody | undefined> {
    const p = this.profile(name);
    const next = await p.upstream.getNextCaCert();
    if (!next?.length) return undefined;
    const { cert, key } = p.identity.signer;
    const body = await signDataWith({
      contentType: Oid.data,
      content: degenerateSignedData(next),
      certificates: [cert.der],
      signerCert: cert,
      signerKey: key,
      digest: "sha256",
      attributes: [],
      signingTime: this.deps.clock.now(),
    }, p.keyOps ?? inThreadKeyOps);
    return { contentType: "application/x-x509-next-ca-cert", body };
  }

  async pkiOperation(name: string, message: Uint8Array, context: RequestContext): Promise<PkiOperationResult> {
    const p = this.profile(name);
    let decoded;
    try {
      decoded = await decodeRequest(message, p.identity.decryption, p.keyOps);
    } catch (err) {
      if (err instanceof MalformedMessageError) return { kind: "malformed", reason: err.message };
      throw err;
    }
    const now = this.deps.clock.now();
    if (!decoded.ok) {
      const r = decoded.rejection;
      this.deps.logger.warn({ profile: name, transactionId: r.transactionId, failInfo: r.failInfo, reason: r.reason, ...context }, "request refused");
      return certRep(r.messageType, await failure(p, now, r, r.failInfo, r.reason));
    }
    return certRep(decoded.request.messageType, await this.dispatch(p, decoded.request, message, context));
  }

  private async dispatch(p: Profile, req: ScepRequest, message: Uint8Array, context: RequestContext): Promise<Uint8Array> {
    const digest = createHash("sha256").update(message).digest("hex");
    // One round trip: a new PKCSReq (side-effect-free policy) is checked and recorded by one script, and
    // PKCSReq and CertPoll otherwise get their record with the nonce check.
    const early = req.messageType === MessageType.PKCSReq || req.messageType === MessageType.RenewalReq ? await enrollChecked(this.deps, p, req, digest, context) : undefined;
    if (early && "answer" in early) return early.answer;
    const known = early?.lookup ?? (req.messageType === MessageType.GetCert || req.messageType === MessageType.GetCRL ? undefined : await lookupRequest(this.deps.store, p, req, digest));
    const nonce = known?.nonce ?? (await this.deps.store.checkNonce(p.name, req.senderNonce, digest, p.settings.replayWindowMs));
    const now = this.deps.clock.now();
    // NOTE(certmonger): its daemon builds the GetCertInitial with the senderNonce of its PKCSReq. A CertPoll only
    // reads the signer's own transaction and its answer is encrypted to that key, so a reused nonce gains nothing.
    if (nonce === "replay" && req.messageType !== MessageType.CertPoll) {
      return failure(p, now, { ...req, digest: req.algorithms.digest }, FailInfo.badRequest, "senderNonce was already used by another message");
    }
    switch (req.messageType) {
      case MessageType.PKCSReq:
      case MessageType.RenewalReq:
        return handleEnrollment(this.deps, p, req, nonce, context, known);
      case MessageType.CertPoll:
        return handlePoll(this.deps, p, req, known?.tx);
      case MessageType.GetCert:
      case MessageType.GetCRL:
        return handleQuery(this.deps, p, req);
    }
  }
}

/** The result for a CertRep, with its summary (messageType name, pkiStatus) for the edge's decorators. */
function certRep(messageType: string | undefined, body: Uint8Array): PkiOperationResult {
  const status = certRepStatus(body);
  if (!status) return { kind: "certrep", body };
  // Only the known request types: the attribute is the sender's text and must not become an unbounded label.
  const summary: CertRepSummary = { messageType: messageType !== undefined && isRequestType(messageType) ? messageTypeName(messageType) : "unknown", ...status };
  return { kind: "certrep", body, summary };
}
