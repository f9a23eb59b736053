/**
 * The operator web page in a real browser (Debian's Chromium via
 * playwright-core) against a real `scepgate serve` (manual approval, the
 * embedded CA) and real SCEP devices (PKCSReq and CertPoll built by
 * src/protocol): sign in, watch a request arrive without reloading, approve
 * and reject it in the page, and check what the device's next poll gets.
 * Screenshots of the list and of a detail view go to test-artifacts/ui/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, PkiStatus } from "../../src/protocol/index.js";
import { transactionRecordId } from "../../src/ra/ids.js";
import { REPO_ROOT, startScepgate, type Scepgate } from "../harness/scepgate.js";
import { ScepDevice } from "../integration/cli/scep-device.js";
import { launchBrowser, type TestBrowser } from "./browser.js";
import { enrollWithExtensions } from "./rich-request.js";

const TOKEN = "ui-admin-token-7c1e93b0a4d25f68";
const SHOTS = join(REPO_ROOT, "test-artifacts", "ui");

describe("operator web page in Chromium", () => {
  let gate: Scepgate;
  let browser: TestBrowser;
  let page: Page;
  let ui: string;
  /** Script errors and console errors (CSP violations are reported there) on any page. */
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gate = await startScepgate({
      config: { admin: { token: TOKEN }, profiles: { default: { approval: "manual" }, lab: { approval: "manual" } } },
    });
    ui = `${gate.baseUrl}/admin/ui`;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("response", (r) => r.status() === 404 && problems.push(`404: ${r.url()}`));
  });

  afterAll(async () => {
    await browser?.close();
    await gate?.stop();
  });

  /** A new device whose PKCSReq got PENDING; its record id. */
  async function pendingDevice(cn: string, profile = "default"): Promise<{ device: ScepDevice; id: string }> {
    const url = profile === "default" ? gate.url : `${gate.baseUrl}/scep/${profile}`;
    const device = await ScepDevice.at(url, cn);
    const rep = await device.enroll();
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.PENDING);
    return { device, id: transactionRecordId(profile, device.transactionId) };
  }

  async function sessionCookie(): Promise<string> {
    const cookie = (await browser.context.cookies(`${ui}/`)).find((c) => c.name === "scepgate_admin_session");
    expect(cookie).toBeDefined();
    return `${cookie!.name}=${cookie!.value}`;
  }

  it("fail/a wrong token cannot sign in: 401, the form again with an error, no cookie", async () => {
    await page.goto(`${ui}/`);
    expect(new URL(page.url()).pathname).toBe("/admin/ui/sign-in");
    await page.fill("#token", `${TOKEN}-wrong`);
    const [response] = await Promise.all([page.waitForNavigation(), page.press("#token", "Enter")]);
    expect(response?.status()).toBe(401);
    expect(await page.textContent('[role="alert"]')).toContain("Wrong token");
    expect(await page.getAttribute("#token", "aria-invalid")).toBe("true");
    await page.screenshot({ path: join(SHOTS, "sign-in-error.png") });
    expect(await browser.context.cookies(`${ui}/`)).toEqual([]);
  });

  it("ok/sign in with the admin token: the list, a session cookie that is HttpOnly, SameSite=Strict, Path=/admin", async () => {
    await page.fill("#token", TOKEN);
    await Promise.all([page.waitForURL(`${ui}/`), page.click('button[type="submit"]')]);
    expect(await page.textContent("h1")).toBe("Requests");
    const [cookie] = await browser.context.cookies(`${ui}/`);
    expect(cookie).toMatchObject({ name: "scepgate_admin_session", httpOnly: true, sameSite: "Strict", path: "/admin", secure: false });
    expect(cookie!.value).not.toContain(TOKEN);
  });

  it("ok/a device's PKCSReq appears in the list by itself, without a reload", async () => {
    let navigations = 0;
    page.on("framenavigated", (f) => f === page.mainFrame() && navigations++);
    const { id } = await pendingDevice("ui-arrives-1");
    const row = await page.waitForSelector(`#row-${id}`, { timeout: 15_000 });
    expect(await row.textContent()).toContain("Pending approval");
    expect(await row.textContent()).toContain("ui-arrives-1");
    expect(navigations).toBe(0);
    await page.waitForFunction('/waiting for approval|updated/.test(document.querySelector("#live-status").textContent)');
  });

  it("ok/approve in the page (confirmation dialog) → the list shows it issued; the device's next poll gets SUCCESS", async () => {
    const device = await ScepDevice.at(gate.url, "router-0042.branch.example");
    expect((await enrollWithExtensions(device, "router-0042.branch.example")).status).toBe(PkiStatus.PENDING);
    const id = transactionRecordId("default", device.transactionId);
    await page.waitForSelector(`#row-${id}`, { timeout: 15_000 });
    await Promise.all([page.waitForURL(`${ui}/requests/${id}`), page.click(`#link-${id}`)]);
    expect(await page.textContent("h1")).toContain("router-0042.branch.example");
    const facts = await page.textContent("main");
    for (const text of [
      "sha384WithRSAEncryption", "RSA 2048", "PKCSReq (19)", device.transactionId, "Pending approval", "created",
      "DNS:router-0042.branch.example", "IP:192.0.2.10", "digitalSignature, keyEncipherment", "clientAuth, serverAuth",
    ]) {
      expect(facts).toContain(text);
    }
    await page.screenshot({ path: join(SHOTS, "detail.png"), fullPage: true });

    await page.click('button[commandfor="approve-dialog"]');
    expect(await page.isVisible("#approve-dialog")).toBe(true);
    await page.screenshot({ path: join(SHOTS, "approve-dialog.png") });
    await Promise.all([page.waitForURL(/\/admin\/ui\/\?notice=approved/), page.click('#approve-dialog button[type="submit"]')]);
    expect(await page.textContent('[role="status"].message')).toContain("Approved the request of router-0042.branch.example");
    expect(await page.textContent(`#row-${id}`)).toContain("Issued");

    const rep = await device.poll();
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    expect(device.gotCertificate(rep)).toBe(true);
  });

  it("ok/reject with a reason → the list shows it rejected; the device's next poll gets FAILURE with that reason", async () => {
    const { device, id } = await pendingDevice("ui-reject-1");
    await page.goto(`${ui}/requests/${id}`);
    await page.click('button[commandfor="reject-dialog"]');
    await page.fill("#reject-reason", "unknown device serial");
    await Promise.all([page.waitForURL(/\/admin\/ui\/\?notice=rejected/), page.click('#reject-dialog button[type="submit"]')]);
    expect(await page.textContent(`#row-${id}`)).toContain("Rejected");

    const rep = await device.poll();
    expect(rep.status).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo).toBe(FailInfo.badRequest);
    expect(rep.failInfoText).toBe("unknown device serial");
  });

  it("ok/keyboard only: open the confirmation with Enter, Escape cancels it, focus stays on the page", async () => {
    const { id } = await pendingDevice("ui-keyboard-1");
    await page.goto(`${ui}/requests/${id}`);
    await page.focus('button[commandfor="approve-dialog"]');
    await page.keyboard.press("Enter");
    expect(await page.isVisible("#approve-dialog")).toBe(true);
    expect(await page.textContent(":focus")).toBe("Cancel");
    await page.keyboard.press("Escape");
    expect(await page.isVisible("#approve-dialog")).toBe(false);
    expect(await page.getAttribute(":focus", "commandfor")).toBe("approve-dialog");
    const state = await page.textContent("h1 .badge");
    expect(state).toContain("Pending approval");
  });

  it("ok/bulk approve of ticked requests, each device then gets its certificate", async () => {
    const a = await pendingDevice("ui-bulk-1");
    const b = await pendingDevice("ui-bulk-2", "lab");
    await page.goto(`${ui}/`);
    await page.check(`#sel-${a.id}`);
    await page.check(`#sel-${b.id}`);
    await page.screenshot({ path: join(SHOTS, "list.png"), fullPage: true });
    await page.click("#bulk-open");
    expect(await page.textContent("#bulk-count")).toBe("2 requests");
    await Promise.all([page.waitForURL(/notice=bulk/), page.click('#bulk-dialog button[type="submit"]')]);
    expect(await page.textContent('[role="status"].message')).toContain("Approved 2 requests.");
    for (const { device } of [a, b]) expect((await device.poll()).status).toBe(PkiStatus.SUCCESS);
  });

  it("ok/counts per state and the chart come from the store's indexes (real Redis), per profile too", async () => {
    for (const query of ["", "?profile=lab"]) {
      await page.goto(`${ui}/${query}`);
      const rows = await page.$$eval("table.requests tbody tr[id]", (trs) => trs.map((tr) => tr.className));
      expect(Number(await page.getAttribute(".counts", "data-pending")), query).toBe(rows.filter((c) => c === "pending").length);
      expect(await page.textContent(".counts li:first-child .count"), query).toBe(String(rows.length));
      expect(await page.textContent("#chart-summary"), query).toMatch(new RegExp(`^${rows.length} requests? in the last 24 hours`));
    }
  });

  it("ok/filter by state and profile, search by subject and by transactionID", async () => {
    const { device, id } = await pendingDevice("ui-search-needle", "lab");
    await page.goto(`${ui}/?state=pending&profile=lab`);
    expect(await page.$(`#row-${id}`)).not.toBeNull();
    await page.goto(`${ui}/?state=issued`);
    expect(await page.$(`#row-${id}`)).toBeNull();
    await page.goto(`${ui}/`);
    await page.fill("#filter-q", "search-needle");
    await Promise.all([page.waitForURL(/q=search-needle/), page.press("#filter-q", "Enter")]);
    expect(await page.$$eval("table.requests tbody tr", (rows) => rows.map((r) => r.id))).toEqual([`row-${id}`]);
    await page.goto(`${ui}/?q=${device.transactionId.slice(4, 20)}`);
    expect(await page.$$eval("table.requests tbody tr", (rows) => rows.map((r) => r.id))).toEqual([`row-${id}`]);
  });

  it("fail/a POST without the CSRF token is refused (403), from the page and with the bare cookie; with it, it works", async () => {
    const { id } = await pendingDevice("ui-csrf-1");
    await page.goto(`${ui}/`);
    const statuses = await page.evaluate(async (url) => {
      const post = (headers: Record<string, string>) =>
        fetch(url, { method: "POST", headers, body: new URLSearchParams({}), credentials: "same-origin", redirect: "manual" }).then((r) => r.status);
      return { none: await post({}), wrong: await post({ "x-csrf-token": "A".repeat(43) }) };
    }, `${ui}/requests/${id}/approve`);
    expect(statuses).toEqual({ none: 403, wrong: 403 });

    const bare = await fetch(`${ui}/requests/${id}/approve`, {
      method: "POST",
      headers: { cookie: await sessionCookie(), "content-type": "application/x-www-form-urlencoded" },
      body: "",
      redirect: "manual",
    });
    expect(bare.status).toBe(403);
    await page.goto(`${ui}/requests/${id}`);
    expect(await page.textContent("h1 .badge")).toContain("Pending approval");

    const csrf = await page.getAttribute('input[name="csrf"]', "value");
    const withToken = await page.evaluate(
      async ([url, token]) => (await fetch(url!, { method: "POST", headers: { "x-csrf-token": token! }, redirect: "manual" })).type,
      [`${ui}/requests/${id}/approve`, csrf],
    );
    expect(withToken).toBe("opaqueredirect");
  });

  it("ok/security headers on the page: CSP without inline script, no framing, no referrer, no-store", async () => {
    const res = await page.goto(`${ui}/`);
    const h = res!.headers();
    expect(h["content-security-policy"]).toContain("default-src 'self'");
    expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"]).not.toContain("unsafe-inline");
    expect(h["x-frame-options"]).toBe("DENY");
    expect(h["referrer-policy"]).toBe("no-referrer");
    expect(h["cache-control"]).toBe("no-store");
  });

  it("ok/no script error and no CSP violation on any page visited so far", () => {
    // The 401/403 answers the tests provoke on purpose are logged as failed loads; nothing else may be.
    expect(problems.filter((p) => !/status of (401|403)/.test(p))).toEqual([]);
  });

  it("ok/sign out: back to the sign-in page; the old cookie no longer opens the list", async () => {
    const old = await sessionCookie();
    await Promise.all([page.waitForURL(/sign-in\?signed-out=1/), page.click(".sign-out button")]);
    expect(await page.textContent('[role="status"]')).toContain("signed out");
    expect(await browser.context.cookies(`${ui}/`)).toEqual([]);
    const replay = await fetch(`${ui}/`, { headers: { cookie: old }, redirect: "manual" });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toBe("/admin/ui/sign-in");
  });
});
