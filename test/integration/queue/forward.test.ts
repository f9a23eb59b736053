/**
 * The forward queue and its workers on a real Redis: one step job per
 * transaction through enqueue, retries, upstream polls and reconcile.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startRedis, uniquePrefix, type RedisHandle } from "../../harness/redis.js";
import { FORWARD_JOB_NAME, forwardJobId, type ForwardJobData } from "../../../src/queue/index.js";
import {
  approvedTx, auditCount, closeScenes, frontQueue, makeProfile, scene, StandInUpstream, testMaterial, waitFor, workers, type Answer,
} from "./queue-fixtures.js";
import { upstreamTransactionId } from "../../../src/ra/ids.js";
import { successorOf } from "../../../src/ra/new-transaction.js";
import type { ProfileSettings } from "../../../src/ra/profile.js";

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
  await testMaterial();
});
afterEach(closeScenes);
afterAll(async () => {
  await closeScenes();
  await redis?.stop();
});

async function setup(script: Answer[] = [], forwarding: Partial<ProfileSettings["forwarding"]> = {}, delayMs = 0) {
  const upstream = new StandInUpstream((await testMaterial()).certDer, script, delayMs);
  const s = scene(redis.url, uniquePrefix("q"), [{ profile: makeProfile("remote", upstream, forwarding) }]);
  return { s, upstream, queue: frontQueue(s) };
}

describe("forward queue", () => {
  it("ok/approved → enqueue → the worker issues it, as one job", async () => {
    const { s, upstream, queue } = await setup();
    await workers(s);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    const done = await waitFor(s.store, tx, (t) => t.state === "issued");
    expect(done.certificate).toBeTruthy();
    expect(done.upstream?.attempts).toBe(1);
    expect(upstream.count("enroll")).toBe(1);
    await expect.poll(() => queue.jobState("remote", tx.transactionId)).toBe("completed");
    const job = await queue.getJob("remote", tx.transactionId);
    expect(job?.id).toBe(forwardJobId("remote", tx.transactionId));
    expect(job?.data).toMatchObject({ v: 1, profile: "remote", transactionId: tx.transactionId });
  });

  it("ok/enqueue twice (and five times at once) → processed once", async () => {
    const { s, upstream, queue } = await setup([], {}, 200);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    await Promise.all(Array.from({ length: 5 }, () => queue.enqueueForward("remote", tx.transactionId)));
    await workers(s);
    await queue.enqueueForward("remote", tx.transactionId); // while active
    await waitFor(s.store, tx, (t) => t.state === "issued");
    await new Promise((r) => setTimeout(r, 300));
    expect(upstream.count("enroll")).toBe(1);
    expect(await auditCount(s.store, tx, "issued")).toBe(1);
  });

  it("ok/unreachable three times, then issued: retries with backoff in one job, one BullMQ attempt", async () => {
    const { s, upstream, queue } = await setup(["unreachable", "unreachable", "unreachable"]);
    await workers(s, { retryBackoff: { baseMs: 100, maxMs: 1_000 } });
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    const done = await waitFor(s.store, tx, (t) => t.state === "issued");
    const gaps = upstream.calls.slice(1).map((c, i) => c.at - upstream.calls[i]!.at);
    expect(upstream.count("enroll")).toBe(4); // after a failed attempt the CA may not know it: recover() re-sends
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
    expect(gaps[2]).toBeGreaterThanOrEqual(390);
    expect(done.certificate).toBeTruthy();
    expect(await auditCount(s.store, tx, "upstream-error")).toBe(3);
    await expect.poll(() => queue.jobState("remote", tx.transactionId)).toBe("completed");
    const job = await queue.getJob("remote", tx.transactionId);
    expect(job?.attemptsMade).toBe(1); // the steps are one attempt: moveToDelayed skips the count
    expect(job?.attemptsStarted).toBe(4);
  });

  it("fail/unreachable past retryFor → failed with a clear reason", async () => {
    const { s, upstream, queue } = await setup(Array(50).fill("unreachable"), { retryForMs: 400 });
    await workers(s, { retryBackoff: { baseMs: 50, maxMs: 100 } });
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    const done = await waitFor(s.store, tx, (t) => t.state === "failed");
    expect(done.reason).toMatch(/^the CA could not be reached for \d+ min: connect ECONNREFUSED/);
    expect(upstream.count("enroll")).toBeGreaterThan(3);
    await expect.poll(() => queue.jobState("remote", tx.transactionId)).toBe("completed");
  });

  it("ok/pending twice, then issued → upstream_pending, polls, issued", async () => {
    const { s, upstream, queue } = await setup(["pending", "pending", "issue"], { pollIntervalMs: 100 });
    await workers(s);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    const pending = await waitFor(s.store, tx, (t) => t.state === "upstream_pending");
    expect(pending.upstream?.nextPollAt).toBeTruthy();
    await waitFor(s.store, tx, (t) => t.state === "issued");
    expect(upstream.calls.map((c) => c.kind)).toEqual(["enroll", "poll", "poll"]);
    expect(upstream.calls[1]!.at - upstream.calls[0]!.at).toBeGreaterThanOrEqual(90);
    expect(upstream.calls[2]!.at - upstream.calls[1]!.at).toBeGreaterThanOrEqual(140); // 100 · 1.5
    expect(await auditCount(s.store, tx, "upstream-poll-scheduled")).toBe(2);
    await expect.poll(() => queue.jobState("remote", tx.transactionId)).toBe("completed");
    const job = await queue.getJob("remote", tx.transactionId);
    expect(job?.attemptsMade).toBe(1);
  });

  it("fail/pending past maxPendingAge → failed", async () => {
    const { s, queue } = await setup(Array(50).fill("pending"), { pollIntervalMs: 60, maxPendingAgeMs: 300 });
    await workers(s);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    const done = await waitFor(s.store, tx, (t) => t.state === "failed");
    expect(done.reason).toMatch(/left the request pending longer than/);
  });

  it("fail/the CA refuses → failed at once, no retry", async () => {
    const { s, upstream, queue } = await setup(["refuse"]);
    await workers(s);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    const done = await waitFor(s.store, tx, (t) => t.state === "failed");
    expect(done.decidedBy).toBe("upstream");
    expect(upstream.count("enroll")).toBe(1);
  });

  it("fail/a step that throws (a bug) is retried by BullMQ, then fails loudly; the transaction waits for reconcile", async () => {
    const { s, upstream, queue } = await setup(["bug", "bug", "bug"]);
    await workers(s);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    await expect.poll(() => queue.jobState("remote", tx.transactionId), { timeout: 5_000 }).toBe("failed");
    expect(upstream.count("enroll")).toBe(3);
    expect(s.logger.messages("warn").filter((m) => m.startsWith("forward job threw"))).toHaveLength(2);
    expect(s.logger.messages("error").filter((m) => m.startsWith("forward job FAILED"))).toHaveLength(1);
    expect((await s.store.get("remote", tx.transactionId))?.state).toBe("forwarding");
    expect(await queue.reconcile(s.store)).toMatchObject({ revived: 1 });
    await waitFor(s.store, tx, (t) => t.state === "issued");
    expect((await queue.getJob("remote", tx.transactionId))?.attemptsMade).toBe(1); // reset by the revival
  });

  it("fail/an unknown payload version fails the job at once (UnrecoverableError), loudly", async () => {
    const { s, queue } = await setup();
    await workers(s);
    const tx = await approvedTx(s.store, "remote");
    const { Queue } = await import("bullmq");
    const raw = new Queue(s.queues[0]!.name, { connection: { url: redis.url }, prefix: `${s.prefix}bull` });
    try {
      const data = { v: 99, profile: "remote", transactionId: tx.transactionId } as unknown as ForwardJobData;
      await raw.add(FORWARD_JOB_NAME, data, { jobId: forwardJobId("remote", tx.transactionId), attempts: 5 });
      await expect.poll(() => queue.jobState("remote", tx.transactionId)).toBe("failed");
      const job = await queue.getJob("remote", tx.transactionId);
      expect(job?.failedReason).toMatch(/unknown payload version 99/);
      expect(job?.attemptsMade).toBe(1);
      expect(s.logger.messages("error").some((m) => m.startsWith("forward job FAILED"))).toBe(true);
      // reconcile replaces the unreadable payload and the transaction is issued
      expect(await queue.reconcile(s.store)).toMatchObject({ revived: 1 });
      await waitFor(s.store, tx, (t) => t.state === "issued");
    } finally {
      await raw.close();
    }
  });

  it("ok/reconcile enqueues an orphan approved transaction (crash between approve and enqueue)", async () => {
    const { s, upstream, queue } = await setup();
    const orphan = await approvedTx(s.store, "remote");
    const queued = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", queued.transactionId);
    expect(await queue.jobState("remote", orphan.transactionId)).toBe("unknown");
    expect(await queue.reconcile(s.store)).toEqual({ checked: 2, added: 1, revived: 0 });
    expect(await queue.reconcile(s.store)).toEqual({ checked: 2, added: 0, revived: 0 }); // idempotent
    await workers(s);
    await waitFor(s.store, orphan, (t) => t.state === "issued");
    await waitFor(s.store, queued, (t) => t.state === "issued");
    expect(upstream.count("enroll")).toBe(2);
  });

  it("ok/the workers reconcile at start", async () => {
    const { s } = await setup();
    const orphan = await approvedTx(s.store, "remote");
    await workers(s, { reconcile: { intervalMs: 60_000 } });
    await waitFor(s.store, orphan, (t) => t.state === "issued");
  });

  it("ok/a finished job is revived when its transaction is approved again", async () => {
    const { s, upstream, queue } = await setup(["refuse"]);
    await workers(s);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    await waitFor(s.store, tx, (t) => t.state === "failed");
    await expect.poll(() => queue.jobState("remote", tx.transactionId)).toBe("completed");
    const failed = (await s.store.get(tx.profile, tx.transactionId))!;
    const next = successorOf({ ...tx, state: "approved" }, failed);
    expect(await s.store.supersede(next, failed, { actor: "policy", reason: "again" })).toBe(true);
    await queue.enqueueForward("remote", tx.transactionId);
    const done = await waitFor(s.store, tx, (t) => t.state === "issued");
    expect(done.certificate).toBeTruthy();
    expect(done.attempt).toBe(2);
    expect(done.upstream?.transactionId).toBe(upstreamTransactionId(tx.profile, tx.transactionId, 2));
    expect(done.upstream?.transactionId).not.toBe(upstreamTransactionId(tx.profile, tx.transactionId));
    expect(upstream.count("enroll")).toBe(2);
  });
});
