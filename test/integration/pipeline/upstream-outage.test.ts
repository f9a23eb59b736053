/**
 * The upstream is down when the operator approves: micromdm scepserver is
 * stopped, two pending requests (a direct device and a polling
 * `pki --scep`) are approved with the CLI, the forward worker retries with
 * backoff (1, 2, 4, 8, 16, 30 s; upstream.retryFor keeps its default of 24 h)
 * while the devices keep seeing PENDING; 30 s later micromdm starts again on
 * the same port with the same depot, and both requests complete: issued,
 * nothing failed, exactly one certificate each in micromdm's depot, and each
 * request's audit history shows upstream-error entries and then issued.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import { enrollPki } from "../../harness/clients.js";
import { sleep } from "../../harness/process.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { makeTempDir, removeTempDir } from "../../harness/tmp.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import {
  approveWithCli, depotSerials, Device, expectFromMicromdm, listRequests, pollUntilDone, report, showRequest, uniqueCn, waitFor,
} from "./pipeline-support.js";

const OUTAGE_MS = 30_000;

describe("upstream down at the time of approval", () => {
  let redis: RedisHandle;
  let caDir: string;
  let ca: ScepServer;
  let gate: Scepgate;
  let records: RecordReader;

  beforeAll(async () => {
    // A directory of our own: stop() then keeps the depot, and restart() brings back the same CA.
    caDir = makeTempDir("scepserver-outage-");
    [redis, ca] = await Promise.all([startRedis(), startScepServer({ dir: caDir })]);
    gate = await startScepgate({ redis, config: { profiles: { default: { approval: "manual", upstream: { url: ca.url, maxConcurrent: 1 } } } } });
    records = recordReader(redis.url, gate.keyPrefix);
  });

  afterAll(async () => {
    await records?.close();
    await gate?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
    if (caDir) await removeTempDir(caDir);
  });

  it("ok/approved while micromdm is stopped, started 30 s later: both requests issued, nothing failed", { timeout: 150_000 }, async () => {
    const device = await Device.create(gate.url, uniqueCn("outage-direct"));
    const pkiCn = uniqueCn("outage-pki");
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const pkiRunning = enrollPki(gate.url, { cn: pkiCn, cipher: "aes", digest: "sha256", interval: 3, maxPollTime: 120, timeoutMs: 150_000 });
    await waitFor(`${pkiCn}'s request`, async () => (await records.byCommonName(pkiCn))[0], 30_000);
    const pending = await listRequests(gate, "--state", "pending");
    const ids = [device.cn, pkiCn].map((cn) => pending.find((t) => t.commonName === cn)?.id);
    expect(ids.every((id) => id !== undefined), JSON.stringify(pending)).toBe(true);

    await ca.stop();
    const downAt = Date.now();
    for (const id of ids) await approveWithCli(gate, id!);

    // The worker tries, fails to connect, and retries; the devices see PENDING meanwhile.
    for (const cn of [device.cn, pkiCn]) {
      const tx = await waitFor(`an upstream error for ${cn}`, async () => {
        const t = (await records.byCommonName(cn))[0];
        return t?.upstream?.lastError ? t : undefined;
      }, 20_000);
      expect(tx.state).toBe("forwarding");
      expect(tx.upstream?.lastError).toMatch(/cannot reach the CA/);
    }
    expect((await device.poll()).status).toBe(PkiStatus.PENDING);

    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    expect((await device.poll()).status).toBe(PkiStatus.PENDING);
    await ca.restart();
    const upAt = Date.now();
    report(`outage: micromdm down for ${upAt - downAt} ms`);

    const { rep } = await pollUntilDone(device, { intervalMs: 100, timeoutMs: 60_000 });
    report(`outage: micromdm back → direct device SUCCESS in ${Date.now() - upAt} ms (next retry of the 1-2-4-8-16-30 s backoff)`);
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    await expectFromMicromdm(device.certificateIn(rep), device.keyPem, device.cn, ca);
    const pki = await pkiRunning;
    report(`outage: micromdm back → pki --scep (interval 3 s) SUCCESS in ${Date.now() - upAt} ms`);
    expect(pki.ok, `${pki.log}\n--- scepgate:\n${tail(gate.output())}`).toBe(true);
    await expectFromMicromdm(pki.certPem, pki.keyPem, pkiCn, ca, pki.log);

    const depot = await depotSerials(ca, [device.cn, pkiCn]);
    for (const id of ids) {
      const { request, history } = await showRequest(gate, id!);
      expect(request.state).toBe("issued");
      const events = history.map((e) => e.event);
      const errors = events.filter((e) => e === "upstream-error").length;
      report(`outage: ${request.commonName}: ${errors} upstream-error entries, then issued; ${request.upstream?.attempts} attempts`);
      expect(errors).toBeGreaterThanOrEqual(2);
      expect(events.lastIndexOf("upstream-error")).toBeLessThan(events.indexOf("issued"));
      expect(events.filter((e) => e === "issued")).toHaveLength(1);
      expect(events).not.toContain("failed");
      expect(history.some((e) => e.to === "failed")).toBe(false);
      expect(depot.get(request.commonName!), request.commonName).toHaveLength(1);
    }
    expect(await listRequests(gate, "--state", "failed")).toEqual([]);
  });
});
