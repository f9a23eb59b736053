/**
 * The operator web page (src/edge/ui/ui-app.ts) mounted in the admin API and
 * the edge app as `scepgate serve` mounts it, driven with app.request():
 * sign-in, cookie attributes, rate limit, CSRF and origin checks, security
 * headers, and the pages over a fake operator.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminApp } from "../../../src/edge/admin-routes.js";
import { createEdgeApp } from "../../../src/edge/app.js";
import { createAdminUiApp } from "../../../src/edge/ui/ui-app.js";
import { lastDayQuery, statsFromTransactions } from "../../../src/ra/request-stats.js";
import type { RequestStats } from "../../../src/ra/ports.js";
import { FakeOperator, sampleTx } from "../cli/fake-operator.js";
import { fakeScep, recordingLogger, type LogEntry } from "./fakes.js";

const TOKEN = "ui-unit-token-5a7c9e1b3d";
const UI = "http://scep.test/admin/ui";

class UiOperator extends FakeOperator {
  async stats(filter: { profile?: string }): Promise<RequestStats> {
    this.calls.push({ method: "stats", args: [filter] });
    return statsFromTransactions([...this.txs.values()], lastDayQuery(new Date(), filter.profile));
  }
}

let operator: UiOperator;
let entries: LogEntry[];
let app: ReturnType<typeof createEdgeApp>;

function build(trustProxy = false): void {
  const rec = recordingLogger();
  entries = rec.entries;
  const ui = createAdminUiApp({ operator, token: TOKEN, logger: rec.logger, trustProxy, profiles: ["default", "vpn"] });
  const admin = createAdminApp({ operator, token: TOKEN, logger: rec.logger, ui });
  app = createEdgeApp({ scep: fakeScep().scep, bodyLimitBytes: 65536, trustProxy, logger: rec.logger, admin });
}

beforeEach(() => {
  operator = new UiOperator([
    sampleTx({ id: "pendingaaaaa", commonName: "router-1", subject: "CN=router-1,O=lab", createdAt: "2025-01-01T10:00:00.000Z" }),
    sampleTx({ id: "issuedbbbbbb", state: "issued", commonName: "phone-2", createdAt: "2025-01-02T10:00:00.000Z" }),
    sampleTx({ id: "vpnccccccccc", profile: "vpn", commonName: "<script>alert(1)</script>", transactionId: "TXID-VPN-77" }),
  ]);
  build();
});

function form(fields: Record<string, string | string[]>): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x);
  return p;
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  return app.request(`${UI}${path}`, init);
}

/** Signs in; the cookie header value and the session's CSRF token (read from the page). */
async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const res = await request("/sign-in", { method: "POST", body: form({ token: TOKEN }) });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const page = await (await request("/", { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  return { cookie, csrf };
}

function post(path: string, s: { cookie: string }, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
  return request(path, { method: "POST", headers: { cookie: s.cookie, ...headers }, body: form(fields) });
}

describe("web page: signing in and out", () => {
  it("ok/not signed in: pages redirect to the sign-in form; /live is 401", async () => {
    for (const path of ["/", "/requests/pendingaaaaa"]) {
      const res = await request(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe("/admin/ui/sign-in");
    }
    expect((await request("/live")).status).toBe(401);
    const page = await request("/sign-in");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<label for="token">Admin token<\/label>[\s\S]*<input type="password" id="token" name="token"/);
    expect(operator.calls).toEqual([]);
  });

  it("fail/wrong token → 401, the form again with an error, no cookie; the token is not logged", async () => {
    const res = await request("/sign-in", { method: "POST", body: form({ token: `${TOKEN}x` }) });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toMatch(/role="alert"[^>]*>Wrong token/);
    expect(JSON.stringify(entries)).not.toContain(TOKEN);
  });

  it("ok/right token → 303 to the list with the session cookie: HttpOnly, SameSite=Strict, Path=/admin, not Secure over HTTP", async () => {
    const res = await request("/sign-in", { method: "POST", body: form({ token: TOKEN }) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/ui/");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^scepgate_admin_session=[A-Za-z0-9_.-]+; /);
    expect(cookie).toContain("Path=/admin");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("Secure");
    expect(cookie).not.toMatch(/Expires|Max-Age/); // a browser-session cookie
    expect(cookie).not.toContain(TOKEN);
  });

  it("ok/Secure over HTTPS, and behind a trusted proxy that says X-Forwarded-Proto: https (only then)", async () => {
    const https = await app.request("https://scep.test/admin/ui/sign-in", { method: "POST", body: form({ token: TOKEN }) });
    expect(https.headers.get("set-cookie")).toContain("Secure");
    const forwarded = { method: "POST", headers: { "x-forwarded-proto": "https" } };
    expect((await request("/sign-in", { ...forwarded, body: form({ token: TOKEN }) })).headers.get("set-cookie")).not.toContain("Secure");
    build(true);
    expect((await request("/sign-in", { ...forwarded, body: form({ token: TOKEN }) })).headers.get("set-cookie")).toContain("Secure");
  });

  it("fail/after 5 wrong tokens from an address the 6th try is 429 with Retry-After, even with the right token", async () => {
    build(true);
    const from = (ip: string) => ({ "x-forwarded-for": ip });
    for (let i = 0; i < 5; i++) {
      expect((await request("/sign-in", { method: "POST", headers: from("198.51.100.9"), body: form({ token: "nope" }) })).status).toBe(401);
    }
    const limited = await request("/sign-in", { method: "POST", headers: from("198.51.100.9"), body: form({ token: TOKEN }) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.text()).toContain("Too many wrong tokens");
    expect((await request("/sign-in", { method: "POST", headers: from("198.51.100.10"), body: form({ token: TOKEN }) })).status).toBe(303);
  });

  it("fail/a cross-site sign-in POST → 403", async () => {
    const res = await request("/sign-in", { method: "POST", headers: { "sec-fetch-site": "cross-site" }, body: form({ token: TOKEN }) });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("ok/sign-out (with the CSRF token) clears the cookie and ends the session; without it → 403", async () => {
    const s = await signIn();
    expect((await post("/sign-out", s, {})).status).toBe(403);
    const out = await post("/sign-out", s, { csrf: s.csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/admin/ui/sign-in?signed-out=1");
    expect(out.headers.get("set-cookie")).toMatch(/^scepgate_admin_session=; Max-Age=0; Path=\/admin/);
    expect((await request("/", { headers: { cookie: s.cookie } })).status).toBe(303);
  });

  it("ok/the bearer token alone does not open the page, and the JSON API still wants it", async () => {
    const res = await request("/", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(303);
    const s = await signIn();
    expect((await app.request("http://scep.test/admin/requests", { headers: { cookie: s.cookie } })).status).toBe(401);
    expect((await app.request("http://scep.test/admin/requests", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});

describe("web page: CSRF and origin checks on state-changing requests", () => {
  it("fail/approve without the CSRF token, with a wrong one, or another session's → 403, the operator is not asked", async () => {
    const s = await signIn();
    const other = await signIn();
    const attempts: Record<string, string>[] = [{}, { csrf: "A".repeat(43) }, { csrf: other.csrf }];
    for (const fields of attempts) {
      const res = await post("/requests/pendingaaaaa/approve", s, fields);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("This request was refused");
    }
    expect(operator.calls.filter((c) => c.method === "approve")).toEqual([]);
    expect(entries.filter((e) => e.msg === "admin web page request refused").map((e) => e.obj["reason"])).toEqual([
      "no CSRF token", "wrong CSRF token", "wrong CSRF token",
    ]);
  });

  it("fail/the right token from another site (Sec-Fetch-Site or Origin) → 403; a POST with no session → 403", async () => {
    const s = await signIn();
    const foreign: Record<string, string>[] = [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "http://evil.test" }, { origin: "null" }];
    for (const headers of foreign) {
      expect((await post("/requests/pendingaaaaa/approve", s, { csrf: s.csrf }, headers)).status, JSON.stringify(headers)).toBe(403);
    }
    const none = await request("/requests/pendingaaaaa/approve", { method: "POST", body: form({ csrf: s.csrf }) });
    expect(none.status).toBe(403);
    expect(operator.calls.filter((c) => c.method === "approve")).toEqual([]);
  });

  it("ok/same origin with the token (form field or X-CSRF-Token header) → approved", async () => {
    const s = await signIn();
    const res = await post("/requests/pendingaaaaa/approve", s, { csrf: s.csrf }, { "sec-fetch-site": "same-origin", origin: "http://scep.test" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/ui/?notice=approved&id=pendingaaaaa");
    expect(operator.calls.find((c) => c.method === "approve")?.args).toEqual(["pendingaaaaa", "admin"]);
    operator.txs.set("pendingaaaaa", sampleTx({ id: "pendingaaaaa" }));
    const viaHeader = await request("/requests/pendingaaaaa/approve", { method: "POST", headers: { cookie: s.cookie, "x-csrf-token": s.csrf } });
    expect(viaHeader.status).toBe(303);
  });
});

describe("web page: security headers", () => {
  it("ok/every response — pages, errors, assets — has CSP, no framing, no referrer, no-store", async () => {
    const s = await signIn();
    const responses = [
      await request("/sign-in"),
      await request("/", { headers: { cookie: s.cookie } }),
      await request("/nope", { headers: { cookie: s.cookie } }),
      await post("/requests/pendingaaaaa/approve", s, {}),
      await request("/assets/admin-ui.js"),
    ];
    for (const res of responses) {
      expect(res.headers.get("content-security-policy")).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
      );
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404, 403, 200]);
  });

  it("ok/the assets are served without a session; pages have no inline script or style", async () => {
    const js = await request("/assets/admin-ui.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain("use strict");
    expect((await request("/assets/admin-ui.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    const s = await signIn();
    for (const path of ["/", "/requests/pendingaaaaa", "/sign-in"]) {
      const html = await (await request(path, { headers: { cookie: s.cookie } })).text();
      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(html, path).not.toMatch(/\sstyle=|<style/);
      expect(html, path).not.toMatch(/\son[a-z]+=/);
    }
  });
});

describe("web page: list, detail and decisions", () => {
  it("ok/the list: pending first, counts per state, the chart, escaped subjects, checkboxes only for pending", async () => {
    const s = await signIn();
    const html = await (await request("/", { headers: { cookie: s.cookie } })).text();
    const order = [...html.matchAll(/<tr id="row-([a-z0-9]+)"/g)].map((m) => m[1]);
    expect(order[0]).toMatch(/^(pendingaaaaa|vpnccccccccc)$/);
    expect(order.at(-1)).toBe("issuedbbbbbb");
    expect(html).toContain('data-pending="2"');
    expect(html).toContain('<figure class="chart">');
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain('id="sel-pendingaaaaa" name="id" value="pendingaaaaa" form="bulk-form"');
    expect(html).not.toContain('id="sel-issuedbbbbbb"');
    expect(html).toMatch(/<label for="sel-pendingaaaaa" class="visually-hidden">Select router-1<\/label>/);
  });

  it("ok/filters: state, profile, search by transactionID; a bad state → 400 page", async () => {
    const s = await signIn();
    const rows = async (query: string) =>
      [...(await (await request(`/?${query}`, { headers: { cookie: s.cookie } })).text()).matchAll(/<tr id="row-([a-z0-9]+)"/g)].map((m) => m[1]);
    expect(await rows("state=issued")).toEqual(["issuedbbbbbb"]);
    expect(await rows("profile=vpn")).toEqual(["vpnccccccccc"]);
    expect(await rows("q=txid-vpn")).toEqual(["vpnccccccccc"]);
    expect(await rows("q=ROUTER-1")).toEqual(["pendingaaaaa"]);
    const bad = await request("/?state=nope", { headers: { cookie: s.cookie } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("state: unknown state");
  });

  it("ok//live: the counts, chart and table alone, for the script to swap in", async () => {
    const s = await signIn();
    const res = await request("/live?state=pending", { headers: { cookie: s.cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<div data-part="summary">[\s\S]*<div data-part="table">/);
    expect(html).not.toContain("<html");
  });

  it("ok/detail page: the request's facts, the audit history, Approve and Reject behind dialogs; unknown id → 404", async () => {
    const s = await signIn();
    const html = await (await request("/requests/pendingaaaaa", { headers: { cookie: s.cookie } })).text();
    for (const text of ["CN=router-1,O=lab", "RSA 2048", "192.0.2.7", "scepclient/1.0", "valid (static password)", "<th scope=\"row\">created</th>"]) {
      expect(html).toContain(text);
    }
    expect(html).toContain("the stored CSR cannot be read"); // the fake's CSR is not DER
    expect(html).toMatch(/<dialog id="approve-dialog"[\s\S]*<input type="hidden" name="csrf" value="[^"]+">/);
    expect(html).toMatch(/<label for="reject-reason">Reason<\/label>\s*<input type="text" id="reject-reason" name="reason" required/);
    const issued = await (await request("/requests/issuedbbbbbb", { headers: { cookie: s.cookie } })).text();
    expect(issued).not.toContain("approve-dialog");
    expect((await request("/requests/nosuchrecord", { headers: { cookie: s.cookie } })).status).toBe(404);
  });

  it("ok/approve → 303 to the list naming it; approving again → 409 on the detail page", async () => {
    const s = await signIn();
    await post("/requests/pendingaaaaa/approve", s, { csrf: s.csrf });
    const list = await (await request("/?notice=approved&id=pendingaaaaa", { headers: { cookie: s.cookie } })).text();
    expect(list).toMatch(/role="status">Approved the request of router-1\./);
    const again = await post("/requests/pendingaaaaa/approve", s, { csrf: s.csrf });
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/role="alert">request pendingaaaaa is issued, not pending approval/);
  });

  it("ok/reject needs a reason (400 on the page without); with one the operator gets it, as the signed-in operator (admin)", async () => {
    const s = await signIn();
    const missing = await post("/requests/pendingaaaaa/reject", s, { csrf: s.csrf, reason: "  " });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("reason: must not be empty");
    const res = await post("/requests/pendingaaaaa/reject", s, { csrf: s.csrf, reason: "unknown serial" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/ui/?notice=rejected&id=pendingaaaaa");
    expect(operator.calls.find((c) => c.method === "reject")?.args).toEqual(["pendingaaaaa", "admin", "unknown serial"]);
  });

  it("ok/bulk approve: each well-formed id once; a request no longer pending is counted, not fatal; none → a notice", async () => {
    const s = await signIn();
    const res = await post("/requests/approve", s, { csrf: s.csrf, id: ["pendingaaaaa", "vpnccccccccc", "issuedbbbbbb", "pendingaaaaa", "../etc"] });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/ui/?notice=bulk&ok=2&failed=1");
    expect(operator.calls.filter((c) => c.method === "approve").map((c) => c.args[0])).toEqual(["pendingaaaaa", "vpnccccccccc", "issuedbbbbbb"]);
    const list = await (await request("/?notice=bulk&ok=2&failed=1", { headers: { cookie: s.cookie } })).text();
    expect(list).toContain("Approved 2 requests. 1 request could not be approved");
    const none = await post("/requests/approve", s, { csrf: s.csrf });
    expect(none.headers.get("location")).toBe("/admin/ui/?notice=none-selected");
  });

  it("ok/an unexpected operator failure → 500 page with a request id; the detail only in the log", async () => {
    const s = await signIn();
    operator.failWith = new Error("redis exploded");
    const res = await request("/requests/pendingaaaaa", { headers: { cookie: s.cookie } });
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).not.toContain("redis exploded");
    expect(html).toContain(`request ${res.headers.get("x-request-id")}`);
    expect(entries.some((e) => e.msg === "admin web page internal error")).toBe(true);
  });
});
