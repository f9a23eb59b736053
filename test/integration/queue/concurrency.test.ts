/**
 * upstream.maxConcurrent across worker processes (BullMQ global concurrency
 * per upstream queue), queue naming, and the throughput of the worker.
 */
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startRedis, uniquePrefix, type RedisHandle } from "../../harness/redis.js";
import { bullPrefix, forwardQueueName, planForwardQueues } from "../../../src/queue/index.js";
import { approvedTx, closeScenes, frontQueue, makeProfile, scene, StandInUpstream, testMaterial, waitFor, workers } from "./queue-fixtures.js";

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

describe("queue names", () => {
  it("ok/one queue per upstream URL; a shared URL takes the smallest maxConcurrent", () => {
    const plan = planForwardQueues([
      { profile: "a", upstreamUrl: "http://CA.example:80/scep#x", maxConcurrent: 4 },
      { profile: "b", upstreamUrl: "http://ca.example/scep", maxConcurrent: 2 },
      { profile: "c", upstreamUrl: "https://other.example/scep", maxConcurrent: 8 },
    ]);
    expect(plan).toEqual([
      { name: forwardQueueName("http://ca.example/scep"), maxConcurrent: 2, profiles: ["a", "b"] },
      { name: forwardQueueName("https://other.example/scep"), maxConcurrent: 8, profiles: ["c"] },
    ]);
    expect(plan[0]!.name).toMatch(/^forward-[0-9a-f]{12}$/);
    expect(bullPrefix("scepgate:")).toBe("scepgate:bull");
  });
});

describe("maxConcurrent", () => {
  /** 20 forwards through two worker sets ("processes") of concurrency 4 each; returns the stand-in and who ran what. */
  async function twoProcesses(maxConcurrent: number) {
    const upstream = new StandInUpstream((await testMaterial()).certDer, [], 25);
    const s = scene(redis.url, uniquePrefix("q"), [{ profile: makeProfile("remote", upstream), maxConcurrent }]);
    const queue = frontQueue(s);
    await workers(s, { name: "w1", concurrency: 4 });
    await workers(s, { name: "w2", concurrency: 4 });
    const txs = await Promise.all(Array.from({ length: 20 }, () => approvedTx(s.store, "remote")));
    await Promise.all(txs.map((tx) => queue.enqueueForward("remote", tx.transactionId)));
    for (const tx of txs) await waitFor(s.store, tx, (t) => t.state === "issued", 30_000);
    const by = await Promise.all(txs.map(async (tx) => (await queue.getJob("remote", tx.transactionId))?.processedBy));
    const ran = { w1: by.filter((b) => b === "w1").length, w2: by.filter((b) => b === "w2").length };
    console.log(`maxConcurrent ${maxConcurrent}, two worker sets: most at once ${upstream.maxActive}, w1 ran ${ran.w1}, w2 ran ${ran.w2}`);
    return { upstream, ran };
  }

  it("ok/maxConcurrent 1 holds across two worker processes while 20 jobs run", async () => {
    const { upstream } = await twoProcesses(1);
    expect(upstream.count("enroll")).toBe(20);
    expect(upstream.maxActive).toBe(1);
  });

  it("ok/control: with maxConcurrent 8 the same two processes do overlap, and both take jobs", async () => {
    const { upstream, ran } = await twoProcesses(8);
    expect(upstream.maxActive).toBeGreaterThan(1);
    expect(upstream.maxActive).toBeLessThanOrEqual(8);
    expect(ran.w1 + ran.w2).toBe(20);
  });

  it("ok/two profiles on one CA share its queue and the smaller limit; the limit is in Redis", async () => {
    const upstream = new StandInUpstream((await testMaterial()).certDer, [], 40);
    const s = scene(redis.url, uniquePrefix("q"), [
      { profile: makeProfile("p1", upstream), url: "shared", maxConcurrent: 3 },
      { profile: makeProfile("p2", upstream), url: "shared", maxConcurrent: 2 },
    ]);
    expect(s.queues).toHaveLength(1);
    const queue = frontQueue(s);
    await workers(s, { concurrency: 8 });
    await workers(s, { concurrency: 8 });
    const raw = new Queue(s.queues[0]!.name, { connection: { url: redis.url }, prefix: bullPrefix(s.prefix) });
    expect(await raw.getGlobalConcurrency()).toBe(2);
    await raw.close();
    const txs = await Promise.all(Array.from({ length: 24 }, (_, i) => approvedTx(s.store, i % 2 ? "p1" : "p2")));
    await Promise.all(txs.map((tx) => queue.enqueueForward(tx.profile, tx.transactionId)));
    for (const tx of txs) await waitFor(s.store, tx, (t) => t.state === "issued", 30_000);
    expect(upstream.maxActive).toBe(2);
  });

  it("fail/a profile without a queue (inline CA) cannot be enqueued", async () => {
    const upstream = new StandInUpstream((await testMaterial()).certDer);
    const s = scene(redis.url, uniquePrefix("q"), [{ profile: makeProfile("remote", upstream) }]);
    await expect(frontQueue(s).enqueueForward("embedded", "t1")).rejects.toThrow(/has no forward queue/);
  });
});

describe("throughput", () => {
  it("ok/jobs per second through one worker set with a no-op upstream", async () => {
    const upstream = new StandInUpstream((await testMaterial()).certDer);
    const s = scene(redis.url, uniquePrefix("q"), [{ profile: makeProfile("remote", upstream), maxConcurrent: 64 }]);
    const queue = frontQueue(s);
    const txs = [];
    for (let i = 0; i < 10; i++) txs.push(...(await Promise.all(Array.from({ length: 100 }, () => approvedTx(s.store, "remote")))));
    await workers(s, { concurrency: 64 });
    const t0 = performance.now();
    for (let i = 0; i < txs.length; i += 100) await Promise.all(txs.slice(i, i + 100).map((tx) => queue.enqueueForward("remote", tx.transactionId)));
    const enqueued = performance.now();
    for (const tx of txs) await waitFor(s.store, tx, (t) => t.state === "issued", 60_000);
    const t1 = performance.now();
    const rate = Math.round(txs.length / ((t1 - t0) / 1000));
    console.log(`throughput: ${txs.length} forwards in ${Math.round(t1 - t0)} ms (${rate} jobs/s; enqueue took ${Math.round(enqueued - t0)} ms)`);
    expect(upstream.count("enroll")).toBe(txs.length);
    expect(rate).toBeGreaterThan(50);
  });
});
