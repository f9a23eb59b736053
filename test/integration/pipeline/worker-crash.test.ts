/**
 * kill -9 of the forward worker process in the middle of forwarding, then a
 * new worker: every request ends issued, and micromdm's depot holds one
 * certificate per request. The topology of deploy/: `scepgate serve
 * --no-workers` (the front) and `scepgate worker` (a separate process) on
 * one Redis; approval manual, 20 requests pending, all approved at once.
 *
 * After a crash the new worker resumes each transaction that was being
 * forwarded (src/ra/forwarding.ts recover()): it first asks the CA with a
 * CertPoll under the same upstream transactionID, and only a CA that does not
 * know the transaction, or cannot answer polls, gets the PKCSReq again.
 * NOTE(micromdm): scepserver answers every CertPoll with HTTP 500, so the RA
 * re-sends, and scepserver is not idempotent (a resent PKCSReq is issued
 * again). Hence two parts:
 *
 * (a) deterministic: micromdm is stopped while the requests are approved, so
 *     every transaction sits in `forwarding` with its last error
 *     "unreachable" (the CA never saw it); kill -9 the worker; start micromdm
 *     and a new worker → all issued, exactly one certificate per request;
 * (b) a kill at a random moment while micromdm is up and issuing: nothing is
 *     lost (every request ends issued), and every request has exactly one
 *     certificate except possibly the one request micromdm was processing at
 *     the kill (upstream.maxConcurrent 1: at most one is in flight) — which
 *     is printed, with why.
 *
 * (c), the same kill with an idempotent upstream, is chained-crash.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import type { Transaction } from "../../../src/ra/ports.js";
import { sleep, type ManagedProcess } from "../../harness/process.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { startScepgateWorker, tail } from "../../harness/scepgate-cli.js";
import { makeTempDir, removeTempDir } from "../../harness/tmp.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import { approveViaAdmin, depotSerials, enrollBatch, forwardingMoment, report, stateProbe, waitFor, type Device, type StateProbe } from "./pipeline-support.js";

const TOKEN = "pipeline-crash-admin-token-5be1";
const N = 20;

describe("kill -9 of the worker process mid-forward (front + worker processes, micromdm upstream)", () => {
  let redis: RedisHandle;
  let caDir: string;
  let ca: ScepServer;
  let front: Scepgate;
  let worker: ManagedProcess | undefined;
  let records: RecordReader;
  let probe: StateProbe;

  beforeAll(async () => {
    caDir = makeTempDir("scepserver-crash-");
    [redis, ca] = await Promise.all([startRedis(), startScepServer({ dir: caDir })]);
    front = await startScepgate({
      redis,
      args: ["--no-workers"],
      config: { admin: { token: TOKEN }, profiles: { default: { approval: "manual", upstream: { url: ca.url, maxConcurrent: 1 } } } },
    });
    records = recordReader(redis.url, front.keyPrefix);
    probe = stateProbe(redis.url, front.keyPrefix);
  });

  afterAll(async () => {
    await Promise.all([records?.close(), probe?.close()]);
    await worker?.stop();
    await front?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
    if (caDir) await removeTempDir(caDir);
  });

  /** N devices with a PENDING request each, and their records. */
  async function pendingBatch(prefix: string): Promise<{ devices: Device[]; txs: Transaction[] }> {
    const batch = await enrollBatch(front.url, N, prefix);
    expect(batch.map((b) => b.status)).toEqual(Array(N).fill(PkiStatus.PENDING));
    const devices = batch.map((b) => b.device);
    const all = await records.records();
    const txs = devices.map((d) => all.find((t) => t.commonName === d.cn)!);
    expect(txs.every((t) => t?.state === "pending_approval")).toBe(true);
    return { devices, txs };
  }

  async function states(devices: readonly Device[]): Promise<Map<string, Transaction>> {
    const cns = new Set(devices.map((d) => d.cn));
    return new Map((await records.records()).filter((t) => cns.has(t.commonName ?? "")).map((t) => [t.commonName!, t]));
  }

  /** Waits until every request of `devices` is issued; returns how long that took. */
  async function allIssued(devices: readonly Device[], timeoutMs: number): Promise<number> {
    const started = Date.now();
    await waitFor(`all ${devices.length} requests issued`, async () => {
      const s = await states(devices);
      return [...s.values()].filter((t) => t.state === "issued").length === devices.length ? true : undefined;
    }, timeoutMs, 100).catch(async (err: unknown) => {
      const s = await states(devices);
      throw new Error(`${(err as Error).message}: ${[...s.values()].map((t) => `${t.commonName} ${t.state} ${t.upstream?.lastError ?? ""}`).join("; ")}\n--- worker:\n${tail(worker?.output() ?? "")}`);
    });
    return Date.now() - started;
  }

  /** Every device's CertPoll collects its certificate, for its key. */
  async function devicesCollect(devices: readonly Device[]): Promise<void> {
    for (const d of devices) {
      const rep = await d.poll();
      expect(rep.status, `${d.cn}: ${rep.failInfoText}`).toBe(PkiStatus.SUCCESS);
      expect(d.certificateIn(rep), d.cn).toBeDefined();
    }
  }

  it("ok/(a) deterministic: upstream down, all forwarding, kill -9, CA and a new worker back → all issued once", { timeout: 120_000 }, async () => {
    worker = await startScepgateWorker(front, { name: "worker-a1" });
    const { devices, txs } = await pendingBatch("crash-a");
    await ca.stop();
    await approveViaAdmin(front.baseUrl, TOKEN, txs.map((t) => t.id));

    // Every transaction has been tried and failed to connect: forwarding, lastError set.
    await waitFor("every transaction forwarding with an upstream error", async () => {
      const s = await states(devices);
      return [...s.values()].every((t) => t.state === "forwarding" && /cannot reach the CA/.test(t.upstream?.lastError ?? "")) ? true : undefined;
    }, 30_000);
    const killed = await worker.kill();
    expect(killed.signal).toBe("SIGKILL");

    await ca.restart();
    const restartedAt = Date.now();
    worker = await startScepgateWorker(front, { name: "worker-a2" });
    await allIssued(devices, 90_000);
    report(`crash (a): new worker start → all ${N} issued in ${Date.now() - restartedAt} ms (worker boot included)`);

    const depot = await depotSerials(ca, devices.map((d) => d.cn));
    for (const d of devices) expect(depot.get(d.cn), d.cn).toHaveLength(1);
    for (const tx of (await states(devices)).values()) {
      const events = (await records.audit(tx.id)).map((e) => e.event);
      expect(events.filter((e) => e === "issued"), tx.commonName).toHaveLength(1);
      expect(events).toContain("upstream-error");
    }
    await devicesCollect(devices);
  });

  it("ok/(b) kill -9 at a random moment while micromdm issues: nothing lost; duplicates only for the one request in flight", { timeout: 180_000 }, async () => {
    worker ??= await startScepgateWorker(front, { name: "worker-b1" });
    // The moment: once `killAfter` requests are issued and the next one is being forwarded (its attempt recorded, the
    // PKCSReq going to micromdm), plus 0-20 ms, so the kill lands before, during or after micromdm's work on it.
    // A batch that finishes before such a moment is seen is left alone, and a new batch tried (at most 3).
    let devices: Device[];
    const killAfter = 1 + Math.floor(Math.random() * (N - 6));
    const extraMs = Math.floor(Math.random() * 21);
    for (let attempt = 1; ; attempt++) {
      const batch = await pendingBatch(`crash-b${attempt}`);
      devices = batch.devices;
      const ids = batch.txs.map((t) => t.id);
      await approveViaAdmin(front.baseUrl, TOKEN, ids);
      if (await forwardingMoment(probe, ids, killAfter)) break;
      report(`crash (b): batch ${attempt} was all issued before a forward could be caught under way; another batch`);
      expect(attempt).toBeLessThan(3);
    }
    if (extraMs > 0) await sleep(extraMs);
    await worker.kill();
    const killedAt = Date.now();
    const atKill = await states(devices);
    const inFlight = [...atKill.values()].filter((t) => t.state === "forwarding").map((t) => t.commonName!);
    const issuedAtKill = [...atKill.values()].filter((t) => t.state === "issued").length;
    report(`crash (b): SIGKILL after ${issuedAtKill}/${N} issued (aimed at ${killAfter} + a forward under way + ${extraMs} ms); in state forwarding at the kill: ${inFlight.join(", ") || "none"}`);

    worker = await startScepgateWorker(front, { name: "worker-b2" });
    await allIssued(devices, 90_000);
    report(`crash (b): kill → all ${N} issued in ${Date.now() - killedAt} ms (worker boot + BullMQ moving the killed worker's active job back once its lock expired)`);

    const depot = await depotSerials(ca, devices.map((d) => d.cn));
    const duplicated = devices.filter((d) => (depot.get(d.cn)?.length ?? 0) > 1).map((d) => d.cn);
    for (const d of devices) expect(depot.get(d.cn)?.length ?? 0, d.cn).toBeGreaterThanOrEqual(1);
    for (const cn of duplicated) {
      const tx = (await states(devices)).get(cn)!;
      const events = (await records.audit(tx.id)).map((e) => e.event).join(" → ");
      report(
        `crash (b): DUPLICATE at micromdm for ${cn} (serials ${depot.get(cn)!.join(", ")}; scepgate kept serial ${tx.serial}): ` +
          `it was in flight at micromdm when the worker died; the new worker's CertPoll got HTTP 500 (micromdm does not do polls), ` +
          `so it re-sent the PKCSReq and micromdm, not idempotent, issued again. Audit: ${events}`,
      );
    }
    if (duplicated.length === 0) report("crash (b): no duplicate at micromdm this run (the kill did not land while micromdm was issuing)");
    expect(duplicated.length, `duplicates: ${duplicated.join(", ")}`).toBeLessThanOrEqual(1);
    for (const cn of duplicated) expect(inFlight, `${cn} duplicated but was not in flight at the kill`).toContain(cn);
    for (const tx of (await states(devices)).values()) {
      const events = (await records.audit(tx.id)).map((e) => e.event);
      expect(events.filter((e) => e === "issued"), tx.commonName).toHaveLength(1);
      expect(depot.get(tx.commonName!)).toContain(tx.serial!.toUpperCase().replace(/^0+/, ""));
    }
    await devicesCollect(devices);
  });
});
