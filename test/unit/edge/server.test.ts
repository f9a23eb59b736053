import { randomBytes } from "node:crypto";
import { request as httpRequest, Agent } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer, type HttpServer } from "../../../src/edge/server.js";
import { CAPS, CERTREP, makeApp } from "./fakes.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** POST `chunks` with node:http; chunked unless `contentLength` is set. */
function post(port: number, path: string, chunks: Buffer[], opts: { contentLength?: number; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.contentLength !== undefined) headers["content-length"] = String(opts.contentLength);
    const req = httpRequest({ host: "127.0.0.1", port, path, method: "POST", headers, agent: opts.agent }, (res) => {
      const body: Buffer[] = [];
      res.on("data", (d: Buffer) => body.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(body) }));
    });
    // The server may answer 413 and stop reading before we finish writing.
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE" && err.code !== "ECONNRESET") reject(err);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** A raw HTTP/1.0 request without Host (Cisco IOS). */
function rawHttp10(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    const data: Buffer[] = [];
    socket.on("data", (d) => data.push(d));
    socket.on("end", () => resolve(Buffer.concat(data).toString("latin1")));
    socket.on("error", reject);
  });
}

describe("startHttpServer (real sockets)", () => {
  let server: HttpServer;
  let base: string;
  const { app, pkiCalls } = makeApp();

  beforeAll(async () => {
    server = await startHttpServer(app, { host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
  });

  it("ok/GetCACaps over a real fetch", async () => {
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(`${base}/scep?operation=GetCACaps`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    expect(res.headers.get("content-length")).toBe(String(CAPS.length));
    expect(await res.text()).toBe(CAPS);
  });

  it("ok/POST PKIOperation with Content-Length: bytes intact, socket address passed", async () => {
    const message = randomBytes(20_000);
    const res = await fetch(`${base}/scep?operation=PKIOperation`, { method: "POST", body: message, headers: { "user-agent": "t/1" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-pki-message");
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(CERTREP));
    const call = pkiCalls.at(-1)!;
    expect(Buffer.from(call.message)).toEqual(message);
    expect(call.context).toEqual({ clientAddress: "127.0.0.1", userAgent: "t/1" });
  });

  it("ok/POST PKIOperation chunked under the limit", async () => {
    const message = randomBytes(30_000);
    const reply = await post(server.port, "/scep?operation=PKIOperation", [message.subarray(0, 10_000), message.subarray(10_000)]);
    expect(reply.status).toBe(200);
    expect(Buffer.from(pkiCalls.at(-1)!.message)).toEqual(message);
  });

  it("fail/chunked POST over 64 KiB → 413, and the server keeps answering on the same keep-alive agent", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = pkiCalls.length;
    const chunks = Array.from({ length: 9 }, () => randomBytes(8 * 1024)); // 72 KiB
    const reply = await post(server.port, "/scep?operation=PKIOperation", chunks, { agent });
    expect(reply.status).toBe(413);
    expect(reply.headers["content-type"]).toBe("text/plain; charset=UTF-8");
    expect(reply.body.toString()).toBe("body too large");
    expect(pkiCalls.length).toBe(before);
    const next = await post(server.port, "/scep?operation=PKIOperation", [randomBytes(100)], { agent, contentLength: 100 });
    expect(next.status).toBe(200);
    agent.destroy();
  });

  it("fail/POST with Content-Length 64 KiB + 1 → 413", async () => {
    const body = randomBytes(64 * 1024 + 1);
    const reply = await post(server.port, "/scep?operation=PKIOperation", [body], { contentLength: body.length });
    expect(reply.status).toBe(413);
    expect(reply.body.toString()).toBe("body too large");
  });

  it("ok/HTTP/1.0 without Host (Cisco IOS)", async () => {
    const text = await rawHttp10(server.port, "/cgi-bin/pkiclient.exe?operation=GetCACaps");
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.endsWith(`\r\n\r\n${CAPS}`)).toBe(true);
  });

  it("ok/GET PKIOperation with a ~40 KiB query (over Node's default 16 KiB head)", async () => {
    const message = randomBytes(24_000);
    const res = await fetch(`${base}/scep?operation=PKIOperation&message=${encodeURIComponent(message.toString("base64"))}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(pkiCalls.at(-1)!.message)).toEqual(message);
  });
});

describe("startHttpServer lifecycle", () => {
  it("fail/port in use → rejects", async () => {
    const { app } = makeApp();
    const first = await startHttpServer(app, { host: "127.0.0.1", port: 0 });
    await expect(startHttpServer(app, { host: "127.0.0.1", port: first.port })).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });

  it("ok/close() returns promptly with an idle keep-alive connection open", async () => {
    const { app } = makeApp();
    const srv = await startHttpServer(app, { host: "127.0.0.1", port: 0 });
    const agent = new Agent({ keepAlive: true });
    const reply = await new Promise<number>((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: srv.port, path: "/healthz", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      })
        .on("error", reject)
        .end();
    });
    expect(reply).toBe(200);
    const t0 = Date.now();
    await srv.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    agent.destroy();
  });
});
