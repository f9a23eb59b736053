/**
 * scepgate on Redis Sentinel, as processes: `scepgate serve` (front and
 * workers) with `redis.sentinel` in front of a micromdm scepserver, a
 * primary, a replica and three Sentinels (test/harness/sentinel.ts).
 *
 * A batch of direct devices (the project's own codec, pipeline/device.ts)
 * enrolls while strongSwan pki waits PENDING on a manual profile; the
 * primary is killed -9 mid-batch. After the Sentinels fail over (and the
 * killed server is back as a replica, so writes can be confirmed again),
 * every request that was answered PENDING or SUCCESS is still known and
 * ends with a certificate for its own key from micromdm; the requests that
 * were refused meanwhile (HTTP 500: not confirmed) succeed when resent; the
 * CLI lists and approves against the new primary.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import { enrollPki, type PkiResult } from "../../harness/clients.js";
import { sleep } from "../../harness/process.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { startSentinelTopology, type SentinelTopology } from "../../harness/sentinel.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { cliOk, depotSerials, Device, expectFromMicromdm, listRequests, pollUntilDone, uniqueCn, waitFor } from "../pipeline/pipeline-support.js";

const N = 24;
/** Both the servers and the Sentinels require a password: scepgate must send each, and log neither. */
const REDIS_PASSWORD = `redis-${randomBytes(8).toString("hex")}`;
const SENTINEL_PASSWORD = `sentinel-${randomBytes(8).toString("hex")}`;

function report(line: string): void {
  console.log(`[redis-ha] ${line}`);
}

/** What a device's first PKCSReq got: a CertRep status, or the HTTP error / network failure it saw instead. */
interface FirstAnswer {
  device: Device;
  status?: string;
  error?: string;
  sentAt: number;
  at: number;
}

/** Resends the PKCSReq (a poll for a known transaction) until scepgate answers with a CertRep; then polls to the end. */
async function finish(device: Device, timeoutMs: number): Promise<{ status: string; why?: string; cert: string | undefined; resends: number }> {
  const deadline = Date.now() + timeoutMs;
  for (let resends = 0; ; resends++) {
    try {
      let rep = await device.enroll();
      if (rep.status === PkiStatus.PENDING) rep = (await pollUntilDone(device, { intervalMs: 300, timeoutMs: Math.max(1_000, deadline - Date.now()) })).rep;
      return { status: rep.status, why: rep.failInfoText, cert: device.certificateIn(rep), resends };
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${device.cn}: no answer within ${timeoutMs} ms: ${(err as Error).message}`, { cause: err });
      await sleep(500);
    }
  }
}

describe("scepgate on Redis Sentinel: kill -9 the primary under load", () => {
  let topo: SentinelTopology;
  let ca: ScepServer;
  let gate: Scepgate;

  beforeAll(async () => {
    [topo, ca] = await Promise.all([startSentinelTopology({ password: REDIS_PASSWORD, sentinelPassword: SENTINEL_PASSWORD }), startScepServer()]);
    const upstream = { url: ca.url };
    gate = await startScepgate({
      privateRedis: true, // no redis.url: the sentinel configuration below is all scepgate gets
      config: {
        redis: topo.scepgateConfig,
        profiles: {
          default: { approval: "auto", upstream, syncWaitMs: 300 },
          held: { approval: "manual", upstream },
        },
      },
    });
  });

  afterAll(async () => {
    await gate?.stop();
    await Promise.all([ca?.stop(), topo?.stop()]);
  });

  it("ok/a device enrolls through the primary the Sentinels name; the log names the Sentinels, not a URL", async () => {
    const device = await Device.create(gate.url, uniqueCn("ha-first"));
    const { status, cert } = await finish(device, 30_000);
    expect(status).toBe(PkiStatus.SUCCESS);
    await expectFromMicromdm(cert, device.keyPem, device.cn, ca);
    expect(gate.output()).toMatch(new RegExp(`"redis":"sentinel ${topo.name} via 127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+ db 0"`));
    const listed = await cliOk(gate, "requests", "list", "--json");
    for (const text of [gate.output(), listed.stdout, listed.stderr]) {
      expect(text).not.toContain(REDIS_PASSWORD);
      expect(text).not.toContain(SENTINEL_PASSWORD);
    }
  });

  it("ok/kill -9 the primary mid-batch: nothing answered PENDING or SUCCESS is lost, each ends with its own certificate", { timeout: 300_000 }, async () => {
    // strongSwan pki on the manual profile: PENDING, polling every second across the failover.
    const pkiCn = uniqueCn("ha-pki");
    const pkiRun: Promise<PkiResult> = enrollPki(`${gate.baseUrl}/scep/held`, { cn: pkiCn, cipher: "aes", digest: "sha256", interval: 1, maxPollTime: 240, timeoutMs: 270_000 });
    const pkiRecord = await waitFor("pki's request pending approval", async () =>
      (await listRequests(gate, "--state", "pending", "--profile", "held")).find((r) => r.subject.includes(pkiCn)), 60_000, 300);

    const devices: Device[] = [];
    for (let i = 0; i < N; i++) devices.push(await Device.create(gate.url, uniqueCn(`ha-${i}`))); // one at a time: 2 shared cores
    const sent = Date.now();
    let answered = 0;
    // One PKCSReq every 50 ms: some are answered before the kill, some are in flight, some are sent during the failover.
    const first: Promise<FirstAnswer>[] = devices.map(async (device, i) => {
      await sleep(i * 50);
      const sentAt = Date.now();
      const answer: FirstAnswer = await device.enroll().then(
        (rep) => ({ device, status: rep.status, sentAt, at: Date.now() }),
        (err: unknown) => ({ device, error: (err as Error).message.slice(0, 120), sentAt, at: Date.now() }),
      );
      answered++;
      return answer;
    });
    // Kill the primary once a third of the batch has its answer.
    await waitFor("a third of the batch answered", async () => (answered >= N / 3 ? true : undefined), 60_000, 5);
    const { killed, at: killedAt } = await topo.killPrimary();
    const failover = await topo.waitForFailover(killed, killedAt);
    const restartStarted = Date.now();
    await topo.restart("redis-primary");
    const replicaBackMs = Date.now() - restartStarted;

    const answers = await Promise.all(first);
    const accepted = answers.filter((a) => a.status === PkiStatus.PENDING || a.status === PkiStatus.SUCCESS);
    const refused = answers.filter((a) => a.status === undefined);
    const beforeKill = answers.filter((a) => a.at <= killedAt).length;
    const inFlightAtKill = answers.filter((a) => a.sentAt <= killedAt && a.at > killedAt).length;
    const sentAfterKill = answers.filter((a) => a.sentAt > killedAt).length;
    const otherStatus = answers.filter((a) => a.status !== undefined && !accepted.includes(a));
    expect(otherStatus.map((a) => `${a.device.cn}: ${a.status}`), tail(gate.output())).toEqual([]);

    // Every request answered PENDING or SUCCESS is still known to the new primary (through the CLI) ...
    const listed = new Map((await listRequests(gate, "--profile", "default")).map((r) => [r.transactionId, r]));
    const lost = accepted.filter((a) => !listed.has(a.device.transactionId));
    expect(lost.map((a) => `${a.device.cn} (${a.status} at +${a.at - sent} ms)`), `${topo.logs()}\n${tail(gate.output())}`).toEqual([]);

    // ... and ends SUCCESS with a certificate for its own key; the refused ones succeed when resent.
    const outcomes = await Promise.all(answers.map(async (a) => ({ a, end: await finish(a.device, 180_000) })));
    for (const { a, end } of outcomes) {
      const history = end.status === PkiStatus.SUCCESS ? "" : tail(gate.allOutput().split("\n").filter((l) => l.includes(a.device.transactionId) || l.includes(a.device.cn)).join("\n"), 60);
      expect(end.status, `${a.device.cn}: first ${a.status ?? a.error}, then ${end.why}\n${history}`).toBe(PkiStatus.SUCCESS);
      await expectFromMicromdm(end.cert, a.device.keyPem, a.device.cn, ca);
    }
    const after = new Map((await listRequests(gate, "--profile", "default")).map((r) => [r.transactionId, r]));
    for (const d of devices) expect(after.get(d.transactionId)?.state, d.cn).toBe("issued");

    // The operator approves pki's request with the CLI, against the new primary; pki collects its certificate.
    await cliOk(gate, "requests", "approve", pkiRecord.id, "--as", "ha-test");
    const pki = await pkiRun;
    expect(gate.allOutput()).not.toContain(REDIS_PASSWORD);
    expect(gate.allOutput()).not.toContain(SENTINEL_PASSWORD);
    expect(pki.ok, `${pki.log}\n${tail(gate.output())}`).toBe(true);
    await expectFromMicromdm(pki.certPem, pki.keyPem, pkiCn, ca, pki.log);

    const depot = await depotSerials(ca, devices.map((d) => d.cn));
    const twice = [...depot.values()].filter((serials) => serials.length > 1).length;
    report(`failover: ${N} devices + pki; when ${killed} was killed ${beforeKill} had their answer, ${inFlightAtKill} were in flight, ${sentAfterKill} were sent later; ` +
      `Sentinels failed over in ${failover.ms} ms, the old primary was a synced replica again ${replicaBackMs} ms later`);
    report(`failover: first answers ${accepted.length} accepted (${accepted.filter((a) => a.status === PkiStatus.SUCCESS).length} SUCCESS, ` +
      `${accepted.filter((a) => a.status === PkiStatus.PENDING).length} PENDING), ${refused.length} refused (${[...new Set(refused.map((a) => a.error))].join(" | ")}); ` +
      `lost 0; all ${N} SUCCESS in the end (the refused ones resent, ${outcomes.reduce((n, o) => n + o.end.resends, 0)} resends failed again meanwhile); CNs micromdm issued twice: ${twice}`);
  });
});
