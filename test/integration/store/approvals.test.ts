/** RedisTransactionStore.addApproval on a real Redis: four eyes counted and moved in one atomic step. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RedisTransactionStore } from "../../../src/store/index.js";
import { uniquePrefix } from "../../harness/redis.js";
import { sampleTx, StoreEnv } from "./store-fixtures.js";

let env: StoreEnv;
beforeAll(async () => {
  env = await StoreEnv.start();
});
afterAll(async () => {
  await env?.stop();
});

const at = (n: number) => new Date(Date.UTC(2025, 5, 1, 12, 0, n)).toISOString();

function twoProcesses(): [RedisTransactionStore, RedisTransactionStore] {
  const prefix = uniquePrefix("approvals");
  return [env.store(prefix), env.store(prefix)];
}

describe("addApproval", () => {
  it("ok/one approval needed: moves to approved at once, records the approver, audits only approved", async () => {
    const store = env.store();
    const tx = sampleTx();
    await store.create(tx, "policy");
    const r = await store.addApproval(tx.profile, tx.transactionId, { by: "alice", at: at(1) }, 1);
    expect(r.outcome).toBe("approved");
    expect(r.outcome !== "missing" && r.tx).toMatchObject({ state: "approved", decidedBy: "alice", approvals: [{ by: "alice", at: at(1) }], updatedAt: at(1) });
    expect((await store.list({ state: "approved" })).map((t) => t.id)).toEqual([tx.id]);
    expect((await store.history(tx.id)).map((e) => `${e.event}/${e.actor}/${e.from ?? ""}>${e.to}`)).toEqual([
      "created/policy/>pending_approval", "approved/alice/pending_approval>approved",
    ]);
  });

  it("ok/two needed: the first is recorded and stays pending, the same approver again is a duplicate, a second moves it", async () => {
    const store = env.store();
    const tx = sampleTx({ sans: [] });
    await store.create(tx, "policy");
    const first = await store.addApproval(tx.profile, tx.transactionId, { by: "alice", at: at(1) }, 2);
    expect(first.outcome).toBe("recorded");
    expect(first.outcome !== "missing" && first.tx).toMatchObject({ state: "pending_approval", approvals: [{ by: "alice", at: at(1) }], sans: [] });
    expect(first.outcome !== "missing" && first.tx.decidedBy).toBeUndefined();
    const again = await store.addApproval(tx.profile, tx.transactionId, { by: "alice", at: at(2) }, 2);
    expect(again.outcome).toBe("duplicate");
    expect((await store.get(tx.profile, tx.transactionId))?.approvals).toEqual([{ by: "alice", at: at(1) }]);
    expect((await store.list({ state: "pending_approval" })).map((t) => t.id)).toEqual([tx.id]);
    const second = await store.addApproval(tx.profile, tx.transactionId, { by: "bob", at: at(3) }, 2);
    expect(second.outcome).toBe("approved");
    expect(await store.get(tx.profile, tx.transactionId)).toMatchObject({
      state: "approved", decidedBy: "bob", approvals: [{ by: "alice", at: at(1) }, { by: "bob", at: at(3) }], sans: [],
    });
    expect(await store.list({ state: "pending_approval" })).toEqual([]);
    expect((await store.history(tx.id)).map((e) => `${e.event}/${e.actor}`)).toEqual(["created/policy", "approval/alice", "approval/bob", "approved/bob"]);
  });

  it("fail/not pending approval (rejected after one approval) or missing: nothing changes", async () => {
    const store = env.store();
    const tx = sampleTx();
    await store.create(tx, "policy");
    await store.addApproval(tx.profile, tx.transactionId, { by: "alice", at: at(1) }, 2);
    await store.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "rejected", reason: "no" }, { actor: "bob", event: "rejected" });
    const late = await store.addApproval(tx.profile, tx.transactionId, { by: "carol", at: at(2) }, 2);
    expect(late.outcome).toBe("state");
    expect(late.outcome !== "missing" && late.tx).toMatchObject({ state: "rejected", approvals: [{ by: "alice", at: at(1) }] });
    expect((await store.history(tx.id)).map((e) => e.event)).toEqual(["created", "approval", "rejected"]);
    expect(await store.addApproval(tx.profile, "missing", { by: "alice", at: at(3) }, 2)).toEqual({ outcome: "missing" });
    expect(await store.addApproval("other", tx.transactionId, { by: "alice", at: at(3) }, 2)).toEqual({ outcome: "missing" });
  });

  it("ok/two approvers at the same moment (two connections, 20 rounds): both counted, moved exactly once", async () => {
    const [a, b] = twoProcesses();
    for (let round = 0; round < 20; round++) {
      const tx = sampleTx();
      await a.create(tx, "policy");
      const results = await Promise.all([
        a.addApproval(tx.profile, tx.transactionId, { by: "alice", at: at(1) }, 2),
        b.addApproval(tx.profile, tx.transactionId, { by: "bob", at: at(1) }, 2),
      ]);
      expect(results.map((r) => r.outcome).sort()).toEqual(["approved", "recorded"]);
      const stored = await a.get(tx.profile, tx.transactionId);
      expect(stored?.state).toBe("approved");
      expect(stored?.approvals?.map((x) => x.by).sort()).toEqual(["alice", "bob"]);
      const events = (await a.history(tx.id)).map((e) => e.event);
      expect(events.filter((e) => e === "approved")).toHaveLength(1);
      expect(events.filter((e) => e === "approval")).toHaveLength(2);
      expect((await a.list({ state: "pending_approval" })).map((t) => t.id)).not.toContain(tx.id);
    }
  });

  it("fail/needed must be a positive integer", async () => {
    const store = env.store();
    await expect(store.addApproval("default", "x", { by: "a", at: at(1) }, 0)).rejects.toThrow(/positive integer/);
  });
});
