/**
 * A webhook receiver for the tests: a plain node:http server on 127.0.0.1
 * that records every request (headers and raw body, signature checked with
 * the shared secret) and answers through a handler the test sets.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignature, type SignatureCheck } from "../../../src/policy/webhook-signature.js";

/** One request the receiver got. */
export interface HookRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body (undefined when not JSON); loosely typed for the assertions. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test data read by matchers
  json: any;
  /** X-Scepgate-Signature checked against the secret and the raw body. */
  signature: SignatureCheck;
  at: number;
}

/** Answers one request; may never call `res.end()` (a hanging receiver). */
export type HookHandler = (req: HookRequest, res: ServerResponse) => void;

/** A running receiver. */
export interface HookServer {
  readonly url: string;
  readonly requests: HookRequest[];
  handler: HookHandler;
  close(): Promise<void>;
}

/** Starts a receiver; `handler` answers 200 `{}` unless replaced. */
export async function startHookServer(secret: string): Promise<HookServer> {
  const requests: HookRequest[] = [];
  const hook: { handler: HookHandler } = { handler: (_r, res) => res.writeHead(200, { "content-type": "application/json" }).end("{}") };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const header = req.headers["x-scepgate-signature"];
      const r: HookRequest = {
        path: req.url ?? "/", headers: req.headers, body, json, at: Date.now(),
        signature: verifySignature(secret, Array.isArray(header) ? header[0] : header, body, new Date()),
      };
      requests.push(r);
      hook.handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get handler() {
      return hook.handler;
    },
    set handler(h: HookHandler) {
      hook.handler = h;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Answers JSON with a status. */
export function answer(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}
