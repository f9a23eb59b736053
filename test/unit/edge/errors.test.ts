import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UpstreamError } from "../../../src/ra/errors.js";
import { CAPS, makeApp, streamOf } from "./fakes.js";

const TEXT = "text/plain; charset=UTF-8";
const LIMIT = 64 * 1024;

async function expectLine(res: Response, status: number, body: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe(TEXT);
  const text = await res.text();
  expect(text).toBe(body);
  expect(text).not.toMatch(/[\r\n]/);
}

describe("bad input → exact status and one line", () => {
  it("fail/missing operation → 400", async () => {
    const { app } = makeApp();
    await expectLine(await app.request("/scep"), 400, "missing operation");
    await expectLine(await app.request("/scep?operation="), 400, "missing operation");
    await expectLine(await app.request("/scep?message=abc", { method: "POST", body: "x" }), 400, "missing operation");
  });

  it("fail/unknown operation → 400 naming it, sanitised", async () => {
    const { app } = makeApp();
    await expectLine(await app.request("/scep?operation=GetCRL"), 400, 'unknown operation "GetCRL"');
    await expectLine(await app.request("/scep?operation=a%0Ab%22"), 400, 'unknown operation "a?b""');
  });

  it("fail/unknown profile → 404 one line", async () => {
    const { app, scep } = makeApp();
    await expectLine(await app.request("/scep/nope?operation=GetCACaps"), 404, 'unknown profile "nope"');
    await expectLine(await app.request("/scep/x%0Ay/pkiclient.exe?operation=GetCACaps"), 404, 'unknown profile "x?y"');
    expect(scep.getCaCaps).not.toHaveBeenCalled();
  });

  it("fail/unknown path → 404 one line", async () => {
    const { app } = makeApp();
    await expectLine(await app.request("/scepx?operation=GetCACaps"), 404, "not found");
    await expectLine(await app.request("/scep/a/b/c?operation=GetCACaps"), 404, "not found");
  });

  it("fail/GET PKIOperation without message → 400", async () => {
    const { app, pkiCalls } = makeApp();
    await expectLine(await app.request("/scep?operation=PKIOperation"), 400, "missing message");
    expect(pkiCalls).toHaveLength(0);
  });

  it("fail/GET message that is not base64 → 400", async () => {
    const { app, pkiCalls } = makeApp();
    for (const m of ["", "0", "%%%", "abc*def", "QUJD%00", "AQ==AQID"]) {
      await expectLine(await app.request(`/scep?operation=PKIOperation&message=${m}`), 400, "message is not base64");
    }
    expect(pkiCalls).toHaveLength(0);
  });

  it("fail/GET message longer than the limit once decoded → 413", async () => {
    const { app, pkiCalls } = makeApp();
    const m = encodeURIComponent(randomBytes(LIMIT + 1).toString("base64"));
    await expectLine(await app.request(`/scep?operation=PKIOperation&message=${m}`), 413, "message too large");
    expect(pkiCalls).toHaveLength(0);
  });

  it("fail/empty POST body → 400 (with and without Content-Length)", async () => {
    const { app, pkiCalls } = makeApp();
    await expectLine(await app.request("/scep?operation=PKIOperation", { method: "POST" }), 400, "empty body");
    await expectLine(
      await app.request("/scep?operation=PKIOperation", { method: "POST", body: new Uint8Array(0), headers: { "content-length": "0" } }),
      400,
      "empty body",
    );
    await expectLine(
      await app.request("/scep?operation=PKIOperation", { method: "POST", body: streamOf(new Uint8Array(0)), duplex: "half" } as RequestInit),
      400,
      "empty body",
    );
    expect(pkiCalls).toHaveLength(0);
  });

  it("fail/64 KiB + 1 POST with Content-Length → 413", async () => {
    const { app, pkiCalls } = makeApp();
    const body = randomBytes(LIMIT + 1);
    const res = await app.request("/scep?operation=PKIOperation", {
      method: "POST",
      body,
      headers: { "content-length": String(body.length) },
    });
    await expectLine(res, 413, "body too large");
    expect(pkiCalls).toHaveLength(0);
  });

  it("fail/64 KiB + 1 POST chunked (ReadableStream, no Content-Length) → 413", async () => {
    const { app, pkiCalls } = makeApp();
    const res = await app.request("/scep?operation=PKIOperation", {
      method: "POST",
      body: streamOf(randomBytes(LIMIT + 1), 4096),
      duplex: "half",
    } as RequestInit);
    await expectLine(res, 413, "body too large");
    expect(pkiCalls).toHaveLength(0);
  });

  it("fail/the limit comes from bodyLimitBytes", async () => {
    const { app } = makeApp({ bodyLimitBytes: 100 });
    await expectLine(await app.request("/scep?operation=PKIOperation", { method: "POST", body: randomBytes(101) }), 413, "body too large");
    const ok = await app.request("/scep?operation=PKIOperation", { method: "POST", body: randomBytes(100) });
    expect(ok.status).toBe(200);
  });

  it("fail/a body that breaks while being read → 400, no 500", async () => {
    const { app, pkiCalls } = makeApp();
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("socket hang up"));
      },
    });
    const res = await app.request("/scep?operation=PKIOperation", { method: "POST", body: broken, duplex: "half" } as RequestInit);
    await expectLine(res, 400, "body could not be read");
    expect(pkiCalls).toHaveLength(0);
  });
});

describe("our own faults → 500", () => {
  it("fail/service exception → 500 generic body, detail in logger.error with a request id; next request answered", async () => {
    let fail = true;
    const { app, entries } = makeApp({}, async () => {
      if (fail) throw new Error("redis: connection refused at 10.0.0.5:6379");
      return { kind: "certrep", body: new Uint8Array([0x30]) };
    });
    const res = await app.request("/scep?operation=PKIOperation", { method: "POST", body: randomBytes(64) });
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe(TEXT);
    expect(await res.text()).toBe("internal error");
    const requestId = res.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);

    const error = entries.find((e) => e.level === "error");
    expect(error?.obj.requestId).toBe(requestId);
    expect((error?.obj.err as Error).message).toContain("connection refused");
    expect(error?.obj.operation).toBe("PKIOperation");
    const access = entries.find((e) => e.level === "info" && e.msg === "request");
    expect(access?.obj).toMatchObject({ status: 500, requestId, operation: "PKIOperation" });

    fail = false;
    const next = await app.request("/scep?operation=PKIOperation", { method: "POST", body: randomBytes(64) });
    expect(next.status).toBe(200);
    expect((await app.request("/scep?operation=GetCACaps")).status).toBe(200);
  });

  it("fail/exception in GetCACaps → 500 and the app keeps answering", async () => {
    const { app, scep } = makeApp();
    scep.getCaCaps.mockRejectedValueOnce(new TypeError("boom"));
    const res = await app.request("/scep?operation=GetCACaps");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("internal error");
    const again = await app.request("/scep?operation=GetCACaps");
    expect(await again.text()).toBe(CAPS);
  });

  it("fail/an unreachable or silent upstream CA → 503 one line with Retry-After, the reason only in the log; an upstream protocol error stays 500", async () => {
    const { app, scep, entries } = makeApp();
    for (const kind of ["unreachable", "timeout"] as const) {
      scep.getCaCert.mockRejectedValueOnce(new UpstreamError(`upstream GetCACert: cannot reach the CA (ECONNREFUSED ${kind})`, kind));
      const res = await app.request("/scep?operation=GetCACert");
      await expectLine(res, 503, "the upstream CA is unavailable; try again later");
      expect(res.headers.get("retry-after")).toBe("30");
      expect(entries.some((e) => e.msg === "upstream CA unavailable" && String(e.obj["reason"]).includes(kind))).toBe(true);
    }
    scep.getCaCert.mockRejectedValueOnce(new UpstreamError("upstream GetCACert: garbled", "protocol"));
    expect((await app.request("/scep?operation=GetCACert")).status).toBe(500);
  });

  it("fail/synchronous throw from hasProfile → 500", async () => {
    const { app, scep } = makeApp();
    scep.hasProfile.mockImplementationOnce(() => {
      throw new Error("config not loaded");
    });
    const res = await app.request("/scep?operation=GetCACaps");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("internal error");
  });
});

describe("access log and request context", () => {
  const env = { incoming: { socket: { remoteAddress: "192.0.2.7" } } };

  it("ok/logs method, path, operation, status, duration, client; never the query", async () => {
    const { app, entries } = makeApp();
    await app.request("/scep/vpn?operation=PKIOperation&message=c2VjcmV0", undefined, env);
    const access = entries.filter((e) => e.msg === "request");
    expect(access).toHaveLength(1);
    expect(access[0]!.obj).toMatchObject({ method: "GET", path: "/scep/vpn", operation: "PKIOperation", status: 200, client: "192.0.2.7" });
    expect(typeof access[0]!.obj.ms).toBe("number");
    expect(JSON.stringify(entries)).not.toContain("c2VjcmV0");
  });

  it("ok/exactly one access-log line per request on every SCEP path", async () => {
    const { app, entries } = makeApp();
    const paths = ["/scep", "/scep/", "/scep/vpn", "/scep/vpn/pkiclient.exe", "/scep/pkiclient.exe", "/cgi-bin/pkiclient.exe",
      "/certsrv/mscep/mscep.dll", "/certsrv/mscep/mscep.dll/", "/certsrv/mscep/mscep.dll/pkiclient.exe"];
    for (const path of paths) await app.request(`${path}?operation=GetCACaps`);
    await app.request("/scep/nope?operation=GetCACaps");
    const lines = entries.filter((e) => e.msg === "request");
    expect(lines.map((e) => e.obj.status)).toEqual([...paths.map(() => 200), 404]);
  });

  it("ok/socket address and User-Agent go to pkiOperation", async () => {
    const { app, pkiCalls } = makeApp();
    await app.request(
      "/scep?operation=PKIOperation",
      { method: "POST", body: randomBytes(10), headers: { "user-agent": "strongSwan pki", "x-forwarded-for": "203.0.113.1" } },
      env,
    );
    expect(pkiCalls[0]!.context).toEqual({ clientAddress: "192.0.2.7", userAgent: "strongSwan pki" });
  });

  it("ok/X-Forwarded-For first entry only when trustProxy", async () => {
    const { app, pkiCalls } = makeApp({ trustProxy: true });
    await app.request(
      "/scep?operation=PKIOperation",
      { method: "POST", body: randomBytes(10), headers: { "x-forwarded-for": " 203.0.113.1 , 10.0.0.1" } },
      env,
    );
    await app.request("/scep?operation=PKIOperation", { method: "POST", body: randomBytes(10) }, env);
    expect(pkiCalls.map((c) => c.context.clientAddress)).toEqual(["203.0.113.1", "192.0.2.7"]);
  });

  it("ok/no socket and no header → no address (app.request without env)", async () => {
    const { app, pkiCalls } = makeApp();
    await app.request("/scep?operation=PKIOperation", { method: "POST", body: randomBytes(10) });
    expect(pkiCalls[0]!.context).toEqual({});
  });
});
