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

export type PkiOperationResult =
  /** A CertRep (SUCCESS, PENDING or FAILURE): HTTP 200, application/x-pki-message. */
  | { kind: "certrep"; body: Uint8Array }
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
}
