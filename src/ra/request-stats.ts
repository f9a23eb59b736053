/**
 * The overview operators see above the list of requests: how many are in each
 * state, and how many arrived in each hour of the last day.
 */
import { TransactionState, type RequestStats, type StatsQuery, type Transaction, type TransactionStore } from "./ports.js";

const HOUR_MS = 3_600_000;

/** Requests counted per hour over the last 24 hours. */
export const STATS_HOURS = 24;

/** How many records the fallback reads when the store cannot count by itself. */
const FALLBACK_SCAN = 1000;

/**
 * The query for the last {@link STATS_HOURS} hours at `now`: hourly windows
 * aligned on the hour, the last one being the current (partial) hour.
 */
export function lastDayQuery(now: Date, profile?: string): StatsQuery {
  const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const since = new Date(currentHour - (STATS_HOURS - 1) * HOUR_MS);
  return { ...(profile === undefined ? {} : { profile }), since, bucketMs: HOUR_MS, buckets: STATS_HOURS };
}

/** Zero for every state. */
export function emptyCounts(): Record<TransactionState, number> {
  const counts = {} as Record<TransactionState, number>;
  for (const s of Object.values(TransactionState)) counts[s] = 0;
  return counts;
}

/** The stats of `txs` (all the records there are, or as many as were read). */
export function statsFromTransactions(txs: readonly Transaction[], q: StatsQuery): RequestStats {
  const counts = emptyCounts();
  const perBucket = new Array<number>(q.buckets).fill(0);
  const start = q.since.getTime();
  for (const tx of txs) {
    if (q.profile !== undefined && tx.profile !== q.profile) continue;
    counts[tx.state] += 1;
    const i = Math.floor((Date.parse(tx.createdAt) - start) / q.bucketMs);
    if (i >= 0 && i < q.buckets) perBucket[i]! += 1;
  }
  return { counts, perBucket, since: q.since.toISOString(), bucketMs: q.bucketMs };
}

/** The store's own counts when it has them, else counts over its newest records. */
export async function requestStats(store: TransactionStore, q: StatsQuery): Promise<RequestStats> {
  if (store.stats) return store.stats(q);
  const txs = await store.list({ ...(q.profile === undefined ? {} : { profile: q.profile }), limit: FALLBACK_SCAN });
  return statsFromTransactions(txs, q);
}
