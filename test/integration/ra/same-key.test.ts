/**
 * Clients that derive the transactionID from the public key (strongSwan pki:
 * hex SHA-1 of the key; micromdm scepclient: base64 SHA-1; sscep does the
 * same) send a new CSR under the same transactionID when they enroll again
 * with the same key. The device must get a certificate for the CSR it sent:
 * - same key + a new subject → a new enrollment, a certificate for the new subject;
 * - same key + the same CSR within resendWindow → a resend: the same certificate;
 * - … after resendWindow (a renewal with the old key) → a new certificate;
 * - a new CSR while the first request is still open → FAILURE badRequest.
 * The earlier request stays in the store under its own id, with its history.
 *
 * The RA runs in this process (real port, real Redis, embedded CA) with a
 * clock the test moves: the window is crossed without sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollPki, enrollScepclient, randomSuffix, type EnrollResult } from "../../harness/clients.js";
import { certInfo, fetchCaChain, sameKey, verifyCert, type CaChain } from "../../harness/openssl.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { FailInfo, PkiStatus } from "../../../src/protocol/index.js";
import type { Transaction } from "../../../src/ra/ports.js";
import { Device } from "../pipeline/device.js";
import { startInProcessGate, type InProcessGate } from "../support/in-process-gate.js";

const HOUR = 3_600_000;

let redis: RedisHandle;
let gate: InProcessGate;
let chain: CaChain;

beforeAll(async () => {
  redis = await startRedis();
  // Starts two hours in the past so the CA and RA certificates made now are valid once the clock moves on.
  gate = await startInProcessGate(redis, {
    profiles: { default: { resendWindow: "1h" }, manual: { approval: "manual", resendWindow: "1h" } },
    clockOffsetMs: -2 * HOUR,
  });
  chain = await fetchCaChain(gate.url);
});

afterAll(async () => {
  await gate?.stop();
  await redis?.stop();
});

/** Every record (all attempts) of one transactionID, oldest attempt first. */
async function attempts(profile: string, transactionId: string): Promise<Transaction[]> {
  const all = await gate.runtime.store.list({ profile, limit: 1000 });
  return all.filter((t) => t.transactionId === transactionId).sort((a, b) => (a.attempt ?? 1) - (b.attempt ?? 1));
}

/** The one transactionID the client's requests used (each client keeps one per key). */
async function transactionIdOf(cn: string, profile = "default"): Promise<string> {
  const all = await gate.runtime.store.list({ profile, limit: 1000 });
  const tx = all.find((t) => t.commonName === cn);
  if (!tx) throw new Error(`no record for CN=${cn}`);
  return tx.transactionId;
}

async function expectIssued(r: EnrollResult, cn: string): Promise<{ serial: string; subject: string }> {
  expect(r.ok, r.log).toBe(true);
  const cert = r.certPem ?? "";
  expect(sameKey(cert, r.keyPem)).toBe(true);
  const info = certInfo(cert);
  expect(info.subject).toContain(`CN=${cn}`);
  const verified = await verifyCert(cert, { roots: chain.roots, untrusted: chain.others });
  expect(verified.ok, verified.output).toBe(true);
  return info;
}

/** Two attempts of one transactionID: the first kept under its own id with its history, the second current. */
async function expectTwoAttempts(profile: string, transactionId: string, firstCn: string, secondCn: string): Promise<void> {
  const [first, second, ...more] = await attempts(profile, transactionId);
  expect(more).toEqual([]);
  expect(first).toMatchObject({ attempt: 1, commonName: firstCn, state: "issued", supersededBy: second?.id });
  expect(second).toMatchObject({ attempt: 2, commonName: secondCn, state: "issued", previousId: first?.id });
  expect(second?.serial).not.toBe(first?.serial);
  expect((await gate.runtime.store.get(profile, transactionId))?.id).toBe(second?.id);
  const old = await gate.runtime.store.history(first!.id);
  expect(old.map((e) => e.event)).toEqual(["created", "issued", "superseded"]);
  const now = await gate.runtime.store.history(second!.id);
  expect(now[0]).toMatchObject({ event: "created", reason: expect.stringContaining(`supersedes ${first!.id}`) });
}

describe("same key, new subject", () => {
  it("ok/pki: the second CSR gets its own certificate; the first request stays in the history", async () => {
    const a = `pki-a-${randomSuffix()}`;
    const b = `pki-b-${randomSuffix()}`;
    const first = await enrollPki(gate.url, { cn: a, cipher: "aes", digest: "sha256" });
    const certA = await expectIssued(first, a);
    const second = await enrollPki(gate.url, { cn: b, cipher: "aes", digest: "sha256", keyPem: first.keyPem });
    const certB = await expectIssued(second, b);
    expect(certB.serial).not.toBe(certA.serial);
    await expectTwoAttempts("default", await transactionIdOf(a), a, b);
  });

  it("ok/scepclient: the second CSR gets its own certificate; the first request stays in the history", async () => {
    const a = `mm-a-${randomSuffix()}`;
    const b = `mm-b-${randomSuffix()}`;
    const first = await enrollScepclient(gate.url, { cn: a, timeoutMs: 30_000 });
    const certA = await expectIssued(first, a);
    const second = await enrollScepclient(gate.url, { cn: b, timeoutMs: 30_000, keyPem: first.keyPem });
    const certB = await expectIssued(second, b);
    expect(certB.serial).not.toBe(certA.serial);
    await expectTwoAttempts("default", await transactionIdOf(a), a, b);
  });
});

describe("same key, same CSR", () => {
  it("ok/pki and scepclient: within resendWindow the same certificate, after it a new one (the clock moves, nothing sleeps)", async () => {
    const pkiCn = `pki-renew-${randomSuffix()}`;
    const mmCn = `mm-renew-${randomSuffix()}`;
    const pki = await enrollPki(gate.url, { cn: pkiCn, cipher: "des3", digest: "sha256" });
    const mm = await enrollScepclient(gate.url, { cn: mmCn, timeoutMs: 30_000 });
    const pkiFirst = await expectIssued(pki, pkiCn);
    const mmFirst = await expectIssued(mm, mmCn);

    gate.clock.offsetMs += 30 * 60_000; // 30 min after the end: within the window
    const pkiResent = await pki.rerun();
    const mmResent = await mm.rerun();
    expect((await expectIssued(pkiResent, pkiCn)).serial).toBe(pkiFirst.serial);
    expect((await expectIssued(mmResent, mmCn)).serial).toBe(mmFirst.serial);
    expect(await attempts("default", await transactionIdOf(pkiCn))).toHaveLength(1);
    expect(await attempts("default", await transactionIdOf(mmCn))).toHaveLength(1);

    gate.clock.offsetMs += 61 * 60_000; // 91 min after the end: the window is over
    const pkiRenewed = await pki.rerun();
    const mmRenewed = await mm.rerun();
    expect((await expectIssued(pkiRenewed, pkiCn)).serial).not.toBe(pkiFirst.serial);
    expect((await expectIssued(mmRenewed, mmCn)).serial).not.toBe(mmFirst.serial);
    await expectTwoAttempts("default", await transactionIdOf(pkiCn), pkiCn, pkiCn);
    await expectTwoAttempts("default", await transactionIdOf(mmCn), mmCn, mmCn);
  });
});

describe("same key, another CSR while the first is open", () => {
  it("fail/pki: FAILURE badRequest; the open request is untouched and is issued to its own CSR once approved", async () => {
    const url = gate.url.replace(/\/scep$/, "/scep/manual");
    const a = `pki-open-a-${randomSuffix()}`;
    const b = `pki-open-b-${randomSuffix()}`;
    const first = await enrollPki(url, { cn: a, cipher: "aes", digest: "sha256", interval: 1, maxPollTime: 2 });
    expect(first.ok).toBe(false);
    expect(first.pending, first.log).toBe(true);
    const txid = await transactionIdOf(a, "manual");
    const open = await gate.runtime.store.get("manual", txid);
    expect(open?.state).toBe("pending_approval");

    const second = await enrollPki(url, { cn: b, cipher: "aes", digest: "sha256", keyPem: first.keyPem, interval: 1, maxPollTime: 2 });
    expect(second.ok).toBe(false);
    expect(second.certPem).toBeUndefined();
    expect(second.timedOut, second.log).toBe(false);
    expect(second.log).toMatch(/failInfo:\s+badRequest/);
    // What the FAILURE says (pki does not print failInfoText): the same key's CSR again, decoded here.
    const device = await Device.create(url, `dev-open-${randomSuffix()}`, { keyPem: first.keyPem, transactionId: txid });
    const rep = await device.enroll();
    expect(rep).toMatchObject({ status: PkiStatus.FAILURE, failInfo: FailInfo.badRequest });
    expect(rep.failInfoText).toMatch(/open request \(pending_approval\) for another CSR/);
    expect(await attempts("manual", txid)).toEqual([open]);

    await gate.runtime.operator.approve(open!.id, "test");
    const collected = await first.rerun();
    await expectIssued(collected, a);

    // Now finished: the same key's new CSR is a new request, waiting for its own approval.
    const third = await enrollPki(url, { cn: b, cipher: "aes", digest: "sha256", keyPem: first.keyPem, interval: 1, maxPollTime: 2 });
    expect(third.pending, third.log).toBe(true);
    const [done, waiting] = await attempts("manual", txid);
    expect(done).toMatchObject({ state: "issued", commonName: a, supersededBy: open!.id });
    expect(waiting).toMatchObject({ id: open!.id, state: "pending_approval", commonName: b, attempt: 2 });
    // Decisions act on the current request only, never on a superseded one.
    await expect(gate.runtime.operator.approve(done!.id, "test")).rejects.toThrow(/superseded by a later request/);
    await expect(gate.runtime.operator.reject(done!.id, "test", "no")).rejects.toThrow(/superseded by a later request/);
    expect((await gate.runtime.store.get("manual", txid))?.state).toBe("pending_approval");
    await gate.runtime.operator.approve(waiting!.id, "test");
    await expectIssued(await third.rerun(), b);
  });
});
