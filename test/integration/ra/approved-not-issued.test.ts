/**
 * An approval on a profile with the embedded CA takes two writes: the record
 * becomes `approved`, then the certificate is issued and the record
 * `issued`. A process that dies between the two (found by `npm run chaos`)
 * left the record `approved` with nothing to move it on: a device polling
 * with CertPoll got PENDING for ever, and approving again was a conflict.
 *
 * Here the first write is made alone (as the dying process left it), on a
 * real Redis with the RA in this process, and then:
 * - the device's next CertPoll issues it: SUCCESS, a certificate for its key;
 * - strongSwan pki, polling with CertPoll, ends with its certificate;
 * - an operator's approve issues it instead of answering a conflict.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import type { Transaction } from "../../../src/ra/ports.js";
import { enrollPki, randomSuffix } from "../../harness/clients.js";
import { sameKey } from "../../harness/openssl.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { Device } from "../pipeline/device.js";
import { waitFor } from "../pipeline/pipeline-support.js";
import { startInProcessGate, type InProcessGate } from "../support/in-process-gate.js";

const PROFILE = "manual";

let redis: RedisHandle;
let gate: InProcessGate;

beforeAll(async () => {
  redis = await startRedis();
  gate = await startInProcessGate(redis, { profiles: { [PROFILE]: { approval: "manual" } } });
});

afterAll(async () => {
  await gate?.stop();
  await redis?.stop();
});

async function recordOf(cn: string): Promise<Transaction | undefined> {
  return (await gate.runtime.store.list({ profile: PROFILE, limit: 1000 })).find((t) => t.commonName === cn);
}

/** What the approval's first write does, and nothing after it: the process "died" before issuing. */
async function approveWithoutIssuing(tx: Transaction): Promise<void> {
  const at = new Date().toISOString();
  const moved = await gate.runtime.store.transition(PROFILE, tx.transactionId, ["pending_approval"], { state: "approved", decidedBy: "alice", approvals: [{ by: "alice", at }] }, {
    actor: "alice",
    event: "approved",
  });
  expect(moved?.state).toBe("approved");
}

async function expectIssuedOnce(id: string): Promise<void> {
  const events = (await gate.runtime.store.history(id)).map((e) => e.event);
  expect(events.filter((e) => e === "issued")).toHaveLength(1);
  expect(events.indexOf("approved")).toBeLessThan(events.indexOf("issued"));
}

describe("an approved request whose issuance did not follow (embedded CA)", () => {
  it("ok/the device's next CertPoll issues it: SUCCESS with a certificate for its key", async () => {
    const device = await Device.create(`${gate.url}/${PROFILE}`, `stuck-poll-${randomSuffix()}`);
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const tx = (await recordOf(device.cn))!;
    await approveWithoutIssuing(tx);
    const rep = await device.poll();
    expect(rep.status).toBe(PkiStatus.SUCCESS);
    expect(device.certificateIn(rep)).toBeDefined();
    expect((await gate.runtime.store.getById(tx.id))?.state).toBe("issued");
    await expectIssuedOnce(tx.id);
  });

  it("ok/strongSwan pki, polling with CertPoll, ends with its certificate", async () => {
    const cn = `stuck-pki-${randomSuffix()}`;
    const running = enrollPki(`${gate.url}/${PROFILE}`, { cn, cipher: "aes", digest: "sha256", interval: 1, maxPollTime: 60 });
    const tx = await waitFor(`${cn}'s request`, () => recordOf(cn), 30_000);
    await approveWithoutIssuing(tx);
    const r = await running;
    expect(r.ok, r.log).toBe(true);
    expect(r.pending).toBe(true);
    expect(sameKey(r.certPem!, r.keyPem)).toBe(true);
    await expectIssuedOnce(tx.id);
  }, 90_000);

  it("ok/approving it again issues it instead of answering a conflict", async () => {
    const device = await Device.create(`${gate.url}/${PROFILE}`, `stuck-operator-${randomSuffix()}`);
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const tx = (await recordOf(device.cn))!;
    await approveWithoutIssuing(tx);
    const after = await gate.runtime.operator.approve(tx.id, "bob");
    expect(after.state).toBe("issued");
    const rep = await device.poll();
    expect(rep.status).toBe(PkiStatus.SUCCESS);
    expect(device.certificateIn(rep)).toBeDefined();
    await expectIssuedOnce(tx.id);
  });
});
