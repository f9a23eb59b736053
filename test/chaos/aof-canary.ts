/**
 * Did Redis lose a write it had acknowledged? A canary client INCRs a counter
 * one command at a time (about one a millisecond) and remembers the highest
 * value Redis acknowledged. Before each kill -9 the canary moves to a fresh
 * key; once the server is back it reads the old key: a value below the last
 * acknowledged one means acknowledged writes were lost.
 *
 * The client neither queues commands while disconnected nor resends an
 * unanswered one after reconnecting, so an INCR is counted only when Redis
 * answered it, and never runs twice.
 *
 * With `waitReplicas` (a Sentinel topology) an INCR counts as acknowledged
 * only once `WAIT` confirmed it on that many replicas: what scepgate's
 * `redis.waitReplicas` promises, and what a failover must keep.
 */
import type { RedisTopology } from "./redis-topology.js";

/** The result of one kill: the last value acknowledged before it, the value found after it. */
export interface CanaryCheck {
  key: string;
  acked: number;
  found: number;
  lost: number;
}

/** A running canary; see the module comment. */
export interface AofCanary {
  /** Call right before a kill: later INCRs go to a new key. */
  beforeKill(): void;
  /** Call once Redis answers again: reads the key of the last kill. */
  afterRestart(): Promise<CanaryCheck | undefined>;
  /** Checks made so far. */
  checks(): readonly CanaryCheck[];
  /** Acknowledged INCRs in all. */
  acked(): number;
  stop(): Promise<void>;
}

export function startAofCanary(topology: RedisTopology, prefix: string, o: { waitReplicas?: number } = {}): AofCanary {
  const replicas = o.waitReplicas ?? 0;
  const writer = topology.client({ enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 });
  const reader = topology.client({ maxRetriesPerRequest: null });
  let epoch = 0;
  const ackedBy = new Map<number, number>();
  let total = 0;
  let stopped = false;
  let pendingCheck: number | undefined;
  const done: CanaryCheck[] = [];
  const keyOf = (e: number): string => `${prefix}canary:${e}`;

  const loop = (async () => {
    while (!stopped) {
      const e = epoch;
      try {
        const v = await writer.incr(keyOf(e));
        if (replicas > 0 && (await writer.wait(replicas, 1_000)) < replicas) continue; // not confirmed: not acknowledged
        ackedBy.set(e, Math.max(ackedBy.get(e) ?? 0, v));
        total++;
        await new Promise((r) => setTimeout(r, 1));
      } catch {
        await new Promise((r) => setTimeout(r, 50)); // down: wait for the restart
      }
    }
  })();

  return {
    beforeKill: () => {
      pendingCheck = epoch;
      epoch++;
    },
    afterRestart: async () => {
      if (pendingCheck === undefined) return undefined;
      const e = pendingCheck;
      pendingCheck = undefined;
      const key = keyOf(e);
      const found = Number((await reader.get(key)) ?? 0);
      const acked = ackedBy.get(e) ?? 0;
      const check = { key, acked, found, lost: Math.max(0, acked - found) };
      done.push(check);
      return check;
    },
    checks: () => done,
    acked: () => total,
    stop: async () => {
      stopped = true;
      await loop;
      writer.disconnect();
      reader.disconnect();
    },
  };
}
