/**
 * Helpers of the upstream integration tests: an RA identity, device CSRs, a
 * logger that keeps what it is told, and small real TCP/HTTP servers that
 * misbehave the way broken upstreams do (never answer, answer 500 garbage),
 * plus a recording pass-through proxy to see what went over the wire.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { buildCsr, buildName, generateKey, parseCsr, type Csr } from "../../../src/crypto/index.js";
import type { RaIdentity } from "../../../src/ra/identity.js";
import type { Clock, Logger } from "../../../src/ra/ports.js";
import { testPki } from "../../support/pki.js";

export const clock: Clock = { now: () => new Date() };

/** A pino-shaped logger that records every call (level, fields, message). */
export interface RecordingLogger extends Logger {
  entries: Array<{ level: string; obj: object; msg?: string }>;
  /** Everything logged, as one string (for "never logs X" checks). */
  text(): string;
}

export function recordingLogger(): RecordingLogger {
  const entries: RecordingLogger["entries"] = [];
  const at = (level: string) => (obj: object, msg?: string): void => void entries.push({ level, obj, msg });
  return {
    entries,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    text: () => entries.map((e) => `${e.level} ${e.msg ?? ""} ${JSON.stringify(e.obj)}`).join("\n"),
  };
}

/** The test PKI's RA (issued by a test CA micromdm knows nothing of: it checks no chain). */
export async function testRaIdentity(): Promise<RaIdentity> {
  const { ra } = await testPki();
  return { signer: { cert: ra.cert, key: ra.key }, decryption: [ra.decryption], certificates: [ra.cert] };
}

/** A device CSR for a fresh RSA key, optionally with a challengePassword. */
export async function deviceCsr(cn: string, challengePassword?: string): Promise<Csr> {
  const key = await generateKey("rsa-2048");
  return parseCsr(buildCsr({ subject: buildName(`CN=${cn}, O=scepgate upstream tests`), key, challengePassword }));
}

export function uniqueCn(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function listen(server: Server | NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      if (addr === null || typeof addr === "string") reject(new Error("no TCP address"));
      else resolve(addr.port);
    });
  });
}

export interface TestServer {
  url: string;
  stop(): Promise<void>;
}

/** Accepts TCP connections and reads requests, never answers. */
export function startBlackHole(): Promise<TestServer> {
  return startTcpServer((s) => s.on("data", () => undefined));
}

/** A TCP server that reads the request and then resets the connection (RST) without answering: an upstream that dies mid-request. */
export function startResetter(): Promise<TestServer> {
  return startTcpServer((s) => s.once("data", () => s.resetAndDestroy()));
}

/** A raw TCP server whose connections `onSocket` handles; stop() destroys them all. */
async function startTcpServer(onSocket: (s: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
    onSocket(s);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/scep`,
    stop: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function stopHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Answers everything with HTTP 500 and a body of Go-ish text, control bytes and a long tail. */
export async function startGarbage500(): Promise<TestServer> {
  const server = createHttpServer((req, res) => {
    req.resume();
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(`internal error:\x00\x01 scep: pkcs7 garbage\r\nsecond line\n${"x".repeat(500)}`);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/scep`, stop: () => stopHttp(server) };
}

/** One request as it passed through the proxy. */
export interface Recorded {
  method: string;
  url: string;
  contentType: string | undefined;
  body: Buffer;
}

/** A pass-through HTTP proxy in front of `target` (an http://host:port/... URL) that records every request. */
export async function startRecordingProxy(target: string): Promise<TestServer & { requests: Recorded[] }> {
  const to = new URL(target);
  const requests: Recorded[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body });
      const out = httpRequest(
        { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, host: to.host } },
        (up: IncomingMessage) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on("error", () => {
        res.writeHead(502);
        res.end("proxy error");
      });
      out.end(body);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}${to.pathname}`, requests, stop: () => stopHttp(server) };
}
