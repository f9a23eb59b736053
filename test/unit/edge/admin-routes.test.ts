/** The admin API (src/edge/admin-routes.ts) mounted in the edge app, with a fake operator and a recording logger. */
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminApp } from "../../../src/edge/admin-routes.js";
import { createEdgeApp } from "../../../src/edge/app.js";
import { OperatorError } from "../../../src/ra/errors.js";
import { FakeOperator, sampleTx } from "../cli/fake-operator.js";
import { fakeScep, recordingLogger, type LogEntry } from "./fakes.js";

const TOKEN = "admin-token-0123456789-abcdef";
const WRONG = "admin-token-0123456789-abcdeX";

let operator: FakeOperator;
let entries: LogEntry[];
let app: ReturnType<typeof createEdgeApp>;

const pending = sampleTx({ id: "pendingaaaaa" });
const issued = sampleTx({ id: "issuedaaaaaa", state: "issued", serial: "0F", notAfter: "2026-01-01T00:00:00.000Z", certificate: "Q0VSVA==" });

beforeEach(() => {
  operator = new FakeOperator([pending, issued]);
  const rec = recordingLogger();
  entries = rec.entries;
  const admin = createAdminApp({ operator, token: TOKEN, logger: rec.logger });
  app = createEdgeApp({ scep: fakeScep().scep, bodyLimitBytes: 65536, trustProxy: false, logger: rec.logger, admin });
});

function call(path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const body = init.json === undefined ? init.body : JSON.stringify(init.json);
  return Promise.resolve(app.request(path, { ...init, headers, body }));
}

async function json(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

describe("admin API: authentication", () => {
  it("fail/no Authorization header → 401 unauthorized, WWW-Authenticate: Bearer", async () => {
    const res = await call("/admin/requests", { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(await json(res)).toEqual({ error: "unauthorized" });
    expect(operator.calls).toHaveLength(0);
  });

  it("fail/wrong token → 401, the operator is not called", async () => {
    const res = await call("/admin/requests", { token: WRONG });
    expect(res.status).toBe(401);
    expect(await json(res)).toEqual({ error: "unauthorized" });
    expect(operator.calls).toHaveLength(0);
  });

  it("fail/another scheme, an empty token, a prefix or extension of the token → 401", async () => {
    for (const header of [`Basic ${TOKEN}`, "Bearer ", "Bearer", TOKEN, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN} extra`]) {
      const res = await app.request("/admin/requests", { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });

  it("ok/right token → 200 (the scheme name in any case)", async () => {
    expect((await call("/admin/requests")).status).toBe(200);
    const res = await app.request("/admin/requests", { headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it("fail/every route needs the token, unknown ones too (no route discovery)", async () => {
    for (const [method, path] of [["GET", "/admin/requests/pendingaaaaa"], ["POST", "/admin/requests/pendingaaaaa/approve"],
      ["POST", "/admin/requests/pendingaaaaa/reject"], ["POST", "/admin/otp"], ["GET", "/admin/nope"]] as const) {
      expect((await call(path, { method, token: null })).status, path).toBe(401);
    }
    expect(operator.calls).toHaveLength(0);
  });

  it("ok/the token never reaches the log, right or wrong", async () => {
    await call("/admin/requests", { token: WRONG });
    await call("/admin/requests", { token: null });
    await call("/admin/requests");
    await call("/admin/otp", { method: "POST", json: {} });
    operator.failWith = new Error("boom");
    await call("/admin/requests");
    const log = JSON.stringify(entries);
    expect(entries.some((e) => e.msg === "admin request refused")).toBe(true);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(WRONG);
    expect(log).not.toContain("admin-token");
    expect(log).not.toContain("S3CRET-one-time-pw");
  });

  it("ok/answers are not cacheable", async () => {
    expect((await call("/admin/requests")).headers.get("cache-control")).toBe("no-store");
  });
});

describe("admin API: routes", () => {
  it("ok/GET /requests → {requests}, no base64 blobs, serial and notAfter kept", async () => {
    const body = await json(await call("/admin/requests"));
    const requests = body["requests"] as Array<Record<string, unknown>>;
    expect(requests.map((r) => r["id"])).toEqual(["pendingaaaaa", "issuedaaaaaa"]);
    for (const r of requests) for (const blob of ["csr", "requesterCert", "certificate", "chain"]) expect(r).not.toHaveProperty(blob);
    expect(requests[1]).toMatchObject({ state: "issued", serial: "0F", notAfter: "2026-01-01T00:00:00.000Z", subject: issued.subject });
  });

  it("ok/GET /requests?full=1 keeps the blobs", async () => {
    const body = await json(await call("/admin/requests?full=1"));
    const requests = body["requests"] as Array<Record<string, unknown>>;
    expect(requests[1]).toMatchObject({ csr: issued.csr, requesterCert: issued.requesterCert, certificate: "Q0VSVA==" });
  });

  it("ok/GET /requests filters: state (pending = pending_approval), profile, limit", async () => {
    await call("/admin/requests?state=pending&profile=vpn&limit=5");
    await call("/admin/requests?state=upstream-pending");
    await call("/admin/requests?state=&profile=");
    expect(operator.calls.map((c) => c.args[0])).toEqual([
      { state: "pending_approval", profile: "vpn", limit: 5 },
      { state: "upstream_pending" },
      {},
    ]);
  });

  it("fail/GET /requests with a bad state or limit → 400 naming it", async () => {
    const state = await call("/admin/requests?state=bogus");
    expect(state.status).toBe(400);
    expect((await json(state))["error"]).toMatch(/^state: unknown state "bogus"/);
    for (const limit of ["0", "-1", "abc", "1.5"]) {
      const res = await call(`/admin/requests?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect((await json(res))["error"]).toMatch(/^limit: /);
    }
    expect(operator.calls).toHaveLength(0);
  });

  it("ok/GET /requests/:id → {request, history}", async () => {
    const body = await json(await call("/admin/requests/pendingaaaaa"));
    expect(body["request"]).toMatchObject({ id: "pendingaaaaa", state: "pending_approval", sans: ["dns:device.example"] });
    expect(body["request"]).not.toHaveProperty("csr");
    expect(body["history"]).toEqual([expect.objectContaining({ event: "created", actor: "scep" })]);
  });

  it("fail/GET /requests/:id unknown → 404 {error}", async () => {
    const res = await call("/admin/requests/nosuchrecord");
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ error: "no request with id nosuchrecord" });
  });

  it("ok/POST approve → the actor is the token's operator, admin; a body's actor does not rename it", async () => {
    const res = await call("/admin/requests/pendingaaaaa/approve", { method: "POST" });
    expect(res.status).toBe(200);
    expect((await json(res))["request"]).toMatchObject({ id: "pendingaaaaa", state: "issued", serial: "1A2B", decidedBy: "admin" });
    operator.txs.set(pending.id, pending);
    await call("/admin/requests/pendingaaaaa/approve", { method: "POST", json: { actor: "alice" }, headers: { "content-type": "application/json" } });
    expect(operator.calls.map((c) => c.args)).toEqual([["pendingaaaaa", "admin"], ["pendingaaaaa", "admin"]]);
  });

  it("fail/POST approve of an issued request → 409, unknown → 404", async () => {
    const conflict = await call("/admin/requests/issuedaaaaaa/approve", { method: "POST" });
    expect(conflict.status).toBe(409);
    expect((await json(conflict))["error"]).toMatch(/is issued, not pending approval/);
    expect((await call("/admin/requests/nosuchrecord/approve", { method: "POST" })).status).toBe(404);
  });

  it("fail/POST approve with a body that is not a JSON object → 400", async () => {
    for (const body of ["{not json", "[1,2]", "\"alice\"", "null"]) {
      const res = await call("/admin/requests/pendingaaaaa/approve", { method: "POST", body });
      expect(res.status, body).toBe(400);
      expect((await json(res))["error"]).toMatch(/^body: /);
    }
    expect(operator.calls).toHaveLength(0);
  });

  it("ok/POST reject {reason} → {request} rejected with the reason, by the token's operator", async () => {
    const res = await call("/admin/requests/pendingaaaaa/reject", { method: "POST", json: { reason: "  not one of ours ", actor: "bob" } });
    expect(res.status).toBe(200);
    expect((await json(res))["request"]).toMatchObject({ state: "rejected", reason: "not one of ours", decidedBy: "admin" });
    expect(operator.calls[0]?.args).toEqual(["pendingaaaaa", "admin", "not one of ours"]);
  });

  it("fail/POST reject without a reason → 400, the operator is not called", async () => {
    for (const json of [{}, { reason: "" }, { reason: "  " }, { reason: 7 }, { reason: "two\nlines" }]) {
      const res = await call("/admin/requests/pendingaaaaa/reject", { method: "POST", json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect((await res.json() as { error: string }).error).toMatch(/^reason: /);
    }
    expect((await call("/admin/requests/pendingaaaaa/reject", { method: "POST" })).status).toBe(400);
    expect(operator.calls).toHaveLength(0);
  });

  it("fail/POST reject of an issued request → 409", async () => {
    expect((await call("/admin/requests/issuedaaaaaa/reject", { method: "POST", json: { reason: "late" } })).status).toBe(409);
  });

  it("ok/POST /otp defaults: profile default, 1 hour, any subject", async () => {
    const res = await call("/admin/otp", { method: "POST" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ password: "S3CRET-one-time-pw", expiresAt: "2025-01-01T13:00:00.000Z", profile: "default" });
    expect(operator.calls[0]?.args).toEqual(["default", 3_600_000, undefined]);
  });

  it("ok/POST /otp {profile, ttl, subject}: ttl as a duration or as ms", async () => {
    const res = await call("/admin/otp", { method: "POST", json: { profile: "otp", ttl: "30m", subject: "device-7" } });
    expect(await json(res)).toMatchObject({ profile: "otp", subject: "device-7" });
    await call("/admin/otp", { method: "POST", json: { ttl: 90_000 } });
    expect(operator.calls.map((c) => c.args)).toEqual([["otp", 1_800_000, "device-7"], ["default", 90_000, undefined]]);
  });

  it("fail/POST /otp with a bad ttl or subject → 400; unknown profile → 404", async () => {
    for (const json of [{ ttl: "soon" }, { ttl: "0s" }, { ttl: "31d" }, { ttl: -5 }, { ttl: true }, { subject: "" }, { subject: 3 }, { profile: "" }]) {
      const res = await call("/admin/otp", { method: "POST", json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    expect(operator.calls).toHaveLength(0);
    const unknown = await call("/admin/otp", { method: "POST", json: { profile: "nope" } });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({ error: 'unknown profile "nope"' });
  });

  it("fail/unknown admin path or method → 404 JSON", async () => {
    const res = await call("/admin/nope");
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ error: "not found" });
    expect((await call("/admin/requests/pendingaaaaa/approve")).status).toBe(404);
  });

  it("fail/an internal error → 500 {error, requestId}, the detail only in the log", async () => {
    operator.failWith = new Error("redis exploded at 10.0.0.5");
    const res = await call("/admin/requests");
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body["error"]).toBe("internal error");
    expect(body["requestId"]).toBe(res.headers.get("x-request-id"));
    expect(JSON.stringify(body)).not.toContain("10.0.0.5");
    expect(entries.some((e) => e.level === "error" && e.obj["requestId"] === body["requestId"])).toBe(true);
  });

  it("fail/an operator conflict on an unexpected path still maps to 409", async () => {
    operator.failWith = new OperatorError("busy", "conflict");
    expect((await call("/admin/requests")).status).toBe(409);
  });

  it("fail/a body over 16 KiB → 413 JSON", async () => {
    const res = await call("/admin/requests/pendingaaaaa/reject", { method: "POST", json: { reason: "x".repeat(20_000) } });
    expect(res.status).toBe(413);
    expect(await json(res)).toEqual({ error: "request body too large" });
  });

  it("ok/requests are access-logged by path and status only", async () => {
    await call("/admin/requests?state=pending");
    const line = entries.find((e) => e.msg === "request");
    expect(line?.obj).toMatchObject({ method: "GET", path: "/admin/requests", status: 200 });
  });
});

describe("admin API: off without a token", () => {
  it("fail/no admin app mounted → /admin/* is 404", async () => {
    const bare = createEdgeApp({ scep: fakeScep().scep, bodyLimitBytes: 65536, trustProxy: false, logger: recordingLogger().logger });
    for (const path of ["/admin/requests", "/admin/otp", "/admin"]) {
      const res = await bare.request(path, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status, path).toBe(404);
    }
  });

  it("fail/an empty token is refused at construction", () => {
    expect(() => createAdminApp({ operator: new FakeOperator(), token: "", logger: recordingLogger().logger })).toThrow(/token/);
  });
});
