/**
 * The topology deploy/ describes, as processes: two fronts (`scepgate serve
 * --no-workers` on two ports), two workers (`scepgate worker`), one Redis,
 * one micromdm scepserver (upstream.maxConcurrent 1, which holds across both
 * workers). The fronts share the configuration's Redis key prefix and data
 * directory (one RA identity, as a shared volume or secret would give them).
 *
 * 30 direct PKCSReqs alternate between the fronts, all at once (approval
 * auto), plus a real client on each front (strongSwan pki on the first,
 * micromdm scepclient on the second). Every request completes exactly once:
 * one record and one "issued" in its audit per transaction, exactly one
 * certificate per CN in micromdm's depot (30 + the real clients'), no serial
 * issued twice. A request that got PENDING (the sync wait ran out) is
 * collected by polling the other front.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import { enrollPki, enrollScepclient } from "../../harness/clients.js";
import type { ManagedProcess } from "../../harness/process.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { startScepgateWorker, tail } from "../../harness/scepgate-cli.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import { Device, depotCn, expectFromMicromdm, pollUntilDone, report, uniqueCn } from "./pipeline-support.js";

const N = 30;

describe("two fronts, two workers, one Redis, one micromdm", () => {
  let redis: RedisHandle;
  let ca: ScepServer;
  let fronts: Scepgate[];
  let workers: ManagedProcess[];
  let records: RecordReader;

  beforeAll(async () => {
    [redis, ca] = await Promise.all([startRedis(), startScepServer()]);
    const profiles = { default: { approval: "auto", upstream: { url: ca.url, maxConcurrent: 1 } } };
    const first = await startScepgate({ redis, args: ["--no-workers"], config: { profiles } });
    const second = await startScepgate({
      redis,
      args: ["--no-workers"],
      config: { dataDir: first.dataDir, redis: { keyPrefix: first.keyPrefix }, profiles },
    });
    fronts = [first, second];
    workers = await Promise.all(fronts.map((f, i) => startScepgateWorker(f, { name: `worker-${i + 1}` })));
    records = recordReader(redis.url, first.keyPrefix);
  });

  afterAll(async () => {
    await records?.close();
    await Promise.all((workers ?? []).map((w) => w.stop()));
    await Promise.all((fronts ?? []).map((f) => f.stop()));
    await Promise.all([ca?.stop(), redis?.stop()]);
  });

  it("ok/30 requests spread over both fronts plus a real client on each: every one issued exactly once", { timeout: 120_000 }, async () => {
    const started = Date.now();
    const devices = await Promise.all(Array.from({ length: N }, (_, i) => Device.create(fronts[i % 2]!.url, uniqueCn(`topo-${i}`))));
    const cns = { pki: uniqueCn("topo-pki"), scepclient: uniqueCn("topo-sc") };
    const [reps, pki, sc] = await Promise.all([
      Promise.all(devices.map((d) => d.enroll())),
      enrollPki(fronts[0]!.url, { cn: cns.pki, cipher: "aes", digest: "sha256", interval: 1, maxPollTime: 60, timeoutMs: 90_000 }),
      enrollScepclient(fronts[1]!.url, { cn: cns.scepclient, timeoutMs: 60_000 }),
    ]);
    const pendingFirst = reps.filter((r) => r.status === PkiStatus.PENDING).length;
    report(`topology: ${N} direct requests + 2 clients over 2 fronts: ${N - pendingFirst} SUCCESS at once, ${pendingFirst} PENDING first; ${Date.now() - started} ms in all`);

    for (const [i, d] of devices.entries()) {
      let rep = reps[i]!;
      if (rep.status === PkiStatus.PENDING) {
        // Poll the other front: the state lives in Redis, not in the front that took the request.
        const other = await Device.create(fronts[(i + 1) % 2]!.url, d.cn, { keyPem: d.keyPem, transactionId: d.transactionId });
        rep = (await pollUntilDone(other, { intervalMs: 200, timeoutMs: 60_000 })).rep;
      }
      expect(rep.status, `${d.cn}: ${rep.failInfoText}`).toBe(PkiStatus.SUCCESS);
      await expectFromMicromdm(d.certificateIn(rep), d.keyPem, d.cn, ca);
    }
    expect(pki.ok, `${pki.log}\n${tail(fronts[0]!.output())}`).toBe(true);
    expect(sc.ok, `${sc.log}\n${tail(fronts[1]!.output())}`).toBe(true);
    await expectFromMicromdm(pki.certPem, pki.keyPem, cns.pki, ca, pki.log);
    await expectFromMicromdm(sc.certPem, sc.keyPem, cns.scepclient, ca, sc.log);

    // The store: one record per transaction, issued once.
    const ours = new Set([...devices.map((d) => d.cn), ...Object.values(cns)]);
    const txs = (await records.records()).filter((t) => ours.has(t.commonName ?? ""));
    expect(txs).toHaveLength(N + 2);
    for (const tx of txs) {
      expect(tx.state, tx.commonName).toBe("issued");
      const events = (await records.audit(tx.id)).map((e) => e.event);
      expect(events.filter((e) => e === "issued"), tx.commonName).toHaveLength(1);
      expect(events.filter((e) => e === "forwarding"), tx.commonName).toHaveLength(1);
    }

    // micromdm: exactly N + 2 certificates for our CNs, one per CN, and no serial twice in the whole depot.
    const depot = await ca.issued();
    const mine = depot.filter((c) => ours.has(depotCn(c.subject) ?? ""));
    expect(mine).toHaveLength(N + 2);
    expect(new Set(mine.map((c) => depotCn(c.subject))).size).toBe(N + 2);
    expect(new Set(depot.map((c) => c.serial)).size).toBe(depot.length);

    const fetched = workers.map((w) => /"msg":"upstream CA directory fetched"/.test(w.output()));
    // NOTE(BullMQ): a worker that completes a job fetches the next one in the same call, so with maxConcurrent 1 one
    // worker tends to keep the whole chain; the other waits. Correctness, not the spread, is what counts here.
    report(`topology: workers that talked to micromdm: ${fetched.map((f, i) => `worker-${i + 1}=${f}`).join(", ")}`);
  });

  it("ok/SIGTERM to the busy worker mid-batch: it finishes its step and exits 0; the other worker forwards the rest, each once", { timeout: 120_000 }, async () => {
    // Whichever worker forwarded the last batch is the busy one; the other must take over.
    const busy = workers.findIndex((w) => /"msg":"upstream CA directory fetched"/.test(w.output()));
    const devices = await Promise.all(Array.from({ length: 8 }, (_, i) => Device.create(fronts[i % 2]!.url, uniqueCn(`topo-term-${i}`))));
    const sent = Promise.all(devices.map((d) => d.enroll()));
    const stopped = (async () => {
      // Stop it as soon as it is forwarding this batch.
      for (let i = 0; i < 200 && !(await records.records()).some((t) => t.commonName?.startsWith("topo-term-") && t.state !== "approved"); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const info = await workers[busy]!.stop({ graceMs: 20_000 });
      const left = (await records.records()).filter((t) => t.commonName?.startsWith("topo-term-") && t.state !== "issued").length;
      return { ...info, left };
    })();
    const [reps, { left, ...exit }] = await Promise.all([sent, stopped]);
    report(`topology: SIGTERM mid-batch: ${left} of ${devices.length} not issued yet when the busy worker had exited`);
    expect(exit, tail(workers[busy]!.output())).toEqual({ code: 0, signal: null });
    for (const [i, d] of devices.entries()) {
      let rep = reps[i]!;
      if (rep.status === PkiStatus.PENDING) rep = (await pollUntilDone(d, { intervalMs: 200, timeoutMs: 60_000 })).rep;
      expect(rep.status, `${d.cn}: ${rep.failInfoText}`).toBe(PkiStatus.SUCCESS);
      await expectFromMicromdm(d.certificateIn(rep), d.keyPem, d.cn, ca);
    }
    // Whatever the busy worker left, the other one forwarded. Its log is written asynchronously (pino), so the line
    // may reach the pipe a moment after the certificates.
    if (left > 0) await expect.poll(() => workers[1 - busy]!.output(), { timeout: 10_000 }).toMatch(/"msg":"upstream CA directory fetched"/);
    const cns = new Set(devices.map((d) => d.cn));
    const mine = (await ca.issued()).filter((c) => cns.has(depotCn(c.subject) ?? ""));
    expect(mine).toHaveLength(devices.length);
    for (const tx of (await records.records()).filter((t) => cns.has(t.commonName ?? ""))) {
      expect((await records.audit(tx.id)).filter((e) => e.event === "issued"), tx.commonName).toHaveLength(1);
    }
  });
});
