/**
 * Unit tests of the harness's process, port and cleanup helpers (real child
 * processes, no mocks).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { cleanupAll, pendingCleanups } from "../harness/cleanup.js";
import { freePort } from "../harness/ports.js";
import { run, startProcess, waitForUrl } from "../harness/process.js";

/** True if `pid` exists and is not a zombie (a killed orphan may wait a moment to be reaped). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false; // gone meanwhile
  }
}

describe("harness: process helpers", () => {
  it("ok/run captures output and the exit code", async () => {
    const r = await run("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    expect(r).toMatchObject({ code: 3, stdout: "out\n", stderr: "err\n", timedOut: false });
  });

  it("ok/run feeds stdin", async () => {
    const r = await run("cat", [], { input: "hello" });
    expect(r.stdout).toBe("hello");
  });

  it("fail/run of a missing command gives 127, not a throw", async () => {
    const r = await run("/nonexistent/scepgate-nope", []);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/ENOENT/);
  });

  it("fail/run kills the whole process group on timeout (124)", async () => {
    const started = Date.now();
    const r = await run("sh", ["-c", "sleep 30 & echo $!; sleep 30; echo never"], { timeoutMs: 300 });
    expect(r.code).toBe(124);
    expect(r.timedOut).toBe(true);
    expect(r.stdout).not.toMatch(/never/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(isAlive(grandchild)).toBe(false);
  });

  it("ok/startProcess: waitForOutput, stop (SIGTERM) and kill (SIGKILL)", async () => {
    const p = startProcess("sh", ["-c", "echo ready; exec sleep 30"]);
    await p.waitForOutput(/ready/);
    expect(p.isRunning()).toBe(true);
    expect(pendingCleanups().some((l) => l.startsWith("process sh"))).toBe(true);
    expect(await p.stop()).toEqual({ code: null, signal: "SIGTERM" });
    expect(p.isRunning()).toBe(false);
    expect(pendingCleanups().some((l) => l.startsWith("process sh"))).toBe(false);

    const q = startProcess("sh", ["-c", "trap '' TERM; echo up; while :; do sleep 1; done"]);
    await q.waitForOutput(/up/);
    const info = await q.stop({ graceMs: 300 }); // ignores SIGTERM: SIGKILL after the grace
    expect(info.signal).toBe("SIGKILL");
  });

  it("fail/waitForOutput rejects when the process exits first", async () => {
    const p = startProcess("sh", ["-c", "echo bye"]);
    await expect(p.waitForOutput(/never/, 5_000)).rejects.toThrow(/exited before printing/);
  });

  it("fail/waitForUrl reports a process that died", async () => {
    const port = await freePort();
    const p = startProcess("sh", ["-c", "echo crashed; exit 1"]);
    await p.exited;
    await expect(waitForUrl(`http://127.0.0.1:${port}/`, { process: p, timeoutMs: 2_000 })).rejects.toThrow(/crashed/);
  });

  it("ok/cleanupAll kills what a test forgot", async () => {
    const p = startProcess("sleep", ["30"]);
    cleanupAll();
    const info = await p.exited;
    expect(info.signal).toBe("SIGKILL");
  });

  it("ok/freePort returns a bindable port", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
