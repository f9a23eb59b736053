import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CA_CERT, CAPS, CERTREP, makeApp, NEXT_CA_CERT, streamOf } from "./fakes.js";

/** Every accepted path and the profile it selects. */
const PATHS: [string, string][] = [
  ["/scep", "default"],
  ["/scep/", "default"],
  ["/scep/vpn", "vpn"],
  ["/scep/vpn/", "vpn"],
  ["/scep/vpn/pkiclient.exe", "vpn"],
  ["/scep/pkiclient.exe", "default"],
  ["/cgi-bin/pkiclient.exe", "default"],
  ["/certsrv/mscep/mscep.dll", "default"],
  ["/certsrv/mscep/mscep.dll/", "default"],
  ["/certsrv/mscep/mscep.dll/pkiclient.exe", "default"],
];
const METHODS = ["GET", "POST"] as const;

async function bytesOf(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

describe("SCEP paths × methods × operations", () => {
  for (const [path, profile] of PATHS) {
    for (const method of METHODS) {
      it(`ok/${method} ${path} GetCACaps → text/plain caps of "${profile}"`, async () => {
        const { app, scep } = makeApp();
        const res = await app.request(`${path}?operation=GetCACaps`, { method });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
        expect(await res.text()).toBe(CAPS);
        expect(scep.getCaCaps).toHaveBeenCalledWith(profile);
      });

      it(`ok/${method} ${path} GetCACert → the service's type and bytes for "${profile}"`, async () => {
        const { app, scep } = makeApp();
        const res = await app.request(`${path}?operation=GetCACert`, { method });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("application/x-x509-ca-ra-cert");
        expect(await bytesOf(res)).toEqual(Buffer.from(CA_CERT));
        expect(scep.getCaCert).toHaveBeenCalledWith(profile);
      });

      it(`ok/${method} ${path} GetNextCACert → body, or 404 when there is none`, async () => {
        const { app } = makeApp();
        const res = await app.request(`${path}?operation=GetNextCACert`, { method });
        if (profile === "vpn") {
          expect(res.status).toBe(200);
          expect(res.headers.get("content-type")).toBe("application/x-x509-next-ca-cert");
          expect(await bytesOf(res)).toEqual(Buffer.from(NEXT_CA_CERT));
        } else {
          expect(res.status).toBe(404);
          expect(res.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
          expect(await res.text()).toBe("no next CA certificate");
        }
      });
    }

    it(`ok/POST ${path} PKIOperation → certrep as application/x-pki-message`, async () => {
      const { app, pkiCalls } = makeApp();
      const message = randomBytes(3000);
      const res = await app.request(`${path}?operation=PKIOperation`, { method: "POST", body: message });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/x-pki-message");
      expect(await bytesOf(res)).toEqual(Buffer.from(CERTREP));
      expect(pkiCalls).toHaveLength(1);
      expect(pkiCalls[0]!.profile).toBe(profile);
      expect(Buffer.from(pkiCalls[0]!.message)).toEqual(message);
    });

    it(`ok/GET ${path} PKIOperation message= → certrep`, async () => {
      const { app, pkiCalls } = makeApp();
      const message = randomBytes(3000);
      const res = await app.request(`${path}?operation=PKIOperation&message=${encodeURIComponent(message.toString("base64"))}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/x-pki-message");
      expect(await bytesOf(res)).toEqual(Buffer.from(CERTREP));
      expect(pkiCalls[0]!.profile).toBe(profile);
      expect(Buffer.from(pkiCalls[0]!.message)).toEqual(message);
    });
  }

  it("ok/HEAD GetCACaps → 200, text/plain, no body", async () => {
    const { app } = makeApp();
    const res = await app.request("/scep?operation=GetCACaps", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    expect(await res.text()).toBe("");
  });

  it("ok/operation names match case-insensitively", async () => {
    const { app } = makeApp();
    for (const op of ["getcacaps", "GETCACAPS", "GetCaCaps"]) {
      const res = await app.request(`/scep?operation=${op}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(CAPS);
    }
  });

  it("fail/other methods → 405 one line with Allow", async () => {
    const { app } = makeApp();
    const res = await app.request("/scep?operation=GetCACaps", { method: "PUT", body: "x" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
    expect(await res.text()).toBe("method not allowed");
  });
});

describe("PKIOperation bodies", () => {
  it("ok/POST with any or no Content-Type (strongSwan none, micromdm octet-stream)", async () => {
    const message = randomBytes(512);
    for (const type of [undefined, "application/octet-stream", "application/x-pki-message", "text/plain", "application/x-www-form-urlencoded"]) {
      const { app, pkiCalls } = makeApp();
      const headers: Record<string, string> = type ? { "content-type": type } : {};
      const res = await app.request("/scep?operation=PKIOperation", { method: "POST", body: message, headers });
      expect(res.status).toBe(200);
      expect(Buffer.from(pkiCalls[0]!.message)).toEqual(message);
    }
  });

  it("ok/POST with Content-Length (read in one go)", async () => {
    const { app, pkiCalls } = makeApp();
    const message = randomBytes(40_000);
    const res = await app.request("/scep?operation=PKIOperation", {
      method: "POST",
      body: message,
      headers: { "content-length": String(message.length) },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(pkiCalls[0]!.message)).toEqual(message);
  });

  it("ok/POST chunked (no Content-Length), exactly the limit", async () => {
    const { app, pkiCalls } = makeApp();
    const message = randomBytes(64 * 1024);
    const res = await app.request("/scep?operation=PKIOperation", { method: "POST", body: streamOf(message), duplex: "half" } as RequestInit);
    expect(res.status).toBe(200);
    expect(Buffer.from(pkiCalls[0]!.message)).toEqual(message);
    expect(pkiCalls[0]!.message.byteOffset).toBe(0);
  });

  it("ok/GET message with raw + and / and %3D (Apple, macOS)", async () => {
    const { app, pkiCalls } = makeApp();
    let message: Buffer;
    do message = randomBytes(301);
    while (!/[+/]/.test(message.toString("base64")));
    const raw = message.toString("base64").replace(/=/g, "%3D");
    const res = await app.request(`/scep?operation=PKIOperation&message=${raw}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(pkiCalls[0]!.message)).toEqual(message);
  });

  it("ok/GET message wrapped with %0A every 64 characters (strongSwan)", async () => {
    const { app, pkiCalls } = makeApp();
    const message = randomBytes(1000);
    const raw = message.toString("base64").match(/.{1,64}/g)!.join("%0A");
    const res = await app.request(`/scep?message=${raw}&operation=PKIOperation`);
    expect(res.status).toBe(200);
    expect(Buffer.from(pkiCalls[0]!.message)).toEqual(message);
  });

  it("ok/GET message in URL-safe base64 (micromdm scepclient)", async () => {
    const { app, pkiCalls } = makeApp();
    const message = randomBytes(1000);
    const res = await app.request(`/scep?operation=PKIOperation&message=${message.toString("base64url")}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(pkiCalls[0]!.message)).toEqual(message);
  });

  it("ok/malformed → 400 with the service's reason as one line", async () => {
    const { app } = makeApp({}, async () => ({ kind: "malformed", reason: "not a pkiMessage:\nbad tag" }));
    const res = await app.request("/scep?operation=PKIOperation", { method: "POST", body: new Uint8Array([1, 2, 3]) });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    expect(await res.text()).toBe("not a pkiMessage:?bad tag");
  });
});

describe("GetCACert message parameter", () => {
  it("ok/ignored when it is not a profile (Cisco trustpoint name, certmonger message=0 / message=1)", async () => {
    const { app, scep } = makeApp();
    for (const m of ["0", "1", "my-trustpoint", ""]) {
      const res = await app.request(`/scep/vpn?operation=GetCACert&message=${m}`);
      expect(res.status).toBe(200);
    }
    expect(scep.getCaCert.mock.calls.map((c) => c[0])).toEqual(["vpn", "vpn", "vpn", "vpn"]);
  });

  it("ok/names another configured profile exactly → that profile", async () => {
    const { app, scep } = makeApp();
    await app.request("/scep?operation=GetCACert&message=wifi");
    await app.request("/scep/vpn?operation=GetCACert&message=vpn");
    await app.request("/scep?operation=GetCACert&message=WIFI");
    expect(scep.getCaCert.mock.calls.map((c) => c[0])).toEqual(["wifi", "vpn", "default"]);
  });

  it("ok/GetNextCACert follows the same rule", async () => {
    const { app, scep } = makeApp();
    const res = await app.request("/scep?operation=GetNextCACert&message=vpn");
    expect(res.status).toBe(200);
    expect(scep.getNextCaCert).toHaveBeenCalledWith("vpn");
  });
});
