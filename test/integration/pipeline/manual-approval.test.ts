/**
 * approval manual, against a real micromdm scepserver: each real client gets
 * PENDING; the operator sees the request with `scepgate requests list --json`
 * and approves it with `scepgate requests approve ID` (the real CLI, as a
 * process); the client's next poll gets SUCCESS:
 *
 * - strongSwan `pki --scep` polls by itself with CertPoll (--interval 2);
 * - micromdm scepclient is re-run (same key and csr.pem, so the same
 *   transactionID): it re-sends its PKCSReq, which scepgate treats as a poll;
 * - certmonger's scep-submit POLLs with the daemon's GetCertInitial (and
 *   with its PKCSReq again, which is what scep-submit 0.79.17 sends on POLL).
 *
 * Measured and printed: from the approve command's exit to the device's
 * SUCCESS, for each client, and the pipeline alone (a direct CertPoll built
 * with src/protocol every 100 ms right after the approve exits).
 *
 * Rejected with `requests reject ID --reason …`: the next poll of each
 * client gets FAILURE, with the reason as failInfoText (read with a direct
 * CertPoll signed by the client's own key), and the client says it was refused.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, PkiStatus } from "../../../src/protocol/index.js";
import { enrollCertmonger, enrollPki, enrollScepclient, type EnrollResult } from "../../harness/clients.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import {
  approveWithCli, cliOk, Device, expectFromMicromdm, listRequests, pollUntilDone, report, showRequest, uniqueCn, waitFor, type Listed,
} from "./pipeline-support.js";

const REASON = "not on the inventory";
/** Direct CertPolls after the approve: every 100 ms. */
const POLL_MS = 100;

/** One measured approval → SUCCESS. */
interface Latency {
  what: string;
  ms: number;
}
const latencies: Latency[] = [];
function measured(what: string, ms: number): void {
  latencies.push({ what, ms });
  report(`approve exit → SUCCESS: ${what}: ${ms} ms`);
}

describe("approval manual: PENDING, approve/reject with the CLI, the client's next poll", () => {
  let redis: RedisHandle;
  let ca: ScepServer;
  let gate: Scepgate;
  let records: RecordReader;

  beforeAll(async () => {
    [redis, ca] = await Promise.all([startRedis(), startScepServer()]);
    gate = await startScepgate({
      redis,
      config: { profiles: { default: { approval: "manual", upstream: { url: ca.url, maxConcurrent: 1 } } } },
    });
    records = recordReader(redis.url, gate.keyPrefix);
  });

  afterAll(async () => {
    if (latencies.length > 0) {
      report(["approve → SUCCESS summary (ms):", ...latencies.map((l) => `  ${l.what}: ${l.ms}`)].join("\n"));
    }
    await records?.close();
    await gate?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
  });

  /** Waits for the request of `cn` to be recorded, then checks the CLI lists it as pending approval. */
  async function pendingInCli(cn: string): Promise<Listed> {
    await waitFor(`the request of ${cn}`, async () => (await records.byCommonName(cn))[0], 60_000);
    const found = (await listRequests(gate, "--state", "pending")).find((t) => t.commonName === cn);
    expect(found, `requests list --state pending shows ${cn}`).toBeDefined();
    expect(found!.state).toBe("pending_approval");
    return found!;
  }

  /** A direct CertPoll for a real client's transaction, signed with that client's key. */
  async function pollerFor(r: EnrollResult, cn: string, tx: Listed): Promise<Device> {
    const keyPem = await readFile(join(r.dir, "key.pem"), "utf8");
    return Device.create(gate.url, cn, { keyPem, transactionId: tx.transactionId });
  }

  it("ok/pipeline latency: a direct PKCSReq gets PENDING; after the approve, CertPolls every 100 ms until SUCCESS", async () => {
    for (let i = 1; i <= 3; i++) {
      const device = await Device.create(gate.url, uniqueCn(`man-direct-${i}`));
      expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
      const tx = await pendingInCli(device.cn);
      const { exitedAt } = await approveWithCli(gate, tx.id);
      const { rep } = await pollUntilDone(device, { intervalMs: POLL_MS, timeoutMs: 30_000 });
      const ms = Date.now() - exitedAt;
      expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
      await expectFromMicromdm(device.certificateIn(rep), device.keyPem, device.cn, ca);
      measured(`direct CertPoll every ${POLL_MS} ms (pipeline), sample ${i}`, ms);
    }
  });

  it("ok/pki --scep: PENDING, approved with the CLI, its own CertPoll (every 2 s) collects the certificate", async () => {
    const cn = uniqueCn("man-pki");
    const running = enrollPki(gate.url, { cn, cipher: "aes", digest: "sha256", interval: 2, maxPollTime: 90, timeoutMs: 120_000 });
    const tx = await pendingInCli(cn);
    const { exitedAt } = await approveWithCli(gate, tx.id);
    const r = await running;
    const ms = Date.now() - exitedAt;
    expect(r.ok, `${r.log}\n--- scepgate:\n${tail(gate.output())}`).toBe(true);
    expect(r.pending, r.log).toBe(true);
    await expectFromMicromdm(r.certPem, r.keyPem, cn, ca, r.log);
    measured("pki --scep --interval 2 (its own CertPoll)", ms);

    const { request, history } = await showRequest(gate, tx.id);
    expect(request).toMatchObject({ state: "issued", decidedBy: "cli:pipeline-test" });
    expect(history.map((e) => `${e.event}/${e.actor}`)).toEqual(expect.arrayContaining(["approved/cli:pipeline-test", "issued/upstream"]));
  });

  it("ok/scepclient: PENDING, approved with the CLI, re-run (same PKCSReq) gets SUCCESS", async () => {
    const cn = uniqueCn("man-sc");
    // On PENDING scepclient sleeps 30 s and re-sends; the harness stops it first (exit 124) and re-runs it after the approval.
    const first = await enrollScepclient(gate.url, { cn, timeoutMs: 6_000 });
    expect(first.ok).toBe(false);
    expect(first.pending, first.log).toBe(true);
    const tx = await pendingInCli(cn);
    const poller = await pollerFor(first, cn, tx);
    const { exitedAt } = await approveWithCli(gate, tx.id);
    const [direct, again] = await Promise.all([
      pollUntilDone(poller, { intervalMs: POLL_MS, timeoutMs: 30_000 }).then((p) => ({ ...p, ms: Date.now() - exitedAt })),
      first.rerun({ timeoutMs: 30_000 }).then((r) => ({ r, ms: Date.now() - exitedAt })),
    ]);
    expect(direct.rep.status).toBe(PkiStatus.SUCCESS);
    expect(again.r.ok, `${again.r.log}\n--- scepgate:\n${tail(gate.output())}`).toBe(true);
    expect(again.r.keyPem).toBe(first.keyPem);
    await expectFromMicromdm(again.r.certPem, again.r.keyPem, cn, ca, again.r.log);
    expect(poller.certificateIn(direct.rep)).toBe(again.r.certPem);
    measured("scepclient re-run (re-sends its PKCSReq; process start included)", again.ms);
    measured("direct CertPoll every 100 ms on scepclient's transaction", direct.ms);
    expect(await records.byCommonName(cn)).toHaveLength(1);
  });

  it("ok/certmonger: PENDING, approved with the CLI, its next POLL gets SUCCESS (GetCertInitial, and the PKCSReq again)", async () => {
    const cn = uniqueCn("man-cm");
    const first = await enrollCertmonger(gate.url, { cn, pollMax: 0 });
    expect(first.pending, first.log).toBe(true);
    const tx = await pendingInCli(cn);
    const poller = await pollerFor(first, cn, tx);
    const { exitedAt } = await approveWithCli(gate, tx.id);
    const direct = await pollUntilDone(poller, { intervalMs: POLL_MS, timeoutMs: 30_000 });
    const directMs = Date.now() - exitedAt;
    // certmonger's own schedule decides when it polls; one POLL once the certificate is there.
    // NOTE(certmonger): the daemon's GetCertInitial carries the senderNonce of its PKCSReq (regression: it was refused as a replay).
    const polled = await first.poll();
    const cmMs = Date.now() - exitedAt;
    expect(direct.rep.status).toBe(PkiStatus.SUCCESS);
    expect(polled.ok, `${polled.log}\n--- scepgate:\n${tail(gate.output())}`).toBe(true);
    await expectFromMicromdm(polled.certPem, polled.keyPem, cn, ca, polled.log);
    measured("direct CertPoll every 100 ms on certmonger's transaction", directMs);
    measured("certmonger POLL with its GetCertInitial right after that (scep-submit process included)", cmMs);
    // What scep-submit 0.79.17 really sends on POLL: CERTMONGER_PKCSREQ, i.e. the PKCSReq again.
    const resent = await first.poll({ pollWith: "pkcsreq" });
    expect(resent.ok, resent.log).toBe(true);
    expect(resent.certPem).toBe(polled.certPem);
    expect(await records.byCommonName(cn)).toHaveLength(1);
  });

  it("fail/reject with the CLI: each client's next poll gets FAILURE with the reason as failInfoText", async () => {
    const cns = { pki: uniqueCn("rej-pki"), scepclient: uniqueCn("rej-sc"), certmonger: uniqueCn("rej-cm") };
    const pkiRunning = enrollPki(gate.url, { cn: cns.pki, cipher: "aes", digest: "sha256", interval: 2, maxPollTime: 90, timeoutMs: 120_000 });
    const [sc, cm] = await Promise.all([
      enrollScepclient(gate.url, { cn: cns.scepclient, timeoutMs: 6_000 }),
      enrollCertmonger(gate.url, { cn: cns.certmonger, pollMax: 0 }),
    ]);
    expect(sc.pending, sc.log).toBe(true);
    expect(cm.pending, cm.log).toBe(true);
    const txs = { pki: await pendingInCli(cns.pki), scepclient: await pendingInCli(cns.scepclient), certmonger: await pendingInCli(cns.certmonger) };
    for (const tx of Object.values(txs)) {
      const r = await cliOk(gate, "requests", "reject", tx.id, "--reason", REASON);
      expect(r.stdout).toMatch(new RegExp(`^${tx.id}: rejected \\(by cli:[^)]+\\): ${REASON}\\n$`));
    }

    // The clients' own next poll.
    const [pki, scAgain, cmAgain] = await Promise.all([pkiRunning, sc.rerun({ timeoutMs: 30_000 }), cm.poll()]);
    expect(pki.ok).toBe(false);
    expect(pki.timedOut, pki.log).toBe(false);
    expect(pki.log).toMatch(/failInfo:\s+badRequest[\s\S]*reply status is not 'SUCCESS'/);
    expect(scAgain.ok).toBe(false);
    expect(scAgain.exitCode, scAgain.log).toBe(1);
    expect(scAgain.log).toMatch(/PKCSReq \(19\) request failed, failInfo: badRequest \(2\)/);
    expect(cmAgain.ok).toBe(false);
    expect(cmAgain.exitCode, cmAgain.log).toBe(2);
    expect(cmAgain.log).toMatch(/Transaction either is not permitted or is not supported by server\./);

    // What they were told, read with a direct CertPoll signed by each client's key.
    for (const [name, r] of [["pki", pki], ["scepclient", sc], ["certmonger", cm]] as const) {
      const rep = await (await pollerFor(r, cns[name], txs[name])).poll();
      expect(rep.status, name).toBe(PkiStatus.FAILURE);
      expect(rep.failInfo, name).toBe(FailInfo.badRequest);
      expect(rep.failInfoText, name).toBe(REASON);
    }
    const { request, history } = await showRequest(gate, txs.pki.id);
    expect(request).toMatchObject({ state: "rejected", reason: REASON });
    expect(history.map((e) => e.event)).toContain("rejected");
    for (const cn of Object.values(cns)) expect((await ca.issued()).some((c) => c.subject.includes(`CN=${cn}`)), `${cn} reached micromdm`).toBe(false);
  });
});
