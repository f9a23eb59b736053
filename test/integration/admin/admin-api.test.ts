/**
 * The admin API over HTTP on a real `scepgate serve` process with
 * `admin.token` set: no or wrong token → 401; the right one lists, shows,
 * approves and rejects what a real device sent, and issues one-time
 * passwords that work once. The token never appears in the process's log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, PkiStatus } from "../../../src/protocol/index.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { ScepDevice } from "../cli/scep-device.js";

const TOKEN = "it-admin-token-5f0c2a9e7b1d4e38";

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe("admin API over HTTP", () => {
  let gate: Scepgate;

  beforeAll(async () => {
    gate = await startScepgate({
      config: {
        admin: { token: TOKEN },
        profiles: { default: { approval: "manual" }, otp: { challenge: { mode: "otp" } } },
      },
    });
  });

  afterAll(async () => {
    await gate?.stop();
  });

  async function admin(path: string, o: { method?: string; token?: string | null; json?: unknown } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    const token = o.token === undefined ? TOKEN : o.token;
    if (token !== null) headers["authorization"] = `Bearer ${token}`;
    if (o.json !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${gate.baseUrl}/admin${path}`, {
      method: o.method ?? "GET",
      headers,
      body: o.json === undefined ? undefined : JSON.stringify(o.json),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  async function pendingId(device: ScepDevice): Promise<string> {
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const { body } = await admin("/requests?state=pending");
    const found = (body["requests"] as Array<{ id: string; transactionId: string; state: string }>).find((r) => r.transactionId === device.transactionId);
    expect(found?.state).toBe("pending_approval");
    return found!.id;
  }

  it("fail/no token → 401 unauthorized with WWW-Authenticate: Bearer", async () => {
    const a = await admin("/requests", { token: null });
    expect(a.status).toBe(401);
    expect(a.headers.get("www-authenticate")).toBe("Bearer");
    expect(a.body).toEqual({ error: "unauthorized" });
  });

  it("fail/wrong token → 401, on every route", async () => {
    for (const [method, path] of [["GET", "/requests"], ["GET", "/requests/abc"], ["POST", "/requests/abc/approve"], ["POST", "/otp"]]) {
      const a = await admin(path!, { method, token: `${TOKEN.slice(0, -1)}0` });
      expect(a.status, path).toBe(401);
      expect(a.body).toEqual({ error: "unauthorized" });
    }
  });

  it("ok/right token: list, show, approve → the device's poll gets its certificate", async () => {
    const device = await ScepDevice.at(gate.url, "admin-approve-1");
    const id = await pendingId(device);

    const shown = await admin(`/requests/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body["request"]).toMatchObject({ id, state: "pending_approval", key: { type: "rsa", bits: 2048 } });
    expect(shown.body["request"]).not.toHaveProperty("csr");
    expect((await admin(`/requests/${id}?full=1`)).body["request"]).toHaveProperty("csr");
    expect(shown.body["history"]).toEqual([expect.objectContaining({ event: "created", to: "pending_approval" })]);

    const approved = await admin(`/requests/${id}/approve`, { method: "POST", json: { actor: "ops" } });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    // admin.token is the operator "admin"; a body's actor no longer renames it (four eyes counts operators).
    expect(approved.body["request"]).toMatchObject({ id, state: "issued", decidedBy: "admin", approvals: [{ by: "admin" }] });
    expect((approved.body["request"] as Record<string, unknown>)["serial"]).toMatch(/^[0-9a-fA-F]+$/);

    const rep = await device.poll();
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    expect(device.gotCertificate(rep)).toBe(true);

    const again = await admin(`/requests/${id}/approve`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(again.body["error"]).toMatch(/is issued/);
  });

  it("ok/reject with a reason → the device's poll gets FAILURE with it; without one → 400", async () => {
    const device = await ScepDevice.at(gate.url, "admin-reject-1");
    const id = await pendingId(device);
    const missing = await admin(`/requests/${id}/reject`, { method: "POST", json: {} });
    expect(missing.status).toBe(400);
    expect(missing.body["error"]).toMatch(/^reason: /);

    const rejected = await admin(`/requests/${id}/reject`, { method: "POST", json: { reason: "unknown serial number" } });
    expect(rejected.status).toBe(200);
    expect(rejected.body["request"]).toMatchObject({ state: "rejected", decidedBy: "admin", reason: "unknown serial number" });

    const rep = await device.poll();
    expect(rep.status).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo).toBe(FailInfo.badRequest);
    expect(rep.failInfoText).toBe("unknown serial number");
  });

  it("fail/unknown request → 404 JSON", async () => {
    const a = await admin("/requests/nosuchrecord");
    expect(a.status).toBe(404);
    expect(a.body).toEqual({ error: "no request with id nosuchrecord" });
  });

  it("ok/POST /otp: the password works once as the challenge of an otp profile", async () => {
    const issued = await admin("/otp", { method: "POST", json: { profile: "otp", ttl: "5m" } });
    expect(issued.status).toBe(200);
    const password = issued.body["password"] as string;
    expect(Date.parse(issued.body["expiresAt"] as string) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(issued.headers.get("cache-control")).toBe("no-store");

    const first = await ScepDevice.at(`${gate.baseUrl}/scep/otp`, "admin-otp-1");
    expect((await first.enroll(password)).status).toBe(PkiStatus.SUCCESS);
    const second = await ScepDevice.at(`${gate.baseUrl}/scep/otp`, "admin-otp-2");
    expect((await second.enroll(password)).status).toBe(PkiStatus.FAILURE);
  });

  it("ok/the token and the one-time passwords never reach the log", async () => {
    const issued = await admin("/otp", { method: "POST", json: { profile: "otp" } });
    const log = gate.output();
    expect(log).toMatch(/admin request refused/);
    expect(log).toMatch(/"path":"\/admin\/requests"/);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(TOKEN.slice(0, -1));
    expect(log).not.toContain(issued.body["password"] as string);
  });
});
