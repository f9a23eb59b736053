/**
 * The notification feed: reads the store's global audit stream with a Redis
 * consumer group and turns each event into one BullMQ delivery job per
 * target that wants it (notify-events.ts).
 *
 * At least once, no duplicate jobs: an entry is acknowledged (XACK) only
 * after its jobs were added, and the job id is derived from the entry's
 * idempotency key and the target, so an entry read again (a worker killed
 * between the add and the ack; its pending entries are claimed by another
 * worker after {@link CLAIM_IDLE_MS} with XAUTOCLAIM) adds the same job ids,
 * which BullMQ ignores. The group starts at the stream's end when first
 * created: events from before notifications were configured are not sent.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Queue } from "bullmq";
import type { Logger, TransactionStore } from "../ra/ports.js";
import type { QueueConnection } from "./connection.js";
import { idempotencyKey, notificationPayload, notifyEventOf, notifyJobId, targetsFor, type NotifyTarget } from "./notify-events.js";
import { NOTIFY_JOB_NAME, notifyJobOptions, type NotifyJobData } from "./notify-queue.js";

/** The consumer group of every scepgate worker on the audit stream. */
export const NOTIFY_GROUP = "scepgate-notify";
/** An entry read by a consumer that did not ack it for this long is taken over (its worker died). */
export const CLAIM_IDLE_MS = 30_000;
const BATCH = 100;
const BLOCK_MS = 1_000;

/** What the feed needs. */
export interface NotifyFeedOptions {
  /** A connection of its own (XREADGROUP BLOCK holds it). */
  redis: QueueConnection;
  /** The store's global audit stream key (StoreKeys.auditStream()). */
  stream: string;
  queue: Queue;
  targets: readonly NotifyTarget[];
  store: Pick<TransactionStore, "getById">;
  logger: Logger;
  /** Idle time before a dead consumer's entries are taken over; tests shorten it. */
  claimIdleMs?: number;
}

type Entry = [id: string, fields: string[] | null];

function fieldsOf(flat: readonly string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; flat && i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

/** A running feed; stop() ends its loop after the current batch. */
export interface NotifyFeed {
  stop(): Promise<void>;
}

/** Creates the group if needed and runs the feed until stop(). */
export async function startNotifyFeed(o: NotifyFeedOptions): Promise<NotifyFeed> {
  await o.redis.xgroup("CREATE", o.stream, NOTIFY_GROUP, "$", "MKSTREAM").catch((err: Error) => {
    if (!/BUSYGROUP/.test(err.message)) throw err;
  });
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  let stopping = false;
  const loop = (async () => {
    let lastClaim = 0;
    while (!stopping) {
      try {
        if (Date.now() - lastClaim > (o.claimIdleMs ?? CLAIM_IDLE_MS) / 2) {
          lastClaim = Date.now();
          await claimStale(o, consumer);
        }
        await handle(o, await readNew(o, consumer));
      } catch (err) {
        if (stopping) break;
        o.logger.warn({ err: (err as Error).message }, "notification feed: retrying after an error");
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
    },
  };
}

async function readNew(o: NotifyFeedOptions, consumer: string): Promise<Entry[]> {
  const reply = (await o.redis.xreadgroup("GROUP", NOTIFY_GROUP, consumer, "COUNT", BATCH, "BLOCK", BLOCK_MS, "STREAMS", o.stream, ">")) as
    | [string, Entry[]][] | null;
  return reply?.[0]?.[1] ?? [];
}

/** Takes over the entries of consumers that read them and died before acking. */
async function claimStale(o: NotifyFeedOptions, consumer: string): Promise<void> {
  let cursor = "0-0";
  do {
    const reply = (await o.redis.xautoclaim(o.stream, NOTIFY_GROUP, consumer, o.claimIdleMs ?? CLAIM_IDLE_MS, cursor, "COUNT", BATCH)) as
      [string, Entry[], string[]?];
    cursor = reply[0];
    await handle(o, reply[1].filter(([, f]) => f !== null));
    // Entries trimmed from the stream while pending come back as ids only: nothing left to send.
    if (reply[2]?.length) await o.redis.xack(o.stream, NOTIFY_GROUP, ...reply[2]);
  } while (cursor !== "0-0");
}

/** Adds the delivery jobs of a batch of entries, then acks the entries. */
async function handle(o: NotifyFeedOptions, entries: readonly Entry[]): Promise<void> {
  if (entries.length === 0) return;
  const jobs: { name: string; data: NotifyJobData; opts: ReturnType<typeof notifyJobOptions> }[] = [];
  for (const [, flat] of entries) {
    const fields = fieldsOf(flat);
    const event = notifyEventOf(fields);
    if (!event || !fields.profile || !fields.id) continue;
    const targets = targetsFor(o.targets, fields.profile, event);
    if (targets.length === 0) continue;
    const payload = notificationPayload(event, fields, await o.store.getById(fields.id));
    const key = idempotencyKey(payload.id, event, payload.attempt);
    const body = JSON.stringify(payload);
    for (const t of targets) jobs.push({ name: NOTIFY_JOB_NAME, data: { v: 1, target: t.id, key, event, body }, opts: notifyJobOptions(notifyJobId(key, t.id)) });
  }
  if (jobs.length > 0) await o.queue.addBulk(jobs);
  await o.redis.xack(o.stream, NOTIFY_GROUP, ...entries.map(([id]) => id));
}
