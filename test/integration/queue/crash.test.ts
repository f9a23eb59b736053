/**
 * Crash safety of the forward workers: a graceful close (SIGTERM) waits for
 * the active step, a SIGKILLed worker's job is recovered by another worker
 * within lockDuration + stalledInterval, and nothing is lost or run twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startProcess, type ManagedProcess } from "../../harness/process.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../../harness/redis.js";
import { WORKER_TIMING } from "../../../src/queue/index.js";
import { approvedTx, auditCount, closeScenes, frontQueue, makeProfile, scene, StandInUpstream, testMaterial, waitFor, workers, type Answer } from "./queue-fixtures.js";

let redis: RedisHandle;
const children: ManagedProcess[] = [];
beforeAll(async () => {
  redis = await startRedis();
  await testMaterial();
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill()));
  await closeScenes();
});
afterAll(async () => {
  await closeScenes();
  await redis?.stop();
});

async function setup(script: Answer[], delayMs: number) {
  const upstream = new StandInUpstream((await testMaterial()).certDer, script, delayMs);
  const s = scene(redis.url, uniquePrefix("q"), [{ profile: makeProfile("remote", upstream) }]);
  return { s, upstream, queue: frontQueue(s) };
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function startChild(prefix: string, enrollMs: number): ManagedProcess {
  const child = startProcess(process.execPath, ["--import", "tsx", "test/integration/queue/worker-child.ts"], {
    name: "queue-worker-child",
    env: { ...process.env, QUEUE_CHILD: JSON.stringify({ redisUrl: redis.url, prefix, enrollMs }) },
  });
  children.push(child);
  return child;
}

describe("graceful close (SIGTERM)", () => {
  it("ok/close during an active step waits for it; the job is completed, never doubled", async () => {
    const { s, upstream, queue } = await setup([], 800);
    const w1 = await workers(s);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    await until(() => upstream.active === 1);
    await w1.close();
    expect(upstream.active).toBe(0);
    expect((await s.store.get("remote", tx.transactionId))?.state).toBe("issued");
    expect(await queue.jobState("remote", tx.transactionId)).toBe("completed");
    expect(upstream.count("enroll")).toBe(1);
  });

  it("ok/close during a step that ends PENDING: the job waits delayed and the next worker resumes it", async () => {
    const { s, upstream, queue } = await setup(["pending", "issue"], 800);
    const w1 = await workers(s);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    await until(() => upstream.active === 1);
    await w1.close();
    expect((await s.store.get("remote", tx.transactionId))?.state).toBe("upstream_pending");
    expect(await queue.jobState("remote", tx.transactionId)).toBe("delayed");
    await workers(s);
    await waitFor(s.store, tx, (t) => t.state === "issued");
    expect(upstream.calls.map((c) => c.kind)).toEqual(["enroll", "poll"]);
    expect(await auditCount(s.store, tx, "issued")).toBe(1);
  });

  it("ok/SIGTERM to a worker process mid-step: it finishes the step and exits 0", async () => {
    const { s, upstream, queue } = await setup([], 0);
    const prefix = s.prefix;
    const child = startChild(prefix, 1_500);
    await child.waitForOutput(/READY/, 30_000);
    const tx = await approvedTx(s.store, "remote");
    await queue.enqueueForward("remote", tx.transactionId);
    await child.waitForOutput(/CALL enroll/, 10_000);
    const exit = await child.stop({ signal: "SIGTERM", graceMs: 10_000 });
    expect(exit.code).toBe(0);
    expect(child.output()).toMatch(/CLOSED enroll=1/);
    expect((await s.store.get("remote", tx.transactionId))?.state).toBe("issued");
    expect(await auditCount(s.store, tx, "issued")).toBe(1);
    expect(upstream.calls).toHaveLength(0); // nothing left for anyone else
  });
});

describe("killed worker (SIGKILL)", () => {
  it(
    "ok/the job of a SIGKILLed worker is recovered by another worker within lockDuration + stalledInterval, issued once",
    async () => {
      const { s, upstream, queue } = await setup([], 0);
      const child = startChild(s.prefix, 600_000); // the CA never answers the child
      await child.waitForOutput(/READY/, 30_000);
      const tx = await approvedTx(s.store, "remote");
      await queue.enqueueForward("remote", tx.transactionId);
      await child.waitForOutput(/CALL enroll/, 10_000);
      await workers(s); // the surviving worker, production timing
      await new Promise((r) => setTimeout(r, 200));
      expect(upstream.calls).toHaveLength(0); // the job is the child's
      await child.kill();
      const killedAt = Date.now();
      await waitFor(s.store, tx, (t) => t.state === "issued", 45_000);
      const recoveredMs = upstream.calls[0]!.at - killedAt;
      console.log(`SIGKILLed worker's job resumed after ${recoveredMs} ms (lock ${WORKER_TIMING.lockDurationMs} ms, stalled check ${WORKER_TIMING.stalledIntervalMs} ms)`);
      // BullMQ's stall check needs two passes to declare a job stalled: lock + 2 × interval in the worst case.
      expect(recoveredMs).toBeLessThanOrEqual(WORKER_TIMING.lockDurationMs + 2 * WORKER_TIMING.stalledIntervalMs + 2_000);
      // recover(): the CA is asked first (it never saw the request), then enrolled once
      expect(upstream.calls.map((c) => c.kind)).toEqual(["poll", "enroll"]);
      expect(await auditCount(s.store, tx, "issued")).toBe(1);
      expect(s.logger.messages("warn").some((m) => m.startsWith("forward job stalled"))).toBe(true);
    },
    60_000,
  );
});
