/**
 * A rough throughput probe of the store on the local Redis: prints ops/s for
 * create + transition (and get). Timings are printed, never asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Transaction } from "../../../src/ra/ports.js";
import type { RedisTransactionStore } from "../../../src/store/index.js";
import { sampleTx, StoreEnv } from "./store-fixtures.js";

let env: StoreEnv;
beforeAll(async () => {
  env = await StoreEnv.start();
});
afterAll(async () => {
  await env?.stop();
});

const N = 2_000;

async function lifecycle(store: RedisTransactionStore, tx: Transaction): Promise<void> {
  await store.create(tx, "policy");
  await store.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "approved" }, { actor: "op", event: "approved" });
  await store.transition(tx.profile, tx.transactionId, ["approved"], { state: "issued", certificate: "MIIB" }, { actor: "upstream", event: "issued" });
}

async function measure(label: string, concurrency: number, store: RedisTransactionStore): Promise<void> {
  const txs = Array.from({ length: N }, () => sampleTx());
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < txs.length) await lifecycle(store, txs[next++]!);
    }),
  );
  const lifeMs = performance.now() - t0;
  const t1 = performance.now();
  next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < txs.length) {
        const tx = txs[next++]!;
        await store.get(tx.profile, tx.transactionId);
      }
    }),
  );
  const getMs = performance.now() - t1;
  const ops = (3 * N * 1000) / lifeMs;
  console.log(
    `[store throughput] ${label}: ${N} x (create + 2 transitions) in ${lifeMs.toFixed(0)} ms = ${ops.toFixed(0)} writes/s, ` +
      `${((N * 1000) / lifeMs).toFixed(0)} lifecycles/s; ${N} gets in ${getMs.toFixed(0)} ms = ${((N * 1000) / getMs).toFixed(0)} gets/s`,
  );
  expect((await store.list({ state: "issued", limit: 1000 })).length).toBeGreaterThan(0);
}

describe("throughput", () => {
  it("ok/create + transition, sequential", async () => {
    await measure("sequential", 1, env.store());
  });

  it("ok/create + transition, 50 concurrent callers on one connection", async () => {
    await measure("concurrency 50", 50, env.store());
  });

  it("ok/scripts run as EVALSHA (EVAL only to load a script once per connection)", async () => {
    const stats = await env.connection().info("commandstats");
    const calls = (cmd: string): number => Number(new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, "m").exec(stats)?.[1] ?? 0);
    console.log(`[store throughput] evalsha calls ${calls("evalsha")}, eval calls ${calls("eval")}`);
    expect(calls("evalsha") + calls("eval")).toBeGreaterThanOrEqual(6 * N); // 2 runs x N x 3 writes
    expect(calls("eval")).toBeLessThan(100);
  });
});
