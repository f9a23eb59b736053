/**
 * Part (c) of the worker crash tests (worker-crash.test.ts has (a) and (b)):
 * the same kill -9 at a random moment mid-forward, with an RFC-compliant,
 * idempotent upstream — scepgate B, which answers a CertPoll, and a resent
 * PKCSReq, with the state of the same transaction:
 *
 *   20 devices → A front (`serve --no-workers`, approval manual) + A worker
 *     (`scepgate worker`, upstream B, maxConcurrent 4)
 *   → B (`serve`, approval auto) → micromdm scepserver (maxConcurrent 1)
 *
 * After the kill, A's new worker asks B first (CertPoll, same upstream
 * transactionID) and re-sends only what B never received; B never forwards a
 * transaction twice. So micromdm's depot holds exactly one certificate per
 * request, strictly, whatever moment the kill hit.
 *
 * B's RA certificate is one micromdm's CA issued with keyEncipherment (see
 * caIssuedRaFiles); A enrolls its own RA certificate from B on first start.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import type { Transaction } from "../../../src/ra/ports.js";
import { sleep, type ManagedProcess } from "../../harness/process.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { startScepgateWorker, tail } from "../../harness/scepgate-cli.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import { approveViaAdmin, caIssuedRaFiles, depotSerials, enrollBatch, forwardingMoment, report, stateProbe, waitFor, type StateProbe } from "./pipeline-support.js";

const TOKEN = "pipeline-chain-crash-token-81c4";
const N = 20;

describe("kill -9 of A's worker mid-forward, upstream = scepgate B (idempotent) in front of micromdm", () => {
  let redis: RedisHandle;
  let ca: ScepServer;
  let b: Scepgate;
  let a: Scepgate;
  let worker: ManagedProcess | undefined;
  let aRecords: RecordReader;
  let bRecords: RecordReader;
  let probe: StateProbe;

  beforeAll(async () => {
    [redis, ca] = await Promise.all([startRedis(), startScepServer()]);
    const bRa = await caIssuedRaFiles(ca, join(ca.dir, "ra-b"), "scepgate RA B");
    b = await startScepgate({ redis, config: { profiles: { default: { approval: "auto", ra: bRa, upstream: { url: ca.url, maxConcurrent: 1 } } } } });
    a = await startScepgate({
      redis,
      args: ["--no-workers"],
      config: { admin: { token: TOKEN }, profiles: { default: { approval: "manual", upstream: { url: b.url, maxConcurrent: 4, pollInterval: "1s" } } } },
    });
    aRecords = recordReader(redis.url, a.keyPrefix);
    bRecords = recordReader(redis.url, b.keyPrefix);
    probe = stateProbe(redis.url, a.keyPrefix);
  });

  afterAll(async () => {
    await Promise.all([aRecords?.close(), bRecords?.close(), probe?.close()]);
    await worker?.stop();
    await a?.stop();
    await b?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
  });

  it("ok/(c) every request issued, exactly one certificate per request at micromdm", { timeout: 120_000 }, async () => {
    worker = await startScepgateWorker(a, { name: "a-worker-1" });
    const batch = await enrollBatch(a.url, N, "chaincrash");
    expect(batch.map((x) => x.status)).toEqual(Array(N).fill(PkiStatus.PENDING));
    const devices = batch.map((x) => x.device);
    const cns = devices.map((d) => d.cn);
    const byCn = async (): Promise<Map<string, Transaction>> => {
      const all = await aRecords.records();
      return new Map(all.filter((t) => cns.includes(t.commonName ?? "")).map((t) => [t.commonName!, t]));
    };
    const ids = [...(await byCn()).values()].map((t) => t.id);
    expect(ids).toHaveLength(N);

    const killAfter = Math.floor(Math.random() * (N - 8));
    const extraMs = Math.floor(Math.random() * 21);
    await approveViaAdmin(a.baseUrl, TOKEN, ids);
    // A (maxConcurrent 4) to B (which waits for micromdm before answering): forwards take long enough to be caught.
    expect(await forwardingMoment(probe, ids, killAfter), "a forward under way").toBe(true);
    if (extraMs > 0) await sleep(extraMs);
    await worker.kill();
    const killedAt = Date.now();
    const atKill = [...(await byCn()).values()];
    const inFlight = atKill.filter((t) => t.state === "forwarding" || t.state === "upstream_pending").map((t) => t.commonName!);
    const onB = (await bRecords.records()).filter((t) => cns.includes(t.commonName ?? "")).length;
    report(
      `crash (c): SIGKILL of A's worker after ${atKill.filter((t) => t.state === "issued").length}/${N} issued (aimed at ${killAfter} + ${extraMs} ms); ` +
        `${inFlight.length} in flight at A (${inFlight.join(", ")}); ${onB} already received by B`,
    );

    worker = await startScepgateWorker(a, { name: "a-worker-2" });
    await waitFor(`all ${N} issued at A`, async () => {
      const s = [...(await byCn()).values()];
      return s.every((t) => t.state === "issued") ? true : undefined;
    }, 90_000).catch(async (err: unknown) => {
      const s = [...(await byCn()).values()].map((t) => `${t.commonName} ${t.state} ${t.upstream?.lastError ?? ""}`);
      throw new Error(`${(err as Error).message}: ${s.join("; ")}\n--- A worker:\n${tail(worker?.output() ?? "")}\n--- B:\n${tail(b.output())}`);
    });
    report(`crash (c): kill → all ${N} issued at A in ${Date.now() - killedAt} ms (worker boot + stalled-job recovery + polls of B)`);

    // Strictly one certificate per request at micromdm, and each device collects the one scepgate recorded.
    const depot = await depotSerials(ca, cns);
    for (const cn of cns) expect(depot.get(cn), `${cn}: micromdm's depot`).toHaveLength(1);
    const bTxs = (await bRecords.records()).filter((t) => cns.includes(t.commonName ?? ""));
    expect(bTxs).toHaveLength(N);
    for (const t of bTxs) expect((await bRecords.audit(t.id)).filter((e) => e.event === "issued"), t.commonName).toHaveLength(1);
    const final = await byCn();
    for (const d of devices) {
      const tx = final.get(d.cn)!;
      expect((await aRecords.audit(tx.id)).filter((e) => e.event === "issued"), d.cn).toHaveLength(1);
      expect(depot.get(d.cn)?.[0]).toBe(tx.serial!.toUpperCase().replace(/^0+/, ""));
      const rep = await d.poll();
      expect(rep.status, d.cn).toBe(PkiStatus.SUCCESS);
      expect(d.certificateIn(rep), d.cn).toBeDefined();
    }
  });
});
