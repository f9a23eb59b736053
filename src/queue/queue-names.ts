/**
 * Every name and Redis key of the queue adapter, built in one place.
 *
 * Layout (P = the configured `redis.keyPrefix`, e.g. `scepgate:`):
 * - `P bull:forward-{hash}:*`   BullMQ's keys of one forward queue (BullMQ `prefix` = `P bull`)
 * - `P queue:reconcile-lock`    string  held by the worker that runs the periodic reconcile, PX ≈ interval
 *
 * One forward queue per upstream CA URL, so that `upstream.maxConcurrent` is a
 * queue-level global concurrency (BullMQ `Queue.setGlobalConcurrency`), which
 * BullMQ enforces inside Redis across every worker process. Profiles that
 * share an upstream URL share its queue, and the smallest maxConcurrent of
 * those profiles wins (the CA is one CA, however many profiles reach it).
 * Profiles on the embedded CA (`upstream.inline`) have no queue: the front
 * issues in-process.
 */
import { createHash } from "node:crypto";
import { transactionRecordId } from "../ra/ids.js";

/** The name every forward job carries (BullMQ job name). */
export const FORWARD_JOB_NAME = "forward";

/** BullMQ's `prefix` for this install: `scepgate:` → `scepgate:bull`, so several installs can share a Redis. */
export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}bull`;
}

/** The key of the periodic-reconcile lock (one reconcile per interval across all worker processes). */
export function reconcileLockKey(keyPrefix: string): string {
  return `${keyPrefix}queue:reconcile-lock`;
}

/**
 * The forward queue of an upstream CA: `forward-` and 12 hex digits of
 * sha256 of the URL (fragment dropped, scheme and host lower-cased by WHATWG
 * URL parsing), so the same CA always maps to the same queue on every host.
 */
export function forwardQueueName(upstreamUrl: string): string {
  const u = new URL(upstreamUrl);
  u.hash = "";
  return `forward-${createHash("sha256").update(u.href).digest("hex").slice(0, 12)}`;
}

/**
 * The BullMQ job id of a transaction's forward: `fwd-` + its record id
 * (transactionRecordId), so a second enqueue of the same transaction is a
 * no-op in Redis. Custom BullMQ ids must not be integers or contain `:`; this
 * one is neither.
 */
export function forwardJobId(profile: string, transactionId: string): string {
  return `fwd-${transactionRecordId(profile, transactionId)}`;
}

/** A profile that forwards to a remote CA, as far as the queue cares. */
export interface ForwardRoute {
  profile: string;
  upstreamUrl: string;
  maxConcurrent: number;
}

/** One forward queue: its name, its global concurrency and the profiles routed to it. */
export interface ForwardQueueSpec {
  name: string;
  maxConcurrent: number;
  profiles: string[];
}

/**
 * Groups the routes by upstream URL into queues; a URL shared by several
 * profiles gets the smallest of their maxConcurrent values.
 */
export function planForwardQueues(routes: readonly ForwardRoute[]): ForwardQueueSpec[] {
  const byName = new Map<string, ForwardQueueSpec>();
  for (const r of routes) {
    if (!Number.isInteger(r.maxConcurrent) || r.maxConcurrent < 1) {
      throw new RangeError(`profile "${r.profile}": maxConcurrent must be a positive integer, got ${r.maxConcurrent}`);
    }
    const name = forwardQueueName(r.upstreamUrl);
    const spec = byName.get(name);
    if (spec) {
      spec.maxConcurrent = Math.min(spec.maxConcurrent, r.maxConcurrent);
      spec.profiles.push(r.profile);
    } else {
      byName.set(name, { name, maxConcurrent: r.maxConcurrent, profiles: [r.profile] });
    }
  }
  return [...byName.values()];
}
