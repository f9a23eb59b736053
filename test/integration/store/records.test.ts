/** RedisTransactionStore records on a real Redis: create, supersede, transition, list, history. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attemptRecordId } from "../../../src/ra/ids.js";
import { successorOf } from "../../../src/ra/new-transaction.js";
import type { TransactionState } from "../../../src/ra/ports.js";
import { StoreError, type RedisTransactionStore } from "../../../src/store/index.js";
import { uniquePrefix } from "../../harness/redis.js";
import { sampleTx, StoreEnv } from "./store-fixtures.js";

let env: StoreEnv;
beforeAll(async () => {
  env = await StoreEnv.start();
});
afterAll(async () => {
  await env?.stop();
});

/** Two stores on the same prefix but separate connections: two processes. */
function twoProcesses(): [RedisTransactionStore, RedisTransactionStore] {
  const prefix = uniquePrefix("store");
  return [env.store(prefix), env.store(prefix)];
}

describe("create", () => {
  it("ok/creates once, then returns the stored record", async () => {
    const store = env.store();
    const tx = sampleTx({ sans: [], chain: [] });
    const first = await store.create(tx, "policy");
    expect(first).toEqual({ created: true, tx });
    const second = await store.create({ ...tx, subject: "CN=other" }, "policy");
    expect(second.created).toBe(false);
    expect(second.tx).toEqual(tx);
    expect(await store.get(tx.profile, tx.transactionId)).toEqual(tx);
    expect(await store.getById(tx.id)).toEqual(tx);
  });

  it("ok/keeps empty arrays and nested objects exactly", async () => {
    const store = env.store();
    const tx = sampleTx({ sans: [], chain: [], upstream: { transactionId: "ab", attempts: 0 }, context: {} });
    await store.create(tx, "policy");
    const got = await store.get(tx.profile, tx.transactionId);
    expect(got?.sans).toEqual([]);
    expect(got).toEqual(tx);
  });

  it("ok/two concurrent creates from two connections: exactly one created", async () => {
    const [a, b] = twoProcesses();
    for (let round = 0; round < 20; round++) {
      const tx = sampleTx();
      const results = await Promise.all([a.create({ ...tx, subject: "CN=a" }, "a"), b.create({ ...tx, subject: "CN=b" }, "b")]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(results[0]!.tx).toEqual(results[1]!.tx);
      expect(await a.history(tx.id)).toHaveLength(1);
    }
  });

  it("ok/get is scoped by profile", async () => {
    const store = env.store();
    const tx = sampleTx({ profile: "routers" });
    await store.create(tx, "policy");
    expect(await store.get("routers", tx.transactionId)).toBeDefined();
    expect(await store.get("default", tx.transactionId)).toBeUndefined();
    expect(await store.get("routers", "nope")).toBeUndefined();
  });

  it("fail/rejects a record whose id does not match its profile and transactionID", async () => {
    const store = env.store();
    await expect(store.create({ ...sampleTx(), id: "aaaaaaaaaaaa" }, "policy")).rejects.toThrow(StoreError);
  });
});

describe("transition", () => {
  it("ok/moves the state, applies the patch, sets updatedAt and returns the record", async () => {
    const store = env.store();
    const tx = sampleTx();
    await store.create(tx, "policy");
    const next = await store.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "approved", decidedBy: "alice" }, { actor: "alice", event: "approved" });
    expect(next).toMatchObject({ state: "approved", decidedBy: "alice", csr: tx.csr, createdAt: tx.createdAt });
    expect(Date.parse(next!.updatedAt)).toBeGreaterThan(Date.parse(tx.updatedAt));
    expect(await store.get(tx.profile, tx.transactionId)).toEqual(next);
  });

  it("ok/patches in place when the patch has no state; takes updatedAt from the patch", async () => {
    const store = env.store();
    const tx = sampleTx({ state: "upstream_pending" });
    await store.create(tx, "worker");
    const at = "2030-01-01T00:00:00.000Z";
    const next = await store.transition(tx.profile, tx.transactionId, ["upstream_pending"], { upstream: { transactionId: "u1", attempts: 3, nextPollAt: at }, updatedAt: at }, { actor: "upstream", event: "poll-scheduled" });
    expect(next).toMatchObject({ state: "upstream_pending", updatedAt: at, upstream: { attempts: 3 } });
    const events = await store.history(tx.id);
    expect(events.at(-1)).toMatchObject({ event: "poll-scheduled", from: "upstream_pending", to: "upstream_pending", at });
  });

  it("fail/returns undefined when the state is not in from, or the record is missing", async () => {
    const store = env.store();
    const tx = sampleTx();
    await store.create(tx, "policy");
    expect(await store.transition(tx.profile, tx.transactionId, ["approved", "forwarding"], { state: "issued" }, { actor: "x", event: "issued" })).toBeUndefined();
    expect(await store.transition(tx.profile, "missing", ["pending_approval"], { state: "approved" }, { actor: "x", event: "approved" })).toBeUndefined();
    expect(await store.transition("other", tx.transactionId, ["pending_approval"], { state: "approved" }, { actor: "x", event: "approved" })).toBeUndefined();
    expect((await store.get(tx.profile, tx.transactionId))?.state).toBe("pending_approval");
    expect(await store.history(tx.id)).toHaveLength(1);
  });

  it("ok/two concurrent transitions from the same state: exactly one wins", async () => {
    const [a, b] = twoProcesses();
    for (let round = 0; round < 20; round++) {
      const tx = sampleTx();
      await a.create(tx, "policy");
      const [ra, rb] = await Promise.all([
        a.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "approved" }, { actor: "alice", event: "approved" }),
        b.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "rejected", reason: "no" }, { actor: "bob", event: "rejected" }),
      ]);
      expect([ra, rb].filter((r) => r !== undefined)).toHaveLength(1);
      const winner = (ra ?? rb)!;
      expect(await a.get(tx.profile, tx.transactionId)).toEqual(winner);
      expect(await a.list({ state: "pending_approval" })).toEqual([]);
      const other: TransactionState = winner.state === "approved" ? "rejected" : "approved";
      expect((await a.list({ state: other })).map((t) => t.id)).not.toContain(tx.id);
      expect(await a.history(tx.id)).toHaveLength(2);
    }
  });

  it("fail/an unknown state is refused before Redis is touched", async () => {
    const store = env.store();
    const tx = sampleTx();
    await store.create(tx, "policy");
    await expect(store.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "bogus" as TransactionState }, { actor: "x", event: "x" })).rejects.toThrow(StoreError);
  });
});

describe("supersede", () => {
  it("ok/a finished record moves to its own id with its history; the next attempt takes the transactionID", async () => {
    const store = env.store();
    for (const end of ["issued", "rejected", "failed"] as const) {
      const tx = sampleTx({ state: end, reason: "bad", failInfo: "2" });
      await store.create(tx, "policy");
      const next = successorOf(sampleTx({ transactionId: tx.transactionId, state: "pending_approval", subject: "CN=next" }), tx);
      expect(next.attempt).toBe(2);
      expect(next.previousId).toBe(attemptRecordId(tx.profile, tx.transactionId, 1));
      expect(await store.supersede(next, tx, { actor: "policy", reason: "new CSR" })).toBe(true);

      const current = await store.get(tx.profile, tx.transactionId);
      expect(current).toEqual(next);
      expect(current?.reason).toBeUndefined();
      const archived = await store.getById(next.previousId!);
      expect(archived).toEqual({ ...tx, id: next.previousId, attempt: 1, supersededBy: tx.id });

      expect((await store.list({ state: end })).map((t) => t.id)).toContain(next.previousId);
      expect((await store.list({ state: end })).map((t) => t.id)).not.toContain(tx.id);
      expect((await store.list({ state: "pending_approval" })).map((t) => t.id)).toContain(tx.id);
      expect((await store.list({ profile: tx.profile })).map((t) => t.id)).toEqual(expect.arrayContaining([tx.id, next.previousId]));

      const old = await store.history(next.previousId!);
      expect(old.map((e) => [e.event, e.from, e.to, e.id])).toEqual([
        ["created", undefined, end, tx.id],
        ["superseded", end, end, next.previousId],
      ]);
      expect(old[1]?.reason).toBe("new CSR");
      const now = await store.history(tx.id);
      expect(now.map((e) => [e.event, e.to, e.reason])).toEqual([["created", "pending_approval", `supersedes ${next.previousId}: new CSR`]]);
    }
  });

  it("ok/a third attempt archives the second under its own id", async () => {
    const store = env.store();
    const first = sampleTx({ state: "issued" });
    await store.create(first, "policy");
    const second = successorOf(sampleTx({ transactionId: first.transactionId, state: "issued" }), first);
    expect(await store.supersede(second, first, { actor: "policy", reason: "r2" })).toBe(true);
    const third = successorOf(sampleTx({ transactionId: first.transactionId, state: "approved" }), second);
    expect(await store.supersede(third, second, { actor: "policy", reason: "r3" })).toBe(true);
    expect(third.previousId).toBe(attemptRecordId(first.profile, first.transactionId, 2));
    expect((await store.getById(third.previousId!))).toMatchObject({ attempt: 2, previousId: second.previousId, supersededBy: first.id });
    expect((await store.getById(second.previousId!))).toMatchObject({ attempt: 1, supersededBy: first.id });
    expect((await store.get(first.profile, first.transactionId))?.attempt).toBe(3);
  });

  it("fail/refuses an open record, a missing one, or one that is not the attempt named", async () => {
    const store = env.store();
    for (const state of ["received", "pending_approval", "approved", "forwarding", "upstream_pending"] as const) {
      const tx = sampleTx({ state });
      await store.create(tx, "policy");
      const next = successorOf({ ...tx, subject: "CN=new" }, tx);
      expect(await store.supersede(next, tx, { actor: "policy", reason: "x" })).toBe(false);
      expect(await store.get(tx.profile, tx.transactionId)).toEqual(tx);
      expect(await store.getById(next.previousId!)).toBeUndefined();
    }
    const missing = sampleTx({ state: "issued" });
    expect(await store.supersede(successorOf(missing, missing), missing, { actor: "policy", reason: "x" })).toBe(false);
    const done = sampleTx({ state: "issued" });
    await store.create(done, "policy");
    const stale = { ...done, attempt: 2 };
    expect(await store.supersede(successorOf(done, stale), stale, { actor: "policy", reason: "x" })).toBe(false);
  });

  it("ok/two concurrent supersedes of the same finished record: exactly one wins", async () => {
    const [a, b] = twoProcesses();
    for (let round = 0; round < 10; round++) {
      const tx = sampleTx({ state: "issued" });
      await a.create(tx, "policy");
      const na = successorOf({ ...tx, subject: "CN=a", state: "approved" }, tx);
      const nb = successorOf({ ...tx, subject: "CN=b", state: "approved" }, tx);
      const results = await Promise.all([a.supersede(na, tx, { actor: "a", reason: "a" }), b.supersede(nb, tx, { actor: "b", reason: "b" })]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await a.get(tx.profile, tx.transactionId))?.subject).toBe(results[0] ? "CN=a" : "CN=b");
      expect((await a.getById(na.previousId!))?.state).toBe("issued");
    }
  });
});

describe("list", () => {
  it("ok/by state and profile, newest first, indexes follow transitions", async () => {
    const store = env.store();
    const txs = [
      sampleTx({ profile: "a" }),
      sampleTx({ profile: "b" }),
      sampleTx({ profile: "a" }),
      sampleTx({ profile: "b" }),
      sampleTx({ profile: "a" }),
    ];
    for (const tx of [...txs].reverse()) await store.create(tx, "policy"); // insertion order must not matter
    const ids = (xs: { id: string }[]): string[] => xs.map((x) => x.id);
    const [t0, t1, t2, t3, t4] = txs as [typeof txs[0], typeof txs[0], typeof txs[0], typeof txs[0], typeof txs[0]];
    expect(ids(await store.list({}))).toEqual(ids([t4, t3, t2, t1, t0]));
    expect(ids(await store.list({ profile: "a" }))).toEqual(ids([t4, t2, t0]));

    await store.transition("a", t2.transactionId, ["pending_approval"], { state: "approved" }, { actor: "op", event: "approved" });
    await store.transition("b", t1.transactionId, ["pending_approval"], { state: "approved" }, { actor: "op", event: "approved" });
    await store.transition("a", t2.transactionId, ["approved"], { state: "forwarding" }, { actor: "w", event: "forwarding" });

    expect(ids(await store.list({ state: "pending_approval" }))).toEqual(ids([t4, t3, t0]));
    expect(ids(await store.list({ state: "approved" }))).toEqual(ids([t1]));
    expect(ids(await store.list({ state: "forwarding", profile: "a" }))).toEqual(ids([t2]));
    expect(ids(await store.list({ state: "forwarding", profile: "b" }))).toEqual([]);
    expect(ids(await store.list({ state: "pending_approval", profile: "b" }))).toEqual(ids([t3]));
    expect(ids(await store.list({ limit: 2 }))).toEqual(ids([t4, t3]));
    expect(await store.list({ state: "issued" })).toEqual([]);
  });

  it("ok/clamps limit to 1..1000", async () => {
    const store = env.store();
    for (let i = 0; i < 3; i++) await store.create(sampleTx(), "policy");
    expect(await store.list({ limit: 0 })).toHaveLength(1);
    expect(await store.list({ limit: 5000 })).toHaveLength(3);
  });
});

describe("history", () => {
  it("ok/oldest first, with who, what, from, to, why and when", async () => {
    const store = env.store();
    const tx = sampleTx({ profile: "p:with:colons" });
    await store.create(tx, "policy");
    await store.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "approved", updatedAt: "2025-02-01T00:00:00.000Z" }, { actor: "alice", event: "approved", reason: "ticket 42" });
    await store.transition(tx.profile, tx.transactionId, ["approved"], { state: "failed", updatedAt: "2025-02-02T00:00:00.000Z" }, { actor: "upstream", event: "failed", reason: "CA said no" });
    const base = { profile: tx.profile, transactionId: tx.transactionId, id: tx.id };
    expect(await store.history(tx.id)).toEqual([
      { ...base, event: "created", to: "pending_approval", actor: "policy", at: tx.createdAt },
      { ...base, event: "approved", from: "pending_approval", to: "approved", actor: "alice", reason: "ticket 42", at: "2025-02-01T00:00:00.000Z" },
      { ...base, event: "failed", from: "approved", to: "failed", actor: "upstream", reason: "CA said no", at: "2025-02-02T00:00:00.000Z" },
    ]);
    const redis = env.connection();
    const all = await redis.xrange(store.keys.auditStream(), "-", "+");
    expect(all).toHaveLength(3);
    expect(await store.history("nosuchrecord")).toEqual([]);
  });
});
