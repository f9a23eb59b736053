/**
 * Reading a POST PKIOperation body as raw bytes, with a size limit, whatever
 * its Content-Type (NOTE(client): strongSwan sends none, micromdm scepclient
 * sends application/octet-stream).
 *
 * Not hono/body-limit: that middleware touches `c.req.raw.body`, which makes
 * @hono/node-server build a full web Request and a web stream for every
 * request, and then copies the body into yet another Request. Here a body
 * with a Content-Length goes through `arrayBuffer()` (node-server's direct
 * fast path, and Node's parser enforces the length); only a chunked body is
 * streamed, counting as it goes.
 */
import type { HonoRequest } from "hono";
import { EdgeError } from "./errors.js";

export type BodyResult = { ok: true; bytes: Uint8Array } | { ok: false; status: 400 | 413; reason: string };

const EMPTY: BodyResult = { ok: false, status: 400, reason: "empty body" };
const TOO_LARGE: BodyResult = { ok: false, status: 413, reason: "body too large" };

/**
 * The request body, at most `maxBytes`: 413 when longer (checked on the
 * Content-Length before reading, or while reading a chunked body), 400 when
 * empty. A body that cannot be read (client gone) throws an EdgeError 400.
 * The bytes own their ArrayBuffer (offset 0, exact length).
 */
export async function readBody(req: HonoRequest, maxBytes: number): Promise<BodyResult> {
  const length = req.header("content-length");
  if (length !== undefined && req.header("transfer-encoding") === undefined) {
    const n = Number(length);
    if (!(n <= maxBytes)) return TOO_LARGE;
    if (n === 0) return EMPTY;
    const ab = await guard(req.raw.arrayBuffer());
    return ab.byteLength === 0 ? EMPTY : { ok: true, bytes: new Uint8Array(ab) };
  }
  const stream = req.raw.body;
  if (stream === null) return EMPTY;
  return readStream(stream, maxBytes);
}

async function readStream(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<BodyResult> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await guard(reader.read());
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Stop reading; the node-server listener drains what is left after the 413.
      reader.cancel().catch(() => undefined);
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  if (size === 0) return EMPTY;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new EdgeError(400, "body could not be read", { cause: err });
  }
}
