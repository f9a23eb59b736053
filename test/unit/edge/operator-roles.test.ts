/**
 * Named operators (src/edge/operator-accounts.ts) on the admin API and the
 * web page, with a fake operator: which token is whom, what each role may
 * do, the name recorded as actor, sessions bound to the operator, and the
 * four-eyes labels of the page.
 */
import { createHash } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminApp } from "../../../src/edge/admin-routes.js";
import { createEdgeApp } from "../../../src/edge/app.js";
import { OperatorAccounts, may } from "../../../src/edge/operator-accounts.js";
import { SessionKeeper } from "../../../src/edge/ui/session.js";
import { createAdminUiApp } from "../../../src/edge/ui/ui-app.js";
import { approveLabel, approvalsLine } from "../../../src/edge/ui/views/approvals.js";
import { lastDayQuery, statsFromTransactions } from "../../../src/ra/request-stats.js";
import type { RequestStats } from "../../../src/ra/ports.js";
import { FakeOperator, sampleTx } from "../cli/fake-operator.js";
import { fakeScep, recordingLogger } from "./fakes.js";

const TOKENS = { alice: "alice-token-0123456789abcdef", vera: "vera-token-0123456789abcdef", root: "root-token-0123456789abcdef" };
const sha256 = (t: string) => createHash("sha256").update(t).digest("hex");
const UI = "http://scep.test/admin/ui";
const SECRET = Buffer.alloc(32, 7);

class UiOperator extends FakeOperator {
  async stats(filter: { profile?: string }): Promise<RequestStats> {
    return statsFromTransactions([...this.txs.values()], lastDayQuery(new Date(), filter.profile));
  }
}

function accounts(): OperatorAccounts {
  return new OperatorAccounts({
    operators: [
      { name: "alice", role: "approver", tokenSha256: sha256(TOKENS.alice) },
      { name: "vera", role: "viewer", tokenSha256: sha256(TOKENS.vera).toUpperCase() },
      { name: "root", role: "admin", tokenSha256: sha256(TOKENS.root) },
    ],
  });
}

let operator: UiOperator;
let app: ReturnType<typeof createEdgeApp>;

beforeEach(() => {
  operator = new UiOperator([sampleTx({ id: "pendingaaaaa", commonName: "router-1" })]);
  const { logger } = recordingLogger();
  const accs = accounts();
  const ui = createAdminUiApp({ operator, accounts: accs, sessionSecret: SECRET, logger, trustProxy: false, profiles: ["default"], approvals: () => 2 });
  app = createEdgeApp({ scep: fakeScep().scep, bodyLimitBytes: 65536, trustProxy: false, logger, admin: createAdminApp({ operator, accounts: accs, logger, ui }) });
});

const api = (who: keyof typeof TOKENS, path: string, json?: unknown) =>
  Promise.resolve(app.request(`/admin${path}`, {
    method: json === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${TOKENS[who]}`, "content-type": "application/json" },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  }));

describe("OperatorAccounts", () => {
  it("ok/each token is its operator; a wrong one is nobody; the single token is admin", () => {
    const a = accounts();
    expect(a.authenticate(TOKENS.alice)).toEqual({ name: "alice", role: "approver" });
    expect(a.authenticate(TOKENS.vera)).toEqual({ name: "vera", role: "viewer" });
    expect(a.authenticate(`${TOKENS.alice}x`)).toBeUndefined();
    expect(new OperatorAccounts({ token: "single-token-0123456789" }).authenticate("single-token-0123456789")).toEqual({ name: "admin", role: "admin" });
    expect(a.byName("vera")?.tokenSha256).toBe(sha256(TOKENS.vera));
  });

  it("ok/roles: viewer views; approver also decides; admin also issues OTPs", () => {
    expect([may("viewer", "view"), may("viewer", "decide"), may("viewer", "otp")]).toEqual([true, false, false]);
    expect([may("approver", "view"), may("approver", "decide"), may("approver", "otp")]).toEqual([true, true, false]);
    expect([may("admin", "view"), may("admin", "decide"), may("admin", "otp")]).toEqual([true, true, true]);
  });

  it("fail/a bad digest, a name twice or an empty token is refused", () => {
    expect(() => new OperatorAccounts({ operators: [{ name: "x", role: "viewer", tokenSha256: "abc" }] })).toThrow(/64 hex/);
    const twice = { name: "x", role: "viewer" as const, tokenSha256: sha256("t") };
    expect(() => new OperatorAccounts({ operators: [twice, twice] })).toThrow(/twice/);
    expect(() => new OperatorAccounts({ token: "" })).toThrow(/empty/);
  });
});

describe("admin API: roles", () => {
  it("fail/viewer: list 200, approve/reject/otp 403, the operator is not called to decide", async () => {
    expect((await api("vera", "/requests")).status).toBe(200);
    const denied = await api("vera", "/requests/pendingaaaaa/approve", {});
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ error: "forbidden: operator vera (viewer) may not approve or reject requests" });
    expect((await api("vera", "/requests/pendingaaaaa/reject", { reason: "no" })).status).toBe(403);
    expect((await api("vera", "/otp", {})).status).toBe(403);
    expect(operator.calls.filter((c) => c.method !== "list")).toEqual([]);
  });

  it("ok/approver decides as its name but may not issue OTPs; admin may", async () => {
    expect((await api("alice", "/requests/pendingaaaaa/approve", {})).status).toBe(200);
    expect(operator.calls.find((c) => c.method === "approve")?.args).toEqual(["pendingaaaaa", "alice"]);
    expect((await api("alice", "/otp", {})).status).toBe(403);
    expect((await api("root", "/otp", {})).status).not.toBe(403);
  });
});

describe("web page: operators", () => {
  async function signIn(who: keyof typeof TOKENS): Promise<{ cookie: string; page: string }> {
    const res = await app.request(`${UI}/sign-in`, { method: "POST", body: new URLSearchParams({ token: TOKENS[who] }) });
    expect(res.status).toBe(303);
    const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
    return { cookie, page: await (await app.request(`${UI}/requests/pendingaaaaa`, { headers: { cookie } })).text() };
  }

  it("ok/the session names the operator; an approver's decision is recorded as its name; the button says 1 of 2", async () => {
    const { cookie, page } = await signIn("alice");
    expect(cookie).toMatch(/\.alice$/);
    expect(page).toContain("Approve (1 of 2)…");
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await app.request(`${UI}/requests/pendingaaaaa/approve`, { method: "POST", headers: { cookie }, body: new URLSearchParams({ csrf }) });
    expect(res.status).toBe(303);
    expect(operator.calls.find((c) => c.method === "approve")?.args).toEqual(["pendingaaaaa", "alice"]);
  });

  it("fail/a viewer sees no Approve or Reject, and a POST is 403", async () => {
    const { cookie, page } = await signIn("vera");
    expect(page).not.toContain("Approve (");
    expect(page).not.toContain("Reject…");
    const list = await (await app.request(`${UI}/`, { headers: { cookie } })).text();
    expect(list).not.toContain('id="bulk-form"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await app.request(`${UI}/requests/pendingaaaaa/approve`, { method: "POST", headers: { cookie }, body: new URLSearchParams({ csrf }) });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Operator vera (viewer) may not approve or reject requests.");
    expect(operator.calls.some((c) => c.method === "approve")).toBe(false);
  });

  it("fail/a session ends when its operator's token changes or the operator is removed; a forged name is refused", () => {
    const binding = new Map([["alice", sha256("one")]]);
    const keeper = new SessionKeeper({ secret: SECRET, binding: (n) => binding.get(n) });
    const { cookie, session } = keeper.issue("alice");
    expect(keeper.verify(cookie)).toEqual(session);
    expect(keeper.verify(cookie.replace(/alice$/, "bob"))).toBeUndefined();
    binding.set("alice", sha256("two"));
    expect(keeper.verify(cookie)).toBeUndefined();
    binding.delete("alice");
    expect(keeper.verify(cookie)).toBeUndefined();
  });
});

describe("four-eyes labels", () => {
  it("ok/Approve (n of N) and the list line name the approvers", () => {
    const one = sampleTx({ approvals: [{ by: "alice", at: "2025-01-01T00:00:00.000Z" }] });
    expect(approveLabel(sampleTx({}), 1)).toBe("Approve");
    expect(approveLabel(sampleTx({}), 2)).toBe("Approve (1 of 2)");
    expect(approveLabel(one, 2)).toBe("Approve (2 of 2)");
    expect(String(approvalsLine(one, 2))).toContain("1 of 2 approvals: alice");
    expect(approvalsLine(sampleTx({}), 1)).toBe("");
  });
});
