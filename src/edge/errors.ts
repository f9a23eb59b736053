/**
 * The edge's error channel (DESIGN.md "Errors have two channels"): input we
 * cannot use gets a 4xx with ONE line of text/plain; an upstream CA we need
 * for the answer (GetCACert before its chain is known, GetCRL, GetCert) and
 * cannot reach gets 503 with Retry-After; our own fault gets 500 `internal
 * error`, with the detail only in the log.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { UpstreamError } from "../ra/errors.js";
import type { EdgeEnv, EdgeLogger } from "./types.js";

/** Exactly what the error responses carry. */
export const TEXT_PLAIN = "text/plain; charset=UTF-8";

/** Retry-After (s) of a 503 for an unreachable upstream: clients and balancers come back instead of failing for good. */
const UPSTREAM_RETRY_AFTER_S = 30;

/** Base of the edge's errors: an HTTP status and a one-line reason for the client. */
export class EdgeError extends Error {
  override name = "EdgeError";
  constructor(
    readonly status: 400 | 404 | 405 | 413,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A one-line text/plain response. `line` must already be one line of
 * printable text (see {@link printable} for anything taken from the request).
 */
export function textLine(c: Context, status: ContentfulStatusCode, line: string): Response {
  return c.body(line, status, { "content-type": TEXT_PLAIN });
}

/**
 * Request-supplied text made safe to echo in a one-line body or a log field:
 * at most `max` characters, anything but printable ASCII as `?`.
 */
export function printable(s: string, max = 64): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  return /^[\x20-\x7e]*$/.test(cut) ? cut : cut.replace(/[^\x20-\x7e]/g, "?");
}

let errorSeq = 0;
const bootTag = Date.now().toString(36);

/** A request id for correlating a 500 with its log line (unique per process run). */
export function nextRequestId(): string {
  errorSeq = (errorSeq + 1) % Number.MAX_SAFE_INTEGER;
  return `${bootTag}-${errorSeq.toString(36)}`;
}

/**
 * The app's one `onError`. An {@link EdgeError} or a 4xx HTTPException (hono's
 * own, e.g. from a sub-app) becomes its status with one line; anything else is
 * our fault: 500 `internal error` for the client, the error for the log under
 * a request id (also sent as `x-request-id`).
 */
export function createErrorHandler(logger: EdgeLogger): ErrorHandler<EdgeEnv> {
  return function onEdgeError(err, c) {
    if (err instanceof EdgeError) {
      logger.warn({ method: c.req.method, path: printable(c.req.path, 256), status: err.status, reason: err.message, cause: causeText(err.cause) }, "request refused");
      return textLine(c, err.status, err.message);
    }
    if (err instanceof HTTPException && err.status < 500) {
      return textLine(c, err.status, printable(err.message || "bad request", 200));
    }
    if (err instanceof UpstreamError && (err.kind === "unreachable" || err.kind === "timeout")) {
      logger.warn({ method: c.req.method, path: printable(c.req.path, 256), operation: c.get("operation"), reason: err.message }, "upstream CA unavailable");
      c.header("retry-after", String(UPSTREAM_RETRY_AFTER_S));
      return textLine(c, 503, "the upstream CA is unavailable; try again later");
    }
    const requestId = nextRequestId();
    c.set("requestId", requestId);
    logger.error(
      { err, requestId, method: c.req.method, path: printable(c.req.path, 256), operation: c.get("operation") },
      "internal error",
    );
    return c.body("internal error", 500, { "content-type": TEXT_PLAIN, "x-request-id": requestId });
  };
}

/** 404 for every path the edge does not serve. */
export const notFound: NotFoundHandler<EdgeEnv> = function notFound(c) {
  return textLine(c, 404, "not found");
};

function causeText(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? cause.message : String(cause);
}
