/** RedisTransactionStore.lookup: the nonce check and the record in one script, on a real Redis. */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleTx, StoreEnv } from "./store-fixtures.js";

let env: StoreEnv;
beforeAll(async () => {
  env = await StoreEnv.start();
});
afterAll(async () => {
  await env?.stop();
});

describe("lookup", () => {
  it("ok/no record: the nonce verdicts of checkNonce (fresh, resent, replay) and no record", async () => {
    const store = env.store();
    const nonce = randomBytes(16);
    expect(await store.lookup("default", "tx-1", nonce, "d1", 60_000)).toEqual({ nonce: "fresh", tx: undefined });
    expect(await store.lookup("default", "tx-1", nonce, "d1", 60_000)).toEqual({ nonce: "resent", tx: undefined });
    expect(await store.lookup("default", "tx-1", nonce, "d2", 60_000)).toEqual({ nonce: "replay", tx: undefined });
    // The same key space as checkNonce: a nonce seen by one is seen by the other.
    expect(await store.checkNonce("default", nonce, "d1", 60_000)).toBe("resent");
  });

  it("ok/the stored record comes with the verdict, as get() reads it", async () => {
    const store = env.store();
    const tx = sampleTx({ sans: [] });
    await store.create(tx, "policy");
    const found = await store.lookup(tx.profile, tx.transactionId, randomBytes(16), "d", 60_000);
    expect(found.nonce).toBe("fresh");
    expect(found.tx).toEqual(await store.get(tx.profile, tx.transactionId));
    expect(found.tx?.sans).toEqual([]);
  });

  it("fail/another profile's record under the same transactionID is not returned", async () => {
    const store = env.store();
    const tx = sampleTx({ profile: "routers" });
    await store.create(tx, "policy");
    expect((await store.lookup("default", tx.transactionId, randomBytes(16), "d", 60_000)).tx).toBeUndefined();
    expect((await store.lookup("routers", tx.transactionId, randomBytes(16), "d", 60_000)).tx?.id).toBe(tx.id);
  });
});
