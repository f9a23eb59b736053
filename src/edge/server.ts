/**
 * The HTTP listener: @hono/node-server on node:http (or node:https with
 * `tls`), tuned for clients and load balancers that keep connections alive.
 */
import type { Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /**
   * Idle keep-alive time (ms). Longer than the usual load-balancer idle
   * timeout (60 s), so the balancer, not we, closes idle connections and
   * never sends on one we just closed. Default 65 s.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Largest request head (bytes). Node's default 16 KiB is too small for a GET
   * PKIOperation of a big pkiMessage (NOTE(client): certmonger and Cisco IOS
   * only GET; base64 plus percent-escapes nearly double the size); the
   * default here is 64 KiB.
   */
  maxHeaderBytes?: number;
  /** How long close() waits for requests in flight before cutting them (ms). Default 10 s. */
  closeGraceMs?: number;
  /** Serve HTTPS with this certificate (leaf first, then its chain) and key. */
  tls?: TlsIdentityPem;
}

/** A TLS server identity as PEM text. */
export interface TlsIdentityPem {
  cert: string;
  key: string;
}

export interface HttpServer {
  /** The port actually bound. */
  port: number;
  /** Whether it serves HTTPS. */
  secure: boolean;
  /**
   * Replaces the TLS identity (HTTPS only): new connections get it, open ones
   * keep theirs, nothing is dropped. Throws, keeping the current identity,
   * when the PEM is unusable or the key does not match the certificate.
   */
  setTlsIdentity(pem: TlsIdentityPem): void;
  /** Stop accepting, let requests in flight finish (up to the grace time), close. */
  close(): Promise<void>;
}

/** Listen on host:port and serve `app`; resolves once listening. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any app, whatever its Env
export async function startHttpServer(app: Hono<any, any, any>, opts: HttpServerOptions): Promise<HttpServer> {
  const keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  const server = createAdaptorServer({
    fetch: app.fetch,
    // The Host used to build the request URL when a client sends none.
    // NOTE(client): Cisco IOS speaks HTTP/1.0 and may omit Host; without this
    // node-server answers 400 "Missing host header".
    hostname: "localhost",
    serverOptions: { keepAliveTimeout, maxHeaderSize: opts.maxHeaderBytes ?? 64 * 1024, ...opts.tls },
    ...(opts.tls ? { createServer: createHttpsServer } : {}),
  }) as Server;
  // headersTimeout must exceed keepAliveTimeout, or a slow next request on a
  // kept-alive connection is cut with 408.
  server.headersTimeout = keepAliveTimeout + 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(opts.port, opts.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    secure: opts.tls !== undefined,
    setTlsIdentity: (pem) => {
      if (!opts.tls) throw new Error("this listener serves plain HTTP: there is no TLS identity to replace");
      (server as unknown as HttpsServer).setSecureContext(pem);
    },
    close: () => closeServer(server, opts.closeGraceMs ?? 10_000),
  };
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close((err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    // close() stops accepting; idle keep-alive sockets would hold it open.
    server.closeIdleConnections();
  });
}
