/** waitForFinal on a real Redis: pub/sub fan-out on one subscriber connection. */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Transaction } from "../../../src/ra/ports.js";
import { RedisTransactionStore } from "../../../src/store/index.js";
import { uniquePrefix } from "../../harness/redis.js";
import { clientsNamed, sampleTx, StoreEnv } from "./store-fixtures.js";

let env: StoreEnv;
beforeAll(async () => {
  env = await StoreEnv.start();
});
afterAll(async () => {
  await env?.stop();
});

/** A waiting store on a named connection, and a second store (another process) on the same prefix. */
function setup(): { name: string; waiting: RedisTransactionStore; other: RedisTransactionStore } {
  const prefix = uniquePrefix("wait");
  const name = `wait-${randomBytes(4).toString("hex")}`;
  return { name, waiting: env.store(prefix, env.connection(name)), other: env.store(prefix) };
}

const issue = (store: RedisTransactionStore, tx: Transaction): Promise<Transaction | undefined> =>
  store.transition(tx.profile, tx.transactionId, ["pending_approval", "approved"], { state: "issued", certificate: "MIIB" }, { actor: "upstream", event: "issued" });

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

describe("waitForFinal", () => {
  it("ok/resolves when a second connection makes the record final", async () => {
    const { waiting, other } = setup();
    const tx = sampleTx();
    await other.create(tx, "policy");
    const t0 = Date.now();
    const waited = waiting.waitForFinal(tx.profile, tx.transactionId, 10_000);
    setTimeout(() => void issue(other, tx), 100);
    const got = await waited;
    expect(got).toMatchObject({ id: tx.id, state: "issued", certificate: "MIIB" });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(waiting.pendingWaiters).toBe(0);
  });

  it("ok/ignores non-final changes and keeps waiting", async () => {
    const { waiting, other } = setup();
    const tx = sampleTx();
    await other.create(tx, "policy");
    const waited = waiting.waitForFinal(tx.profile, tx.transactionId, 10_000);
    await other.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "approved" }, { actor: "op", event: "approved" });
    await other.transition(tx.profile, tx.transactionId, ["approved"], { state: "rejected", reason: "late no" }, { actor: "op", event: "rejected" });
    expect(await waited).toMatchObject({ state: "rejected", reason: "late no" });
  });

  it("ok/resolves at once, without a subscriber, when already final", async () => {
    const { name, waiting, other } = setup();
    const tx = sampleTx({ state: "failed", reason: "upstream down" });
    await other.create(tx, "worker");
    const t0 = Date.now();
    expect(await waiting.waitForFinal(tx.profile, tx.transactionId, 10_000)).toEqual(tx);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(await clientsNamed(env.connection(), name)).toBe(1);
  });

  it("ok/times out with undefined and leaves no waiter or timer behind", async () => {
    const { waiting, other } = setup();
    const tx = sampleTx();
    await other.create(tx, "policy");
    await waiting.waitForFinal(tx.profile, "warm-up", 1); // creates the subscriber and its timers, if any
    const timersBefore = activeTimers();
    const t0 = Date.now();
    expect(await waiting.waitForFinal(tx.profile, tx.transactionId, 300)).toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await waiting.waitForFinal(tx.profile, "never-created", 100)).toBeUndefined();
    expect(waiting.pendingWaiters).toBe(0);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it("ok/no lost wake-up when the record becomes final while the wait starts", async () => {
    const { waiting, other } = setup();
    const txs = Array.from({ length: 40 }, () => sampleTx());
    await Promise.all(txs.map((tx) => other.create(tx, "policy")));
    const t0 = Date.now();
    const results = await Promise.all(
      txs.map((tx, i) => {
        const waited = waiting.waitForFinal(tx.profile, tx.transactionId, 10_000);
        setTimeout(() => void issue(other, tx), i % 5); // some before, some during, some after the subscribe
        return waited;
      }),
    );
    expect(results.map((r) => r?.state)).toEqual(txs.map(() => "issued"));
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("ok/50 concurrent waiters share one subscriber connection, closed by close()", async () => {
    const { name, waiting, other } = setup();
    const watcher = env.connection();
    expect(await clientsNamed(watcher, name)).toBe(1); // the command connection
    const txs = Array.from({ length: 50 }, () => sampleTx());
    await Promise.all(txs.map((tx) => other.create(tx, "policy")));
    const waits = txs.map((tx) => waiting.waitForFinal(tx.profile, tx.transactionId, 20_000));
    await until(() => waiting.pendingWaiters === 50);
    await new Promise((r) => setTimeout(r, 100)); // let every SUBSCRIBE land
    expect(await clientsNamed(watcher, name)).toBe(2); // + one subscriber (duplicate() keeps the name)
    const subscribers = await watcher.pubsub("NUMSUB", waiting.keys.changes());
    expect(subscribers).toEqual([waiting.keys.changes(), 1]);

    await Promise.all(txs.map((tx) => issue(other, tx)));
    const results = await Promise.all(waits);
    expect(results.every((r) => r?.state === "issued")).toBe(true);
    expect(waiting.pendingWaiters).toBe(0);

    const late = waiting.waitForFinal("default", "pending-at-close", 20_000);
    await until(() => waiting.pendingWaiters === 1);
    await waiting.close();
    expect(await late).toBeUndefined();
    await until(async () => (await clientsNamed(watcher, name)) === 1);
    await expect(waiting.waitForFinal("default", "after-close", 100)).rejects.toThrow(/closed/);
  });
});

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
