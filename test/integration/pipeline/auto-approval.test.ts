/**
 * The whole pipeline with approval auto, against a real micromdm scepserver
 * as the upstream CA: each real client (micromdm scepclient, strongSwan
 * `pki --scep` with AES + SHA-256, certmonger's scep-submit) enrolls through
 * a real `scepgate serve` and gets SUCCESS synchronously (within syncWaitMs),
 * with a certificate micromdm issued (openssl verifies it against micromdm's
 * CA alone) that carries the client's key.
 *
 * NOTE(micromdm): upstream.maxConcurrent 1 — its file depot races under
 * concurrent PKCSReqs (duplicate serials, "file exists").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollCertmonger, enrollPki, enrollScepclient } from "../../harness/clients.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import { depotSerials, expectFromMicromdm, report, uniqueCn } from "./pipeline-support.js";

const SYNC_WAIT_MS = 5_000;

describe("approval auto: real clients → scepgate → micromdm", () => {
  let redis: RedisHandle;
  let ca: ScepServer;
  let gate: Scepgate;
  let records: RecordReader;

  beforeAll(async () => {
    [redis, ca] = await Promise.all([startRedis(), startScepServer()]);
    gate = await startScepgate({
      redis,
      config: { profiles: { default: { approval: "auto", syncWaitMs: SYNC_WAIT_MS, upstream: { url: ca.url, maxConcurrent: 1 } } } },
    });
    records = recordReader(redis.url, gate.keyPrefix);
  });

  afterAll(async () => {
    await records?.close();
    await gate?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
  });

  it("ok/scepclient, pki --scep (aes, sha256) and certmonger each get SUCCESS at once, issued by micromdm", async () => {
    const cns = { scepclient: uniqueCn("auto-sc"), pki: uniqueCn("auto-pki"), certmonger: uniqueCn("auto-cm") };
    const [sc, pki, cm] = await Promise.all([
      // scepclient never polls with CertPoll: a PENDING would make it sleep 30 s, past this timeout.
      enrollScepclient(gate.url, { cn: cns.scepclient, timeoutMs: 25_000 }),
      // --maxpolltime 0 would poll forever: allow no PENDING at all (interval 10 s > the time it may take).
      enrollPki(gate.url, { cn: cns.pki, cipher: "aes", digest: "sha256", interval: 10, maxPollTime: 5, timeoutMs: 30_000 }),
      enrollCertmonger(gate.url, { cn: cns.certmonger, pollMax: 0 }),
    ]);
    const context = `--- scepgate:\n${tail(gate.output())}`;
    for (const [name, r] of [["scepclient", sc], ["pki", pki], ["certmonger", cm]] as const) {
      report(`auto approval: ${name} ok=${r.ok} pending=${r.pending} ${r.durationMs} ms (whole client run)`);
      expect(r.ok, `${name}:\n${r.log}\n${context}`).toBe(true);
      expect(r.pending, `${name} saw PENDING:\n${r.log}`).toBe(false);
    }
    await expectFromMicromdm(sc.certPem, sc.keyPem, cns.scepclient, ca, sc.log);
    await expectFromMicromdm(pki.certPem, pki.keyPem, cns.pki, ca, pki.log);
    await expectFromMicromdm(cm.certPem, cm.keyPem, cns.certmonger, ca, cm.log);

    // One record each, issued, decided by policy, one "issued" in its audit; one certificate each in micromdm's depot.
    const depot = await depotSerials(ca, Object.values(cns));
    for (const cn of Object.values(cns)) {
      const recs = await records.byCommonName(cn);
      expect(recs.map((t) => [t.state, t.decidedBy])).toEqual([["issued", "policy"]]);
      const events = (await records.audit(recs[0]!.id)).map((e) => e.event);
      expect(events.filter((e) => e === "issued")).toHaveLength(1);
      expect(depot.get(cn), cn).toHaveLength(1);
      expect(depot.get(cn)?.[0]).toBe(recs[0]!.serial?.toUpperCase().replace(/^0+/, ""));
    }
  });
});
