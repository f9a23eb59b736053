/**
 * One-time challenge passwords end to end: a profile with `challenge.mode:
 * otp` forwarding to a real micromdm scepserver, passwords issued with the
 * real CLI (`scepgate otp issue`), used by devices:
 *
 * - issued for a subject CN: a real client (`pki --scep --password`) with that
 *   CN enrolls; the same password again (another device, another key) → FAILURE;
 * - expired (--ttl 1s, used 2 s later) → FAILURE;
 * - wrong subject → FAILURE, and the password still works for the right one;
 * - concurrent double use: two devices send the same password at the same
 *   moment → exactly one SUCCESS and one FAILURE (consumed atomically).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, PkiStatus, type CertRep } from "../../../src/protocol/index.js";
import { enrollPki } from "../../harness/clients.js";
import { sleep } from "../../harness/process.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import { cliOk, Device, expectFromMicromdm, uniqueCn } from "./pipeline-support.js";

describe("one-time passwords: scepgate otp issue → devices → micromdm", () => {
  let redis: RedisHandle;
  let ca: ScepServer;
  let gate: Scepgate;
  let url: string;
  let records: RecordReader;

  beforeAll(async () => {
    [redis, ca] = await Promise.all([startRedis(), startScepServer()]);
    gate = await startScepgate({
      redis,
      config: { profiles: { otp: { approval: "auto", challenge: { mode: "otp" }, upstream: { url: ca.url, maxConcurrent: 1 } } } },
    });
    url = `${gate.url}/otp`;
    records = recordReader(redis.url, gate.keyPrefix);
  });

  afterAll(async () => {
    await records?.close();
    await gate?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
  });

  /** `scepgate otp issue --profile otp ARGS` → the password it printed. */
  async function issue(...args: string[]): Promise<string> {
    const r = await cliOk(gate, "otp", "issue", "--profile", "otp", ...args);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]{16,}\n$/);
    return r.stdout.trim();
  }

  function expectRefused(rep: CertRep, what: string): void {
    expect(rep.status, what).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo, what).toBe(FailInfo.badRequest);
    expect(rep.failInfoText, what).toBe("challenge password is not valid");
  }

  async function challengeOf(cn: string): Promise<string[]> {
    return (await records.byCommonName(cn, "otp")).map((t) => `${t.state}/${t.challenge}`);
  }

  it("ok/issued for a CN: pki --scep with that CN and password enrolls; the same password again → FAILURE", async () => {
    const cn = uniqueCn("otp-pki");
    const password = await issue("--subject", cn, "--ttl", "10m");
    const pki = await enrollPki(url, { cn, challenge: password, cipher: "aes", digest: "sha256", interval: 10, maxPollTime: 5, timeoutMs: 30_000 });
    expect(pki.ok, `${pki.log}\n${tail(gate.output())}`).toBe(true);
    expect(pki.pending).toBe(false);
    await expectFromMicromdm(pki.certPem, pki.keyPem, cn, ca, pki.log);
    expect(await challengeOf(cn)).toEqual(["issued/otp-valid"]);

    const again = await Device.create(url, cn);
    expectRefused(await again.enroll(password), "the same password a second time");
    expect(await challengeOf(cn)).toEqual(expect.arrayContaining(["issued/otp-valid", "rejected/otp-invalid"]));
    expect(gate.output()).not.toContain(password);
  });

  it("fail/expired: --ttl 1s, used 2 s later → FAILURE", async () => {
    const cn = uniqueCn("otp-expired");
    const password = await issue("--subject", cn, "--ttl", "1s");
    await sleep(2_000);
    const device = await Device.create(url, cn);
    expectRefused(await device.enroll(password), "an expired password");
    expect(await challengeOf(cn)).toEqual(["rejected/otp-invalid"]);
  });

  it("fail/wrong subject → FAILURE, and the password still works for the right subject", async () => {
    const cn = uniqueCn("otp-bound");
    const password = await issue("--subject", cn);
    const intruder = await Device.create(url, uniqueCn("otp-intruder"));
    expectRefused(await intruder.enroll(password), "another subject");
    const owner = await Device.create(url, cn);
    const rep = await owner.enroll(password);
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    await expectFromMicromdm(owner.certificateIn(rep), owner.keyPem, cn, ca);
  });

  it("ok/concurrent double use: two devices, the same password at the same moment → one SUCCESS, one FAILURE", async () => {
    for (let round = 1; round <= 3; round++) {
      const password = await issue();
      const [d1, d2] = await Promise.all([Device.create(url, uniqueCn(`otp-race${round}-a`)), Device.create(url, uniqueCn(`otp-race${round}-b`))]);
      const reps = await Promise.all([d1.enroll(password), d2.enroll(password)]);
      const statuses = reps.map((r) => r.status).sort();
      expect(statuses, `round ${round}`).toEqual([PkiStatus.SUCCESS, PkiStatus.FAILURE].sort());
      const loser = reps.find((r) => r.status === PkiStatus.FAILURE)!;
      expectRefused(loser, `round ${round}: the second use`);
      const winner = reps[0]!.status === PkiStatus.SUCCESS ? d1 : d2;
      const won = reps.find((r) => r.status === PkiStatus.SUCCESS)!;
      await expectFromMicromdm(winner.certificateIn(won), winner.keyPem, winner.cn, ca);
      const seen = [...(await challengeOf(d1.cn)), ...(await challengeOf(d2.cn))].sort();
      expect(seen).toEqual(["issued/otp-valid", "rejected/otp-invalid"]);
    }
  });
});
