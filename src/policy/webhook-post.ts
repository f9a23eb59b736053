/**
 * One signed JSON POST to a webhook (the challenge webhook, a notification
 * target): node's global fetch under an AbortSignal timeout covering the
 * whole exchange, answer body included. Never throws and never logs: bodies
 * carry challenge passwords, and the caller decides what a failure means.
 */
import { signedHeaders } from "./webhook-signature.js";

/** Longest answer read; a verdict or an acknowledgement is a few bytes. */
export const MAX_WEBHOOK_ANSWER_BYTES = 64 * 1024;

/** Identifies scepgate in the receiver's access log. */
const USER_AGENT = "scepgate";

/** What {@link postSignedJson} sends. */
export interface WebhookPost {
  url: string;
  secret: string;
  /** The JSON body, already serialised: exactly these bytes are signed and sent. */
  body: string;
  timeoutMs: number;
  now: Date;
  /** More headers (e.g. `Idempotency-Key`). */
  headers?: Record<string, string>;
}

/** How a POST went: an HTTP answer (any status), or why there was none. */
export type WebhookAnswer =
  | { kind: "answer"; status: number; text: string }
  | { kind: "error"; reason: "timeout" | "unreachable" | "too-large" };

/** POSTs `p.body`, signed (webhook-signature.ts), and reads the answer. */
export async function postSignedJson(p: WebhookPost): Promise<WebhookAnswer> {
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    ...signedHeaders(p.secret, p.body, p.now),
    ...p.headers,
  };
  const signal = AbortSignal.timeout(p.timeoutMs);
  try {
    const res = await fetch(p.url, { method: "POST", body: p.body, headers, signal, redirect: "error" });
    const text = await readLimited(res);
    return text === undefined ? { kind: "error", reason: "too-large" } : { kind: "answer", status: res.status, text };
  } catch {
    return { kind: "error", reason: signal.aborted ? "timeout" : "unreachable" };
  }
}

async function readLimited(res: Response): Promise<string | undefined> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > MAX_WEBHOOK_ANSWER_BYTES) {
    await res.body?.cancel();
    return undefined;
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  return bytes.length > MAX_WEBHOOK_ANSWER_BYTES ? undefined : Buffer.from(bytes).toString("utf8");
}
