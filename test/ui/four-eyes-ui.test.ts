/**
 * Four eyes on the operator web page in Chromium (playwright-core) against a
 * real `scepgate serve` with two named operators and a profile needing two
 * approvals (the embedded CA issues inline): alice signs in and approves
 * ("Approve (1 of 2)"), the request stays pending with her name; bob signs in
 * and approves ("Approve (2 of 2)"); the request shows issued with both
 * names, and the device's next poll gets its certificate.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../src/protocol/index.js";
import { transactionRecordId } from "../../src/ra/ids.js";
import { REPO_ROOT, startScepgate, type Scepgate } from "../harness/scepgate.js";
import { ScepDevice } from "../integration/cli/scep-device.js";
import { launchBrowser, type TestBrowser } from "./browser.js";

const TOKENS = { alice: "ui-alice-token-3e5a7c9b1d2f4068", bob: "ui-bob-token-8c0e2a4b6d1f3579a" } as const;
const sha256 = (t: string) => createHash("sha256").update(t).digest("hex");
const SHOTS = join(REPO_ROOT, "test-artifacts", "ui");

describe("four eyes on the web page in Chromium", () => {
  let gate: Scepgate;
  let browser: TestBrowser;
  let page: Page;
  let ui: string;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gate = await startScepgate({
      config: {
        admin: {
          operators: [
            { name: "alice", tokenSha256: sha256(TOKENS.alice), role: "approver" },
            { name: "bob", tokenSha256: sha256(TOKENS.bob), role: "approver" },
          ],
        },
        profiles: { default: { approval: { mode: "manual", approvals: 2 } } },
      },
    });
    ui = `${gate.baseUrl}/admin/ui`;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await gate?.stop();
  });

  async function signIn(who: keyof typeof TOKENS): Promise<void> {
    await page.goto(`${ui}/sign-in`);
    await page.fill("#token", TOKENS[who]);
    await Promise.all([page.waitForURL(`${ui}/`), page.click('button[type="submit"]')]);
  }

  async function approveAs(who: keyof typeof TOKENS, id: string, label: string): Promise<void> {
    await signIn(who);
    await page.goto(`${ui}/requests/${id}`);
    expect((await page.textContent('button[commandfor="approve-dialog"]'))?.trim()).toBe(`${label}…`);
    await page.click('button[commandfor="approve-dialog"]');
    expect((await page.textContent('#approve-dialog button[type="submit"]'))?.trim()).toBe(label);
    await Promise.all([page.waitForURL(/\/admin\/ui\/\?notice=approved/), page.click('#approve-dialog button[type="submit"]')]);
  }

  async function signOut(): Promise<void> {
    await Promise.all([page.waitForURL(/sign-in\?signed-out=1/), page.click(".sign-out button")]);
  }

  it("ok/alice approves (1 of 2), bob approves (2 of 2): issued, both names shown, the device gets its certificate", async () => {
    const device = await ScepDevice.at(gate.url, "four-eyes-ui-1");
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const id = transactionRecordId("default", device.transactionId);

    await approveAs("alice", id, "Approve (1 of 2)");
    expect(await page.textContent('[role="status"]')).toContain("waits for another operator");
    expect(await page.textContent(`#row-${id}`)).toContain("1 of 2 approvals: alice");
    await page.goto(`${ui}/requests/${id}`);
    expect(await page.textContent("h1")).toContain("Pending approval");
    expect(await page.textContent(".waiting")).toContain("You approved this request");
    expect(await page.isVisible('button[commandfor="approve-dialog"]')).toBe(false);
    expect((await device.poll()).status).toBe(PkiStatus.PENDING);
    await signOut();

    await approveAs("bob", id, "Approve (2 of 2)");
    expect(await page.textContent(`#row-${id}`)).toContain("2 of 2 approvals: alice, bob");
    await page.goto(`${ui}/requests/${id}`);
    expect(await page.textContent("h1")).toContain("Issued");
    expect(await page.textContent(".approvals-count")).toBe("2 of 2");
    expect(await page.$$eval(".approvers .approver", (els) => els.map((e) => e.textContent))).toEqual(["alice", "bob"]);
    const history = await page.textContent("#h-history + table, section[aria-labelledby=h-history]");
    expect(history).toMatch(/approval[\s\S]*alice[\s\S]*approval[\s\S]*bob[\s\S]*approved[\s\S]*bob/);
    await page.screenshot({ path: join(SHOTS, "four-eyes-detail.png"), fullPage: true });

    const rep = await device.poll();
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    expect(problems).toEqual([]);
  });
});
