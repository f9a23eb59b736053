/** Errors of the ra module and the ports it defines. */

export class RaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** How an exchange with the upstream CA went wrong. */
export type UpstreamErrorKind =
  /** No connection: the request never reached the CA (safe to send again). */
  | "unreachable"
  /** Sent, no complete answer (none in time, or the connection broke): the CA may or may not have it. */
  | "timeout"
  /** An HTTP error status (`status`). */
  | "http"
  /** An answer we cannot accept (not a CertRep, bad signature, wrong nonce...). */
  | "protocol";

/**
 * The upstream CA could not be used. Retryable errors (all but HTTP 4xx) are
 * retried with backoff for `upstream.retryFor` while the device sees PENDING;
 * the others fail the transaction at once (the CA refuses what we send).
 */
export class UpstreamError extends RaError {
  constructor(
    message: string,
    readonly kind: UpstreamErrorKind,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get retryable(): boolean {
    return !(this.kind === "http" && this.status !== undefined && this.status >= 400 && this.status < 500);
  }
}

/** An operator action that does not apply (unknown id, wrong state). */
export class OperatorError extends RaError {
  constructor(
    message: string,
    readonly code: "not-found" | "conflict",
  ) {
    super(message);
  }
}
