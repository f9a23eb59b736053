/**
 * The store's durable writes behind Sentinel (redis.waitReplicas): a write
 * resolves only once the replica holds it; with the replica hung it is
 * refused after waitTimeout; and what WAIT costs per write (a figure for
 * the notes, not an assertion).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { connectRedis, RedisOneTimePasswords, RedisTransactionStore, ReplicationError, StoreKeys, type RedisEndpoint } from "../../../src/store/index.js";
import { decodeRecord } from "../../../src/store/record-codec.js";
import { uniquePrefix } from "../../harness/redis.js";
import { startSentinelTopology, type SentinelTopology } from "../../harness/sentinel.js";
import { sampleTx } from "../store/store-fixtures.js";

const DURABLE = { replicas: 1, timeoutMs: 500 };

function report(line: string): void {
  console.log(`[redis-ha] ${line}`);
}

describe("durable store writes behind Sentinel", () => {
  let topo: SentinelTopology;
  let endpoint: RedisEndpoint;
  const opened: Redis[] = [];
  const stores: RedisTransactionStore[] = [];

  const connection = (): Redis => {
    const r = connectRedis(endpoint);
    r.on("error", () => undefined);
    opened.push(r);
    return r;
  };
  const storeOf = (durability: typeof DURABLE | undefined, prefix = uniquePrefix("ha")) => {
    const s = new RedisTransactionStore({ redis: connection(), prefix, durability });
    stores.push(s);
    return s;
  };
  const replicaClient = async (): Promise<Redis> => {
    const r = topo.nodeClient(await topo.replica());
    opened.push(r);
    return r;
  };

  beforeAll(async () => {
    topo = await startSentinelTopology();
    endpoint = { sentinel: { name: topo.name, sentinels: topo.sentinels, db: 0, tls: false } };
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    for (const r of opened) r.disconnect();
    await topo?.stop();
  });

  it("ok/create, approval, transition and a one-time password are on the replica the moment they resolve", async () => {
    const prefix = uniquePrefix("ha");
    const store = storeOf(DURABLE, prefix);
    const keys = new StoreKeys(prefix);
    const replica = await replicaClient();
    const txs = Array.from({ length: 20 }, () => sampleTx());
    const seen = await Promise.all(txs.map(async (tx) => {
      await store.create(tx, "test");
      const created = decodeRecord(await replica.hgetall(keys.record(tx.id)))?.state;
      await store.addApproval(tx.profile, tx.transactionId, { by: "alice", at: new Date().toISOString() }, 1);
      const approved = decodeRecord(await replica.hgetall(keys.record(tx.id)))?.state;
      await store.transition(tx.profile, tx.transactionId, ["approved"], { state: "forwarding" }, { actor: "test", event: "forwarding" });
      const forwarding = decodeRecord(await replica.hgetall(keys.record(tx.id)))?.state;
      return [created, approved, forwarding];
    }));
    expect(seen).toEqual(txs.map(() => ["pending_approval", "approved", "forwarding"]));

    const otp = new RedisOneTimePasswords({ redis: connection(), prefix, durability: DURABLE });
    await otp.issue("default", "otp-on-the-replica", new Date(Date.now() + 60_000), undefined);
    expect(await replica.exists(keys.otp("default", "otp-on-the-replica"))).toBe(1);
  });

  it("fail/with the replica hung a write is refused after waitTimeout; the same write resent is confirmed once it is back", async () => {
    const store = storeOf(DURABLE);
    const otp = new RedisOneTimePasswords({ redis: connection(), prefix: uniquePrefix("ha"), durability: DURABLE });
    const tx = sampleTx();
    await store.create(sampleTx(), "test"); // connected and scripts loaded before the pause
    const hung = await topo.pause("redis-replica");
    let refusedAfter: number;
    try {
      const started = Date.now();
      await expect(store.create(tx, "test")).rejects.toThrow(ReplicationError);
      refusedAfter = Date.now() - started;
      await expect(otp.issue("default", "not-confirmed", new Date(Date.now() + 60_000), undefined)).rejects.toThrow(/reached 0 of 1 replica/);
    } finally {
      topo.resume(hung);
    }
    // The record is on the primary; a device's resend finds it (created: false) and is confirmed now.
    const again = await store.create(tx, "test");
    expect(again.created).toBe(false);
    expect(again.tx.id).toBe(tx.id);
    report(`hung replica: a write was refused after ${refusedAfter} ms (waitTimeout ${DURABLE.timeoutMs} ms)`);
  });

  it("ok/what WAIT costs per write (sequential and 50 concurrent creates, with and without waitReplicas 1)", { timeout: 120_000 }, async () => {
    const plain = storeOf(undefined);
    const durable = storeOf(DURABLE);
    await plain.create(sampleTx(), "warm-up");
    await durable.create(sampleTx(), "warm-up");
    const sequential = async (store: RedisTransactionStore, n: number): Promise<number[]> => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await store.create(sampleTx(), "bench");
        ms.push(performance.now() - t);
      }
      return ms.sort((a, b) => a - b);
    };
    const concurrent = async (store: RedisTransactionStore, n: number, width: number): Promise<number> => {
      const t = performance.now();
      for (let i = 0; i < n; i += width) await Promise.all(Array.from({ length: width }, () => store.create(sampleTx(), "bench")));
      return (performance.now() - t) / n;
    };
    const n = 400;
    const rounds: string[] = [];
    for (const [label, store] of [["no wait", plain], ["waitReplicas 1", durable], ["no wait", plain], ["waitReplicas 1", durable]] as const) {
      const ms = await sequential(store, n);
      const per = await concurrent(store, 1000, 50);
      rounds.push(`${label}: sequential p50 ${ms[n / 2]!.toFixed(3)} ms p99 ${ms[Math.floor(n * 0.99)]!.toFixed(3)} ms; 50 concurrent ${per.toFixed(3)} ms/write`);
    }
    for (const r of rounds) report(`WAIT cost, ${n} sequential + 1000 concurrent creates: ${r}`);
    expect(await plain.list({ limit: 1000 })).toHaveLength(1000);
  });
});
