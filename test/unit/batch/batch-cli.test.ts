/** `scepgate batch` on the command line (usage errors, before anything is opened) and its progress output. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BatchSummary } from "../../../src/app/batch-run.js";
import { batchProgress, deviceLine } from "../../../src/cli/batch-progress.js";
import type { CliDeps } from "../../../src/cli/io.js";
import { runCli } from "../../../src/cli/program.js";

const dir = mkdtempSync(join(tmpdir(), "batch-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | undefined; out: string; err: string }> {
  const r = { code: undefined as number | undefined, out: "", err: "" };
  const deps: CliDeps = {
    out: (t) => void (r.out += t),
    err: (t) => void (r.err += t),
    openSession: () => Promise.reject(new Error("no session in these tests")),
    userName: () => "tester",
    debug: false,
  };
  const saved = process.env["SCEPGATE_BATCH_PASS"];
  delete process.env["SCEPGATE_BATCH_PASS"];
  Object.assign(process.env, env);
  try {
    r.code = await runCli(["node", "scepgate", ...args], deps);
  } finally {
    delete process.env["SCEPGATE_BATCH_PASS"];
    if (saved !== undefined) process.env["SCEPGATE_BATCH_PASS"] = saved;
  }
  return r;
}

describe("scepgate batch: usage errors (exit 2, nothing opened)", () => {
  const csv = join(dir, "d.csv");
  writeFileSync(csv, "name,cn\nr1,r1.example\n");

  it.each([
    [["batch", csv], /--out DIR is required/],
    [["batch", csv, "--out", dir, "--key", "dsa-1024"], /--key: expected one of rsa-2048, rsa-3072, ec-p256, ec-p384/],
    [["batch", csv, "--out", dir, "--concurrency", "0"], /--concurrency: expected a whole number/],
    [["batch", csv, "--out", dir, "--wait", "soon"], /--wait: invalid duration/],
    [["batch", join(dir, "missing.csv"), "--out", dir], /cannot read .*missing\.csv \(ENOENT\)/],
    [["batch", csv, "--out", dir], /a passphrase is required/],
    [["batch", csv, "--out", dir, "--pass", "secret"], /unknown option '--pass'/],
  ])("fail/%j", async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe("");
  });

  it("fail/every problem of the device list, with its line", async () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "name,cn,ip\nx,,\nx,a,1.2.3\n");
    const r = await cli(["batch", bad, "--out", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`scepgate: ${bad}: 3 problems, nothing was submitted\n  line 2: cn is required\n  line 3: name "x" is already used on line 2\n  line 3: ip "1.2.3" is not an IPv4 or IPv6 address\n`);
  });

  it("ok/collect takes its options after the subcommand (and a passphrase is still required)", async () => {
    const r = await cli(["batch", "collect", dir, "--legacy-p12", "--json"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/a passphrase is required/);
  });
});

describe("batch progress", () => {
  const summary: BatchSummary = { total: 4, issued: 2, skipped: 1, failed: 1, pending: 0, requested: 0, notStarted: 0, elapsedMs: 2000, devicesPerSecond: 1.5 };
  const entry = (name: string, status: "issued" | "failed", error?: string) => ({ name, status, updatedAt: "t", serial: status === "issued" ? "0a" : undefined, error });

  it("ok/a bar on stderr (done/total, rate, ETA), failures above it, a summary; no stdout on a terminal", () => {
    let t = 0;
    const out: string[] = [];
    const err: string[] = [];
    const p = batchProgress({ out: (x) => out.push(x), err: (x) => err.push(x) }, { json: false, bar: true, columns: 100, now: () => t });
    p.start({ total: 4, mode: "enroll", profile: "default", dir: "/out" });
    t = 1000;
    p.device({ entry: entry("a", "issued"), skipped: false });
    t = 1500;
    p.device({ entry: entry("b", "failed", "the CA refused \u001b[31m"), skipped: false });
    t = 2000;
    p.device({ entry: entry("c", "issued"), skipped: true });
    p.device({ entry: entry("d", "issued"), skipped: false });
    p.finish(summary);
    const text = err.join("");
    expect(text).toContain("\r\u001b[2K[");
    expect(text).toMatch(/1\/4 {2}1\.0\/s {2}ETA 0:03/);
    expect(text).toContain("b: failed: the CA refused ?[31m\n");
    expect(text).toMatch(/4\/4 .* 1 failed/);
    expect(text.endsWith("4 devices: 2 issued, 1 done earlier, 1 failed in 2.0 s (1.5 devices/s); output in /out\n")).toBe(true);
    expect(out).toEqual([]);
  });

  it("ok/JSON lines on stdout: one per device, then the summary", () => {
    const out: string[] = [];
    const p = batchProgress({ out: (x) => out.push(x), err: () => undefined }, { json: true, bar: false, columns: 80 });
    p.start({ total: 1, mode: "enroll", profile: "default", dir: "/out" });
    p.device({ entry: entry("a", "issued"), skipped: false });
    p.finish({ ...summary, total: 1 });
    expect(out.map((l) => JSON.parse(l))).toEqual([
      { type: "device", name: "a", status: "issued", updatedAt: "t", serial: "0a", skipped: false },
      { type: "summary", ...summary, total: 1, dir: "/out" },
    ]);
    expect(deviceLine({ entry: entry("a", "issued"), skipped: true })).toBe("a: issued (earlier run): serial 0a");
  });
});
