/**
 * src/app/workers.ts: the forward queue and workers composed from a
 * configuration and runtime profiles (stand-in upstream for the remote one).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, uniquePrefix, type RedisHandle } from "../../harness/redis.js";
import { createForwardQueue, forwardQueueSpecs, startWorkers, type WorkerParts } from "../../../src/app/workers.js";
import { configSchema } from "../../../src/config/index.js";
import { forwardQueueName } from "../../../src/queue/index.js";
import type { UpstreamCa } from "../../../src/ra/ports.js";
import { approvedTx, closeScenes, makeProfile, RecordingLogger, scene, StandInUpstream, testMaterial, waitFor } from "./queue-fixtures.js";

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
  await testMaterial();
});
afterAll(async () => {
  await closeScenes();
  await redis?.stop();
});

const inlineCa = { inline: true } as UpstreamCa;

function parts(upstream: UpstreamCa, prefix: string): WorkerParts {
  const config = configSchema.parse({
    redis: { url: redis.url, keyPrefix: prefix },
    workers: { concurrency: 2 },
    profiles: {
      remote: { upstream: { url: "http://ca.example:8080/scep", maxConcurrent: 3 } },
      local: {},
    },
  });
  const s = scene(redis.url, prefix, []);
  return {
    loaded: { config },
    profiles: [makeProfile("remote", upstream), makeProfile("local", inlineCa)],
    redis: { url: redis.url },
    logger: new RecordingLogger(),
    store: s.store,
    clock: { now: () => new Date() },
  };
}

describe("app/workers", () => {
  it("ok/queues only for remote-CA profiles, named by upstream URL", async () => {
    const p = parts(new StandInUpstream(new Uint8Array()), uniquePrefix("app"));
    expect(forwardQueueSpecs(p)).toEqual([{ name: forwardQueueName("http://ca.example:8080/scep"), maxConcurrent: 3, profiles: ["remote"] }]);
    expect(await createForwardQueue({ ...p, profiles: [makeProfile("local", inlineCa)] })).toBeUndefined();
  });

  it("ok/createForwardQueue + startWorkers forward an approved transaction", async () => {
    const upstream = new StandInUpstream((await testMaterial()).certDer);
    const p = parts(upstream, uniquePrefix("app"));
    const queue = (await createForwardQueue(p))!;
    const running = await startWorkers(p, { reconcile: false });
    try {
      const tx = await approvedTx(p.store, "remote");
      await queue.enqueueForward("remote", tx.transactionId);
      await waitFor(p.store, tx, (t) => t.state === "issued");
      await expect(queue.enqueueForward("local", tx.transactionId)).rejects.toThrow(/no forward queue/);
    } finally {
      await running.close();
      await queue.close();
    }
  });
});
