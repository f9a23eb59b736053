/**
 * An upstream CA that wants a challenge password: micromdm scepserver
 * started with `-challenge`. scepgate puts `upstream.challenge` into the
 * CSR it forwards (NOTE(micromdm): scepserver reads the challenge from the
 * CSR, not from anything the RA signs), so devices need not know it:
 *
 * - profile `good` (upstream.challenge right): a device whose CSR has no
 *   challenge, and one whose CSR has another one, both enroll;
 * - profile `bad` (upstream.challenge wrong): the device ends with FAILURE,
 *   carrying micromdm's failInfo (badRequest) — scepgate relays the upstream's
 *   FAILURE, it does not retry a refusal.
 *
 * The RA of `bad` cannot enroll its own certificate with the wrong challenge,
 * so it is enrolled beforehand with `scepgate ra init --profile bad
 * --challenge RIGHT` (what an operator does when the RA's enrollment secret
 * differs from the one for devices).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, PkiStatus } from "../../../src/protocol/index.js";
import { enrollPki, enrollScepclient } from "../../harness/clients.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { makeTempDir, removeTempDir } from "../../harness/tmp.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import { Device, expectFromMicromdm, raInit, uniqueCn, waitFor } from "./pipeline-support.js";

const UPSTREAM_CHALLENGE = "micromdm-secret-7f3a";
const WRONG = "not-the-upstream-secret";

describe("upstream.challenge against micromdm -challenge", () => {
  let redis: RedisHandle;
  let ca: ScepServer;
  let gate: Scepgate;
  let dir: string;
  let records: RecordReader;

  beforeAll(async () => {
    [redis, ca] = await Promise.all([startRedis(), startScepServer({ challenge: UPSTREAM_CHALLENGE })]);
    dir = makeTempDir("gate-challenge-");
    const upstream = (challenge: string) => ({ url: ca.url, maxConcurrent: 1, challenge });
    const profiles = {
      good: { approval: "auto", upstream: upstream(UPSTREAM_CHALLENGE) },
      bad: { approval: "auto", upstream: upstream(WRONG) },
    };
    const init = await raInit(dir, { dataDir: "data", profiles }, ["--profile", "bad", "--challenge", UPSTREAM_CHALLENGE]);
    expect(init.code, `ra init: ${init.stdout}${init.stderr}`).toBe(0);
    expect(init.stdout).toMatch(/^RA certificate: .*profiles\/bad\/ra\.crt$/m);
    gate = await startScepgate({ redis, dir, config: { dataDir: "data", profiles } });
    records = recordReader(redis.url, gate.keyPrefix);
  });

  afterAll(async () => {
    await records?.close();
    await gate?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  it("ok/upstream.challenge right: devices without a challenge, or with another one, enroll", async () => {
    const url = `${gate.url}/good`;
    const cns = { scepclient: uniqueCn("upch-sc"), pki: uniqueCn("upch-pki"), direct: uniqueCn("upch-direct") };
    const device = await Device.create(url, cns.direct);
    const [sc, pki, rep] = await Promise.all([
      enrollScepclient(url, { cn: cns.scepclient, timeoutMs: 25_000 }),
      enrollPki(url, { cn: cns.pki, challenge: "the-device-own-secret", cipher: "aes", digest: "sha256", interval: 10, maxPollTime: 5, timeoutMs: 30_000 }),
      device.enroll("yet-another-secret"),
    ]);
    expect(sc.ok, `${sc.log}\n${tail(gate.output())}`).toBe(true);
    expect(pki.ok, `${pki.log}\n${tail(gate.output())}`).toBe(true);
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    await expectFromMicromdm(sc.certPem, sc.keyPem, cns.scepclient, ca, sc.log);
    await expectFromMicromdm(pki.certPem, pki.keyPem, cns.pki, ca, pki.log);
    await expectFromMicromdm(device.certificateIn(rep), device.keyPem, cns.direct, ca);
  });

  it("fail/upstream.challenge wrong: micromdm's FAILURE reaches the device (failInfo badRequest), nothing issued", async () => {
    const url = `${gate.url}/bad`;
    const direct = await Device.create(url, uniqueCn("upch-wrong-direct"));
    const cnPki = uniqueCn("upch-wrong-pki");
    const [rep, pki] = await Promise.all([
      direct.enroll(),
      enrollPki(url, { cn: cnPki, cipher: "aes", digest: "sha256", interval: 1, maxPollTime: 20, timeoutMs: 40_000 }),
    ]);
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo).toBe(FailInfo.badRequest);
    // NOTE(micromdm): its FAILURE carries no failInfoText; scepgate passes on the failInfo's name.
    expect(rep.failInfoText).toBe("badRequest");
    expect(pki.ok).toBe(false);
    expect(pki.timedOut, pki.log).toBe(false);
    expect(pki.log).toMatch(/failInfo:\s+badRequest[\s\S]*reply status is not 'SUCCESS'/);

    // A poll gives the same answer; the record says the upstream refused it.
    expect((await direct.poll()).failInfo).toBe(FailInfo.badRequest);
    for (const cn of [direct.cn, cnPki]) {
      const tx = await waitFor(`the record of ${cn}`, async () => (await records.byCommonName(cn, "bad"))[0]);
      expect(tx).toMatchObject({ state: "failed", failInfo: FailInfo.badRequest, decidedBy: "upstream" });
      const events = (await records.audit(tx.id)).map((e) => e.event);
      expect(events).toContain("upstream-rejected");
      expect(events).not.toContain("issued");
      expect((await ca.issued()).some((c) => c.subject.includes(`CN=${cn}`))).toBe(false);
    }
  });
});
