/**
 * What the HTTP edge asks of the RA (one method per SCEP operation,
 * RFC 8894 §4). Knows no HTTP: the edge maps results to responses.
 */
import type { RequestContext } from "./ports.js";

/** A body with its media type. */
export interface TypedBody {
  contentType: string;
  body: Uint8Array;
}

/** What a CertRep answered: the request's messageType and the pkiStatus (failInfo) sent back. Bounded values, never secret. */
export interface CertRepSummary {
  /** The request's messageType name (PKCSReq, RenewalReq, CertPoll, GetCert, GetCRL), `unknown` when unreadable. */
  messageType: string;
  pkiStatus: "SUCCESS" | "PENDING" | "FAILURE";
  /** The failInfo name of a FAILURE (badAlg, badMessageCheck, badRequest, badTime, badCertId). */
  failInfo?: string;
}

export type PkiOperationResult =
  /** A CertRep (SUCCESS, PENDING or FAILURE): HTTP 200, application/x-pki-message. `summary` says which (for metrics and logs). */
  | { kind: "certrep"; body: Uint8Array; summary?: CertRepSummary }
  /** Not a pkiMessage at all: HTTP 400 with this one-line reason. */
  | { kind: "malformed"; reason: string };

export interface ScepService {
  /** Whether PROFILE names a configured profile. */
  hasProfile(profile: string): boolean;
  /** GetCACaps body (keywords, one per line). */
  getCaCaps(profile: string): Promise<string>;
  /** GetCACert: the RA certificate(s) and CA chain (RFC 8894 §4.2.1.2). */
  getCaCert(profile: string): Promise<TypedBody>;
  /** GetNextCACert; undefined when there is no rollover certificate (HTTP 404). */
  getNextCaCert(profile: string): Promise<TypedBody | undefined>;
  pkiOperation(profile: string, message: Uint8Array, context: RequestContext): Promise<PkiOperationResult>;
  /**
   * Told of a request the edge answered itself without calling the service
   * (an undecodable `message`, a body too large: HTTP 4xx), so decorators
   * that count or log answers see every request of a known profile.
   */
  refused?(profile: string, operation: string, status: number): void;
}
