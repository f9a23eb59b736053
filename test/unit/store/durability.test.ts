/**
 * The durable-write step (src/store/durability.ts) on a stand-in connection
 * whose WAIT answers are scripted: sharing of WAITs, short counts, and a
 * write whose connection closed before its WAIT came back.
 */
import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { durableWrites, ReplicationError } from "../../../src/store/durability.js";

/** A connection that only knows WAIT: each call is held until the test answers it. */
class FakeConnection extends EventEmitter {
  readonly waits: { replicas: number; timeoutMs: number; answer(n: number): void; fail(err: Error): void }[] = [];

  wait(replicas: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => this.waits.push({ replicas, timeoutMs, answer: resolve, fail: reject }));
  }

  asRedis(): Redis {
    return this as unknown as Redis;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe("durableWrites", () => {
  it("ok/no replicas required: the write alone, no WAIT", async () => {
    const conn = new FakeConnection();
    expect(await durableWrites(conn.asRedis(), undefined)(async () => "reply")).toBe("reply");
    expect(await durableWrites(conn.asRedis(), { replicas: 0, timeoutMs: 10 })(async () => "reply")).toBe("reply");
    expect(conn.waits).toHaveLength(0);
  });

  it("ok/the reply comes back once WAIT counted enough replicas", async () => {
    const conn = new FakeConnection();
    const durable = durableWrites(conn.asRedis(), { replicas: 2, timeoutMs: 500 });
    let settled = false;
    const p = durable(async () => "reply").then((r) => ((settled = true), r));
    await tick();
    expect(conn.waits.map((w) => [w.replicas, w.timeoutMs])).toEqual([[2, 500]]);
    expect(settled).toBe(false);
    conn.waits[0]!.answer(2);
    expect(await p).toBe("reply");
  });

  it("ok/concurrent writers share WAITs: one in flight, one queued for everyone who came later", async () => {
    const conn = new FakeConnection();
    const durable = durableWrites(conn.asRedis(), { replicas: 1, timeoutMs: 500 });
    const first = durable(async () => 1);
    await tick();
    const later = Array.from({ length: 20 }, (_, i) => durable(async () => i + 2));
    await tick();
    expect(conn.waits).toHaveLength(1);
    conn.waits[0]!.answer(1);
    expect(await first).toBe(1);
    await tick();
    expect(conn.waits).toHaveLength(2);
    conn.waits[1]!.answer(1);
    expect(await Promise.all(later)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(conn.waits).toHaveLength(2);
  });

  it("fail/too few replicas in time: ReplicationError naming the count", async () => {
    const conn = new FakeConnection();
    const p = durableWrites(conn.asRedis(), { replicas: 1, timeoutMs: 300 })(async () => "reply");
    await tick();
    conn.waits[0]!.answer(0);
    await expect(p).rejects.toThrow(ReplicationError);
    await expect(p).rejects.toThrow(/reached 0 of 1 replica\(s\) within 300 ms/);
  });

  it("fail/the connection closed between the write and its WAIT's answer: not confirmed, even if the WAIT says enough", async () => {
    const conn = new FakeConnection();
    const p = durableWrites(conn.asRedis(), { replicas: 1, timeoutMs: 300 })(async () => "reply");
    await tick();
    conn.emit("close"); // ioredis resends the WAIT on the new connection, where it counts none of the old writes
    conn.waits[0]!.answer(1);
    await expect(p).rejects.toThrow(/connection was lost before the write was confirmed/);
  });

  it("fail/a WAIT that errors fails its writers; the next write starts a fresh WAIT", async () => {
    const conn = new FakeConnection();
    const durable = durableWrites(conn.asRedis(), { replicas: 1, timeoutMs: 300 });
    const p = durable(async () => "a");
    await tick();
    conn.waits[0]!.fail(new Error("Connection is closed."));
    await expect(p).rejects.toThrow(/WAIT failed: Connection is closed/);
    const q = durable(async () => "b");
    await tick();
    conn.waits[1]!.answer(1);
    expect(await q).toBe("b");
  });

  it("fail/a write that fails is not waited for", async () => {
    const conn = new FakeConnection();
    await expect(durableWrites(conn.asRedis(), { replicas: 1, timeoutMs: 300 })(async () => Promise.reject(new Error("NOSCRIPT")))).rejects.toThrow("NOSCRIPT");
    expect(conn.waits).toHaveLength(0);
  });
});
