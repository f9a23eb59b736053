/**
 * `scepgate serve --processes 2` as real processes: the supervisor and its
 * children share one port, a dead child is replaced, SIGTERM stops them all,
 * SIGHUP reaches every child, `/metrics` on any child counts the requests of
 * all of them (and does not multiply the Redis-sourced gauges), and the
 * zero-config private redis-server is started once (by the supervisor) and
 * stopped at the end.
 */
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../../harness/process.js";
import { parseExposition, sampleValue, samplesOf, type Exposition } from "../../support/prom-text.js";
import { privateRedisPid, runScepgate, startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { makeTempDir } from "../../harness/tmp.js";

const JSON_LOG = { log: { format: "json" } };
const CLUSTER = ["--processes", "2"];

interface LogLine {
  pid: number;
  msg: string;
  [k: string]: unknown;
}

/** The JSON log lines of every process (supervisor and children share stdout), optionally only those containing `text`. */
function logLines(gate: Scepgate, text = ""): LogLine[] {
  return gate
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes(text))
    .map((l) => JSON.parse(l) as LogLine);
}

async function waitForLine(gate: Scepgate, text: string, match: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = logLines(gate, text).find(match);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms:\n${gate.output().slice(-3000)}`);
    await sleep(100);
  }
}

/** The children's pids, once every one of them listens. */
async function childPids(gate: Scepgate): Promise<number[]> {
  const line = await waitForLine(gate, "processes listening", (l) => l.msg === "scepgate serve processes listening");
  return line["pids"] as number[];
}

/** GetCACaps on a connection of its own (no keep-alive), so each request is handed to a child anew. */
function getCaps(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port, path: "/scep?operation=GetCACaps", agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

/** GET /metrics on a connection of its own, so successive scrapes land on different children. */
function scrapeFresh(port: number): Promise<Exposition> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port, path: "/metrics", agent: false, timeout: 10_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => (res.statusCode === 200 ? resolve(parseExposition(text)) : reject(new Error(`/metrics: HTTP ${res.statusCode}: ${text}`))));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parentPid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("serve --processes 2: a supervisor and its children on one port", () => {
  let gate: Scepgate | undefined;
  afterEach(async () => {
    await gate?.stop();
    gate = undefined;
  });

  it("ok/both children answer on the shared port (access log pids), the supervisor none", async () => {
    gate = await startScepgate({ config: JSON_LOG, args: CLUSTER });
    const pids = await childPids(gate);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(gate.pid());
    const statuses = await Promise.all(Array.from({ length: 8 }, () => getCaps(gate!.port)));
    expect(statuses).toEqual(Array(8).fill(200));
    await waitFor(() => logLines(gate!, '"msg":"request"').length >= 8, "8 access log lines");
    const served = new Set(logLines(gate, '"msg":"request"').map((l) => l.pid));
    expect([...served].sort()).toEqual([...pids].sort());
  });

  it("ok/kill -9 of a child: it is restarted, and no request fails beyond those in flight on it", async () => {
    gate = await startScepgate({ config: JSON_LOG, args: CLUSTER });
    const [, victim] = await childPids(gate);
    const loops = 4;
    let failed = 0;
    let ok = 0;
    let running = true;
    const loop = async (): Promise<void> => {
      while (running) {
        try {
          if ((await getCaps(gate!.port)) === 200) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    };
    const all = Array.from({ length: loops }, loop);
    await sleep(500);
    process.kill(victim!, "SIGKILL");
    const restarted = await waitForLine(gate, "restarted", (l) => l.msg === "serve process restarted");
    const fresh = restarted["pid"] as number;
    await sleep(1_000);
    running = false;
    await Promise.all(all);
    expect(failed, `${ok} ok, ${failed} failed`).toBeLessThanOrEqual(loops); // at most one request in flight per loop
    expect(ok).toBeGreaterThan(20);
    expect(fresh).not.toBe(victim);
    expect(alive(fresh)).toBe(true);
    const statuses = await Promise.all(Array.from({ length: 6 }, () => getCaps(gate!.port)));
    expect(statuses).toEqual(Array(6).fill(200));
    await waitFor(() => logLines(gate!, `"pid":${fresh},`).some((l) => l.msg === "request"), "a request answered by the new child");
  });

  it("ok//metrics on any child answers for the whole cluster: counters summed over the children, Redis gauges not multiplied", async () => {
    gate = await startScepgate({ config: JSON_LOG, args: CLUSTER });
    const pids = await childPids(gate);
    const capsAnswered = (e: Exposition): number =>
      samplesOf(e, "scepgate_scep_requests_total", { profile: "default", operation: "GetCACaps", outcome: "SUCCESS" }).reduce((sum, s) => sum + s.value, 0);
    const before = capsAnswered(await scrapeFresh(gate.port));
    const n = 20;
    expect(await Promise.all(Array.from({ length: n }, () => getCaps(gate!.port)))).toEqual(Array(n).fill(200));
    await waitFor(() => new Set(logLines(gate!, '"msg":"request"').map((l) => l.pid)).size === pids.length, "requests answered by every child");
    // Each scrape is its own connection, so successive scrapes land on different children: all give the cluster's count.
    for (let i = 0; i < 4; i++) {
      const e = await scrapeFresh(gate.port);
      expect(capsAnswered(e)).toBe(before + n);
      const pending = samplesOf(e, "scepgate_transactions", { profile: "default" });
      expect(pending.length).toBeGreaterThan(0);
      expect(pending.every((s) => s.value === 0)).toBe(true);
      expect(sampleValue(e, "scepgate_upstream_up", { profile: "default" })).toBe(1);
    }
  });

  it("ok/SIGHUP to the supervisor reaches every child; none of them ends", async () => {
    gate = await startScepgate({ config: JSON_LOG, args: CLUSTER });
    const pids = await childPids(gate);
    process.kill(gate.pid(), "SIGHUP");
    for (const pid of pids) await waitForLine(gate, "SIGHUP", (l) => l.pid === pid);
    await sleep(300);
    expect(pids.every(alive)).toBe(true);
    expect(logLines(gate, "restarting it").length > 0).toBe(false);
  });

  it("ok/SIGTERM to the supervisor alone stops every child, then it exits 0", async () => {
    gate = await startScepgate({ config: JSON_LOG, args: CLUSTER });
    const pids = await childPids(gate);
    process.kill(gate.pid(), "SIGTERM");
    await waitFor(() => gate!.lastExit() !== undefined, "the supervisor's exit");
    expect(gate.lastExit()?.code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(logLines(gate, "stopping").filter((l) => l.msg === "stopping").map((l) => l.pid).sort()).toEqual([gate.pid(), ...pids].sort());
  });

  it("ok/zero config: the supervisor starts the private redis-server once, the children share it, it is stopped at the end", async () => {
    gate = await startScepgate({ config: JSON_LOG, args: CLUSTER, privateRedis: true });
    const pids = await childPids(gate);
    const redisPid = privateRedisPid(gate.dataDir);
    expect(redisPid).toBeDefined();
    expect(parentPid(redisPid!)).toBe(gate.pid());
    const listening = logLines(gate, "scepgate listening").filter((l) => l.msg === "scepgate listening");
    expect(listening.map((l) => l.pid).sort()).toEqual([...pids].sort());
    expect(new Set(listening.map((l) => l["redis"]))).toEqual(new Set([`${gate.dataDir}/redis/redis.sock`]));
    const stopped = await gate.stop();
    gate = undefined;
    expect(stopped.code).toBe(0);
    expect(stopped.privateRedisLeft).toBeUndefined();
    expect(alive(redisPid!)).toBe(false);
  });

  it("fail/--processes 0: a usage error (exit 2), one line naming the option, nothing started", async () => {
    const r = await runScepgate(["serve", "--processes", "0"], { cwd: makeTempDir("cluster-usage-") });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--processes/);
    expect(r.stdout).toBe("");
  });
});
