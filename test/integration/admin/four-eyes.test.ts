/**
 * Named operators and four eyes on a real `scepgate serve` process: each
 * operator signs in with its own bearer token (the config holds only its
 * SHA-256, inline or in a file), its role decides what it may do, its name is
 * the actor of its decisions, and a profile with `approvals: 2` needs two
 * different operators before the request is issued (the embedded CA issues
 * inline). The single `admin.token` still works, as operator "admin".
 */
import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { ScepDevice } from "../cli/scep-device.js";

const TOKENS = {
  admin: "fe-admin-token-1c9a5e2b7d3f4a60",
  alice: "fe-alice-token-8b2d4f6a0c1e3579",
  bob: "fe-bob-token-5e7a9c1b3d2f4608a",
  vera: "fe-vera-token-2a4c6e8b0d1f3579",
} as const;
type Who = keyof typeof TOKENS;
const sha256 = (t: string) => createHash("sha256").update(t).digest("hex");

interface Answer {
  status: number;
  body: Record<string, unknown>;
}
interface Req {
  id: string;
  state: string;
  decidedBy?: string;
  approvals?: Array<{ by: string; at: string }>;
}
interface Event {
  event: string;
  actor: string;
}

describe("named operators and four eyes over HTTP", () => {
  let gate: Scepgate;

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "scepgate-fe-"));
    const bobFile = path.join(dir, "bob.sha256");
    await writeFile(bobFile, `${sha256(TOKENS.bob).toUpperCase()}\n`);
    gate = await startScepgate({
      config: {
        admin: {
          token: TOKENS.admin,
          operators: [
            { name: "alice", tokenSha256: sha256(TOKENS.alice), role: "approver" },
            { name: "bob", tokenSha256File: bobFile, role: "approver" },
            { name: "vera", tokenSha256: sha256(TOKENS.vera), role: "viewer" },
          ],
        },
        profiles: { default: { approval: "manual" }, dual: { approval: { mode: "manual", approvals: 2 } } },
      },
    });
  });

  afterAll(async () => {
    await gate?.stop();
  });

  async function as(who: Who, route: string, json?: unknown): Promise<Answer> {
    const res = await fetch(`${gate.baseUrl}/admin${route}`, {
      method: json === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${TOKENS[who]}`, ...(json === undefined ? {} : { "content-type": "application/json" }) },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const approve = (who: Who, id: string) => as(who, `/requests/${id}/approve`, {});
  const show = async (id: string) => (await as("vera", `/requests/${id}`)).body as { request: Req; history: Event[] };

  async function pending(profile: "default" | "dual", name: string): Promise<{ id: string; device: ScepDevice }> {
    const device = await ScepDevice.at(`${gate.baseUrl}/scep/${profile}`, name);
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const { body } = await as("vera", `/requests?state=pending&profile=${profile}`);
    const found = (body["requests"] as Array<Req & { transactionId: string }>).find((r) => r.transactionId === device.transactionId);
    expect(found?.state).toBe("pending_approval");
    return { id: found!.id, device };
  }

  it("fail/viewer: lists and shows, but approve, reject and OTP are 403 and the request stays pending", async () => {
    const { id } = await pending("default", "fe-viewer-1");
    expect((await as("vera", "/requests")).status).toBe(200);
    const denied = await approve("vera", id);
    expect(denied.status).toBe(403);
    expect(denied.body["error"]).toMatch(/operator vera \(viewer\) may not approve/);
    expect((await as("vera", `/requests/${id}/reject`, { reason: "no" })).status).toBe(403);
    expect((await as("vera", "/otp", { profile: "default" })).status).toBe(403);
    expect((await as("alice", "/otp", { profile: "default" })).status).toBe(403);
    expect((await show(id)).request.state).toBe("pending_approval");
  });

  it("ok/approver: one approval issues a plain manual request, decidedBy and the audit actor are its name", async () => {
    const { id, device } = await pending("default", "fe-single-1");
    const ok = await approve("alice", id);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body["request"]).toMatchObject({ state: "issued", decidedBy: "alice", approvals: [{ by: "alice" }] });
    expect((await show(id)).history.map((e) => `${e.event}/${e.actor}`)).toEqual(expect.arrayContaining(["approved/alice"]));
    expect((await device.poll()).status).toBe(PkiStatus.SUCCESS);
  });

  it("ok/approvals 2: one approval leaves it pending, the same operator again is 409, a second operator issues it", async () => {
    const { id, device } = await pending("dual", "fe-dual-1");
    const first = await approve("alice", id);
    expect(first.status).toBe(200);
    expect(first.body["request"]).toMatchObject({ state: "pending_approval", approvals: [{ by: "alice" }] });
    expect((await device.poll()).status).toBe(PkiStatus.PENDING);

    const again = await approve("alice", id);
    expect(again.status).toBe(409);
    expect(again.body["error"]).toBe(`request ${id} is already approved by alice, waiting for a second operator`);
    expect((await show(id)).request).toMatchObject({ state: "pending_approval", approvals: [{ by: "alice" }] });

    const second = await approve("bob", id);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body["request"]).toMatchObject({ state: "issued", decidedBy: "bob", approvals: [{ by: "alice" }, { by: "bob" }] });
    const { history } = await show(id);
    expect(history.map((e) => `${e.event}/${e.actor}`)).toEqual(["created/policy", "approval/alice", "approval/bob", "approved/bob", "issued/upstream"]);
    expect((await device.poll()).status).toBe(PkiStatus.SUCCESS);
  });

  it("fail/approvals 2: a reject after one approval is final", async () => {
    const { id, device } = await pending("dual", "fe-dual-reject-1");
    expect((await approve("alice", id)).status).toBe(200);
    const rejected = await as("bob", `/requests/${id}/reject`, { reason: "not ours" });
    expect(rejected.body["request"]).toMatchObject({ state: "rejected", decidedBy: "bob", approvals: [{ by: "alice" }] });
    const late = await approve("admin", id);
    expect(late.status).toBe(409);
    expect(late.body["error"]).toMatch(/is rejected, not pending approval/);
    expect((await device.poll()).status).toBe(PkiStatus.FAILURE);
    expect((await show(id)).history.map((e) => `${e.event}/${e.actor}`)).toEqual(["created/policy", "approval/alice", "rejected/bob"]);
  });

  it("ok/approvals 2: two operators approving at the same moment (20 rounds) move it exactly once, both recorded", async () => {
    for (let round = 0; round < 20; round++) {
      const { id } = await pending("dual", `fe-race-${round}`);
      const answers = await Promise.all([approve("alice", id), approve("bob", id)]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      const states = answers.map((a) => (a.body["request"] as Req).state).sort();
      expect(states).toEqual(["issued", "pending_approval"]);
      const { request, history } = await show(id);
      expect(request.state).toBe("issued");
      expect(request.approvals?.map((a) => a.by).sort()).toEqual(["alice", "bob"]);
      expect(history.filter((e) => e.event === "approved")).toHaveLength(1);
      expect(history.filter((e) => e.event === "issued")).toHaveLength(1);
      expect(history.filter((e) => e.event === "approval").map((e) => e.actor).sort()).toEqual(["alice", "bob"]);
    }
  });

  it("ok/admin.token still works as operator admin (role admin: OTP too); no token reaches the log", async () => {
    const { id } = await pending("dual", "fe-admin-1");
    expect((await as("admin", "/otp", { profile: "default" })).status).toBe(200);
    expect((await approve("admin", id)).body["request"]).toMatchObject({ state: "pending_approval", approvals: [{ by: "admin" }] });
    expect((await approve("alice", id)).body["request"]).toMatchObject({ state: "issued", decidedBy: "alice" });
    const log = gate.output();
    for (const token of Object.values(TOKENS)) expect(log).not.toContain(token);
  });
});
