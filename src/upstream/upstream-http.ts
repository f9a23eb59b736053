/**
 * The HTTP transport to the upstream SCEP CA (RFC 8894 §4.1): GET with
 * `operation` and `message` query parameters, POST of a PKIOperation body.
 * undici's fetch (keep-alive) under an AbortSignal timeout that covers the
 * whole exchange, body included. Each upstream has its own undici Agent, which
 * carries its TLS settings: a private CA for the upstream's server
 * certificate, and the RA's client certificate for mutual TLS. (Node's global
 * fetch takes no TLS options; its bundled undici is not importable.)
 *
 * Failures become {@link UpstreamError}s of the kind the forward worker acts
 * on: no connection (refused, DNS, reset before an answer) → `unreachable`;
 * no complete answer within the timeout → `timeout`. A non-200 status is
 * returned to the caller, who decides (GetNextCACert 404 is an answer, not an
 * error); {@link httpError} makes the `http` error for it.
 *
 * Nothing here logs: bodies may carry challenge passwords.
 */
import { Agent, fetch, type RequestInit } from "undici";
import { UpstreamError } from "../ra/errors.js";

/** TLS towards an https upstream, as PEM text. */
export interface UpstreamTlsPem {
  /** Trusted CA certificates for the upstream's server certificate, instead of the system's. */
  ca?: string;
  /** The RA's TLS client certificate (with `key`), for an upstream that wants mutual TLS. */
  cert?: string;
  key?: string;
}

/** What an upstream answered. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Uint8Array;
}

/** Larger answers are refused (a CRL may be big; nothing SCEP carries is larger). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** Identifies the RA in the upstream's access log. */
const USER_AGENT = "scepgate";

/**
 * NOTE(TLS 1.3): the client's handshake is done before the server checks the
 * client certificate, so a refused one shows as the server closing the
 * connection (often with no alert at all), which undici reports as
 * "other side closed".
 */
const CLOSED_OVER_TLS_HINT = "; an https upstream does this when it refuses the TLS client certificate (see upstream.tls)";

/** Longest excerpt of an error body quoted in an UpstreamError. */
const EXCERPT_CHARS = 200;

export class UpstreamHttp {
  private readonly agent: Agent;

  constructor(
    /** The upstream's SCEP URL (e.g. `http://ca.example:8080/scep`). */
    readonly url: string,
    readonly timeoutMs: number,
    tls?: UpstreamTlsPem,
  ) {
    this.agent = new Agent(tls ? { connect: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {});
    this.closedHint = url.toLowerCase().startsWith("https:") ? CLOSED_OVER_TLS_HINT : "";
  }

  /** Added to "other side closed": over TLS that is how a refused client certificate shows. */
  private readonly closedHint: string;

  /** `GET url?operation=OP[&message=M]` (M URL-encoded here). */
  get(operation: string, message?: string): Promise<HttpAnswer> {
    const u = new URL(this.url);
    u.searchParams.set("operation", operation);
    if (message !== undefined) u.searchParams.set("message", message);
    return this.send(operation, u, { method: "GET", headers: { "user-agent": USER_AGENT } });
  }

  /** `POST url?operation=PKIOperation` with the pkiMessage as the body (RFC 8894 §4.3). */
  post(operation: string, body: Uint8Array): Promise<HttpAnswer> {
    const u = new URL(this.url);
    u.searchParams.set("operation", operation);
    return this.send(operation, u, { method: "POST", body, headers: { "content-type": "application/x-pki-message", "user-agent": USER_AGENT } });
  }

  private async send(operation: string, url: URL, init: RequestInit): Promise<HttpAnswer> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await fetch(url, { ...init, signal, dispatcher: this.agent });
      const body = await readLimited(res, operation);
      return { status: res.status, contentType: res.headers.get("content-type") ?? "", body };
    } catch (err) {
      throw transportError(operation, this.timeoutMs, err, this.closedHint);
    }
  }
}

async function readLimited(res: Response, operation: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > MAX_ANSWER_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new UpstreamError(`upstream ${operation}: answer of ${declared} bytes is too large`, "protocol");
  }
  if (!res.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) throw new UpstreamError(`upstream ${operation}: answer larger than ${MAX_ANSWER_BYTES} bytes`, "protocol");
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/**
 * Errors before the request could be written: no connection, or a TLS
 * handshake refused (the CA never saw the request, so sending it again is
 * safe). Any other transport error may come after the CA got the request
 * (ETIMEDOUT too: it can end an established connection).
 */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT"]);
const TLS_CODE = /SSL|TLS|CERT|SIGNATURE|ISSUER/;

/**
 * Maps what fetch threw to an UpstreamError (UpstreamErrors pass through):
 * `unreachable` only when the request was not sent (see NOT_SENT_CODES);
 * a connection that broke after it (reset, closed) is `timeout`, like no
 * answer in time: the CA may have it, so the forward worker asks (CertPoll)
 * before sending it again.
 */
function transportError(operation: string, timeoutMs: number, err: unknown, closedHint: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") {
    return new UpstreamError(`upstream ${operation}: no answer within ${timeoutMs} ms`, "timeout", undefined, { cause: err });
  }
  const code = e?.cause?.code;
  const message = e?.cause?.message;
  let detail = code ?? message ?? e?.message ?? String(err);
  // A TLS failure's code alone (ERR_SSL_…, UNABLE_TO_VERIFY_LEAF_SIGNATURE) does not say what was refused: keep the message too.
  if (code !== undefined && message && message !== code && TLS_CODE.test(code)) detail = `${code}: ${message}`;
  if (code === "UND_ERR_SOCKET" && message) detail = `${code}: ${message}${closedHint}`;
  if (code !== undefined && (NOT_SENT_CODES.has(code) || TLS_CODE.test(code))) {
    return new UpstreamError(`upstream ${operation}: cannot reach the CA (${detail})`, "unreachable", undefined, { cause: err });
  }
  return new UpstreamError(`upstream ${operation}: the connection to the CA broke before its answer (${detail})`, "timeout", undefined, { cause: err });
}

/** One printable line of an error body, at most ~200 characters. */
export function bodyExcerpt(body: Uint8Array): string {
  const text = Buffer.from(body.subarray(0, EXCERPT_CHARS * 4)).toString("utf8");
  const line = text.replace(/[^\x20-\x7e]+/g, " ").replace(/\s+/g, " ").trim();
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
}

/** The UpstreamError for an HTTP status other than 200. */
export function httpError(operation: string, answer: HttpAnswer): UpstreamError {
  const excerpt = bodyExcerpt(answer.body);
  return new UpstreamError(`upstream ${operation}: HTTP ${answer.status}${excerpt ? `: ${excerpt}` : ""}`, "http", answer.status);
}
