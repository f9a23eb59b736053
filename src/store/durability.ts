/**
 * Durable writes: after a write, Redis WAIT until `replicas` replicas have
 * it, so an answer that reports the write is only sent once a failover to
 * one of those replicas keeps it (redis.waitReplicas).
 *
 * WAIT counts the replicas that acknowledged every write this connection
 * made before it. Concurrent writers share one WAIT (at most one in flight
 * and one queued), so a blocked WAIT never queues one per request. A WAIT
 * that ioredis resent on a new connection (the primary died, Sentinel named
 * another) would count writes of the new connection only, so a write whose
 * connection closed before its WAIT came back is never confirmed.
 */
import type { Redis } from "ioredis";
import { StoreError } from "./errors.js";

/** How many replicas a write must reach, and how long it may wait for them. */
export interface Durability {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** A write reached fewer replicas than required in time (or its connection broke): it was not confirmed. */
export class ReplicationError extends StoreError {
  override name = "ReplicationError";
}

/** Runs a write and resolves with its reply once it is durable. */
export type DurableWrite = <T>(write: () => Promise<T>) => Promise<T>;

/** No replicas required: the write alone. */
const immediate: DurableWrite = (write) => write();

/** The durable-write step on `redis` (the connection the writes go through); a no-op for `replicas` 0 or undefined. */
export function durableWrites(redis: Redis, d: Durability | undefined): DurableWrite {
  if (!d || d.replicas <= 0) return immediate;
  const waits = new SharedWait(redis, d);
  return async (write) => {
    const epoch = waits.epoch;
    const reply = await write();
    await waits.wait();
    if (waits.epoch !== epoch) throw new ReplicationError("redis: the connection was lost before the write was confirmed by the replicas");
    return reply;
  };
}

/** One WAIT shared by every writer that asks while none of theirs is in flight. */
class SharedWait {
  /** Counts connection closes: a write and its WAIT must share one connection. */
  epoch = 0;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly d: Durability,
  ) {
    redis.on("close", () => this.epoch++);
  }

  /** Resolves once a WAIT sent after this call confirmed the replicas; rejects with ReplicationError otherwise. */
  wait(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    // The running WAIT may have been sent before the caller's write: wait for the next one.
    this.queued = this.running.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    const run: Promise<void> = this.once().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async once(): Promise<void> {
    let acked: number;
    try {
      acked = await this.redis.wait(this.d.replicas, this.d.timeoutMs);
    } catch (err) {
      throw new ReplicationError(`redis: WAIT failed: ${(err as Error).message}`, { cause: err });
    }
    if (acked < this.d.replicas) {
      throw new ReplicationError(`redis: the write reached ${acked} of ${this.d.replicas} replica(s) within ${this.d.timeoutMs} ms (redis.waitReplicas); not confirmed`);
    }
  }
}
