/**
 * The operator commands as real processes (`node bin/scepgate.js requests …`,
 * `otp issue`) against a real `scepgate serve` process and a real Redis:
 * a device's PKCSReq waits for approval, the CLI lists, shows, approves and
 * rejects it, and the device's next CertPoll gets SUCCESS or FAILURE with the
 * operator's reason. One-time passwords from `otp issue` work exactly once.
 * Then the private redis-server: the CLI shares the one `serve` started and
 * leaves it running, and stops only one it started itself.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, PkiStatus } from "../../../src/protocol/index.js";
import { makeTempDir, removeTempDir } from "../../harness/tmp.js";
import { privateRedisPid, runScepgate, startScepgate, type Scepgate } from "../../harness/scepgate.js";
import type { RunResult } from "../../harness/process.js";
import { ScepDevice } from "./scep-device.js";

/** A CLI run must end promptly: it opens no server and closes Redis. */
const PROMPT_MS = 20_000;

interface Listed {
  id: string;
  transactionId: string;
  state: string;
  subject: string;
  decidedBy?: string;
  [field: string]: unknown;
}

describe("scepgate requests / otp against a running scepgate", () => {
  let gate: Scepgate;

  beforeAll(async () => {
    gate = await startScepgate({
      config: {
        profiles: {
          default: { approval: "manual" },
          otp: { approval: "auto", challenge: { mode: "otp" }, syncWaitMs: 5000 },
        },
      },
    });
  });

  afterAll(async () => {
    await gate?.stop();
  });

  async function cli(...args: string[]): Promise<RunResult> {
    const r = await runScepgate([...args, "--config", gate.configFile!], { cwd: gate.dir, timeoutMs: PROMPT_MS });
    expect(r.timedOut, `${args.join(" ")} did not end:\n${r.stderr}`).toBe(false);
    return r;
  }

  async function listed(...filter: string[]): Promise<Listed[]> {
    const r = await cli("requests", "list", "--json", ...filter);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Listed[];
  }

  async function pendingRequestOf(device: ScepDevice): Promise<Listed> {
    const rep = await device.enroll();
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.PENDING);
    const found = (await listed()).find((t) => t.transactionId === device.transactionId);
    expect(found, "the PKCSReq is listed").toBeDefined();
    return found!;
  }

  it("ok/approve: pending in the list, shown with its history, approved → the device's poll gets its certificate", async () => {
    const device = await ScepDevice.at(gate.url, "cli-approve-1");
    const tx = await pendingRequestOf(device);
    expect(tx.state).toBe("pending_approval");
    expect(tx).not.toHaveProperty("csr");

    const pendingOnly = await listed("--state", "pending");
    expect(pendingOnly.map((t) => t.id)).toContain(tx.id);
    expect(pendingOnly.every((t) => t.state === "pending_approval")).toBe(true);

    const table = await cli("requests", "list");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^${tx.id}\\s+pending_approval\\s+default\\s+`, "m"));

    const show = await cli("requests", "show", tx.id);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(tx.subject);
    expect(show.stdout).toMatch(/^Key\s+RSA 2048$/m);
    expect(show.stdout).toMatch(/^Client address\s+127\.0\.0\.1$/m);
    expect(show.stdout).toMatch(/^History$/m);
    expect(show.stdout).toMatch(/created\s+→ pending_approval/);

    expect((await device.poll()).status).toBe(PkiStatus.PENDING);
    const approve = await cli("requests", "approve", tx.id, "--as", "tester");
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toMatch(new RegExp(`^${tx.id}: issued \\(by cli:tester\\), serial [0-9a-fA-F]+, not after `));

    const rep = await device.poll();
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    expect(device.gotCertificate(rep)).toBe(true);

    const after = await cli("requests", "show", tx.id, "--json");
    const { request, history } = JSON.parse(after.stdout) as { request: Listed; history: Array<{ event: string; actor: string }> };
    expect(request).toMatchObject({ state: "issued", decidedBy: "cli:tester" });
    expect(request["serial"]).toMatch(/^[0-9a-fA-F]+$/);
    expect(history.map((e) => `${e.event}/${e.actor}`)).toEqual(expect.arrayContaining(["approved/cli:tester", "issued/upstream"]));

    const again = await cli("requests", "approve", tx.id);
    expect(again.code).toBe(4);
    expect(again.stderr).toBe(`scepgate: request ${tx.id} is issued, not pending approval\n`);
  });

  it("ok/reject: the device's poll gets FAILURE with the reason as failInfoText", async () => {
    const device = await ScepDevice.at(gate.url, "cli-reject-1");
    const tx = await pendingRequestOf(device);
    const reject = await cli("requests", "reject", tx.id, "--reason", "not in the inventory");
    expect(reject.code, reject.stderr).toBe(0);
    expect(reject.stdout).toMatch(new RegExp(`^${tx.id}: rejected \\(by cli:[^)]+\\): not in the inventory\\n$`));

    const rep = await device.poll();
    expect(rep.status).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo).toBe(FailInfo.badRequest);
    expect(rep.failInfoText).toBe("not in the inventory");

    const show = await cli("requests", "show", tx.id);
    expect(show.stdout).toMatch(/^Reason\s+not in the inventory$/m);
    expect(show.stdout).toMatch(/rejected\s+pending_approval → rejected\s+cli:\S+\s+not in the inventory/);
  });

  it("fail/exit codes: unknown id 3, bad usage 2, missing --reason 2", async () => {
    const unknown = await cli("requests", "show", "nosuchrecord");
    expect(unknown.code).toBe(3);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe("scepgate: no request with id nosuchrecord\n");
    expect((await cli("requests", "approve", "nosuchrecord")).code).toBe(3);
    const usage = await cli("requests", "list", "--state", "finished");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^scepgate: state: unknown state "finished"/);
    expect((await cli("requests", "reject", "nosuchrecord")).code).toBe(2);
  });

  it("ok/otp issue: the password on stdout works as a challenge exactly once", async () => {
    const r = await cli("otp", "issue", "--profile", "otp", "--ttl", "10m");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]{16,}\n$/);
    expect(r.stderr).toMatch(/^expires \d{4}-\d\d-\d\dT[\d:.]+Z \(profile "otp"\)\n$/);
    const password = r.stdout.trim();

    const first = await ScepDevice.at(`${gate.baseUrl}/scep/otp`, "cli-otp-1");
    const ok = await first.enroll(password);
    expect(ok.status, ok.failInfoText).toBe(PkiStatus.SUCCESS);
    expect(first.gotCertificate(ok)).toBe(true);

    const second = await ScepDevice.at(`${gate.baseUrl}/scep/otp`, "cli-otp-2");
    const refused = await second.enroll(password);
    expect(refused.status).toBe(PkiStatus.FAILURE);
    expect(refused.failInfo).toBe(FailInfo.badRequest);

    const records = await listed("--profile", "otp");
    expect(records.find((t) => t.transactionId === first.transactionId)).toMatchObject({ state: "issued", challenge: "otp-valid" });
    expect(records.find((t) => t.transactionId === second.transactionId)).toMatchObject({ state: "rejected", challenge: "otp-invalid" });
  });

  it("ok/otp issue --subject --json: bound to one CN (any case); another device cannot use it up", async () => {
    const r = await cli("otp", "issue", "--profile", "otp", "--subject", "CLI-OTP-Bound", "--json");
    expect(r.code, r.stderr).toBe(0);
    const issued = JSON.parse(r.stdout) as { password: string; expiresAt: string; profile: string; subject: string };
    expect(issued).toMatchObject({ profile: "otp", subject: "CLI-OTP-Bound" });
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);

    const intruder = await ScepDevice.at(`${gate.baseUrl}/scep/otp`, "cli-otp-intruder");
    expect((await intruder.enroll(issued.password)).status).toBe(PkiStatus.FAILURE);
    const owner = await ScepDevice.at(`${gate.baseUrl}/scep/otp`, "cli-otp-bound");
    expect((await owner.enroll(issued.password)).status).toBe(PkiStatus.SUCCESS);
  });

  it("fail/otp issue for an unknown profile → exit 3, nothing on stdout", async () => {
    const r = await cli("otp", "issue", "--profile", "nope");
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe('scepgate: unknown profile "nope"\n');
  });

  it("fail/no admin.token configured → the admin API is off (404)", async () => {
    const res = await fetch(`${gate.baseUrl}/admin/requests`, { headers: { authorization: "Bearer whatever-token-0123456789" } });
    expect(res.status).toBe(404);
  });
});

describe("scepgate requests and the private redis-server", () => {
  it("ok/shares the private Redis that serve started and leaves it running", async () => {
    const gate = await startScepgate({ privateRedis: true, config: { profiles: { default: { approval: "manual" } } } });
    try {
      const redisPid = privateRedisPid(gate.dataDir);
      expect(redisPid).toBeDefined();
      const device = await ScepDevice.at(gate.url, "cli-private-1");
      expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
      const r = await runScepgate(["requests", "list", "--json", "--config", gate.configFile!], { cwd: gate.dir, timeoutMs: PROMPT_MS });
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as Listed[]).map((t) => t.transactionId)).toContain(device.transactionId);
      expect(privateRedisPid(gate.dataDir)).toBe(redisPid);
      expect(await (await fetch(`${gate.baseUrl}/readyz`)).text()).toBe("ready");
      expect((await device.poll()).status).toBe(PkiStatus.PENDING);
    } finally {
      const info = await gate.stop();
      expect(info.privateRedisLeft).toBeUndefined();
    }
  });

  it("ok/with no Redis running, starts the private one for itself and stops it when done", async () => {
    const dir = makeTempDir("cli-");
    try {
      const configFile = join(dir, "scepgate.yaml");
      await writeFile(configFile, `dataDir: ${JSON.stringify(join(dir, "data"))}\nprofiles:\n  default:\n    approval: manual\n`);
      const r = await runScepgate(["requests", "list", "--json", "--config", configFile], { cwd: dir, timeoutMs: PROMPT_MS });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([]);
      expect(existsSync(join(dir, "data", "redis"))).toBe(true);
      expect(privateRedisPid(join(dir, "data"))).toBeUndefined();
    } finally {
      await removeTempDir(dir);
    }
  });
});
