/**
 * An HTTP proxy in front of the upstream CA that the test can close: while
 * closed, new requests are held (never reach the CA) and the ones already
 * forwarded finish. It counts what is in flight, so a test can kill scepgate
 * at a moment when the CA is not in the middle of an exchange.
 *
 * Why: NOTE(micromdm) scepserver answers CertPoll with HTTP 500 and issues a
 * resent PKCSReq again, so after a crash the RA cannot learn whether a
 * request that was on the wire was issued; it sends it again (src/ra/
 * forwarding.ts recover()). A kill while an exchange is in flight may cost
 * that one device a second certificate at such a CA; a kill at any other
 * moment must cost nothing. The gate makes "any other moment" deterministic.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GateProxy {
  readonly url: string;
  /** Requests forwarded whose answer has not been fully sent back yet. */
  readonly inFlight: number;
  /** Requests held while closed. */
  readonly held: number;
  /** Requests forwarded so far. */
  readonly forwarded: number;
  close(): void;
  /** Opens the gate; requests held meanwhile are dropped (their client is gone by then). */
  open(): void;
  stop(): Promise<void>;
}

/** Starts a proxy to `target` (e.g. `http://127.0.0.1:PORT/scep`); the path and query are passed through. */
export async function startGateProxy(target: string): Promise<GateProxy> {
  const to = new URL(target);
  let closed = false;
  let inFlight = 0;
  let forwarded = 0;
  const held: ServerResponse[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    inFlight++;
    forwarded++;
    let done = false;
    const finish = (): void => {
      if (!done) inFlight--;
      done = true;
    };
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
      res.on("finish", finish);
      res.on("close", finish);
    });
    up.on("error", () => {
      finish();
      res.destroy();
    });
    up.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (closed) held.push(res);
      else forward(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${to.pathname}`,
    get inFlight() {
      return inFlight;
    },
    get held() {
      return held.length;
    },
    get forwarded() {
      return forwarded;
    },
    close: () => {
      closed = true;
    },
    open: () => {
      closed = false;
      for (const res of held.splice(0)) res.destroy();
    },
    stop: () =>
      new Promise<void>((r) => {
        for (const res of held.splice(0)) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
