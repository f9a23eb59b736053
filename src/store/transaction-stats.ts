/**
 * Counts for the operators' overview, straight from the indexes: ZCARD of
 * each state's index and ZCOUNT of createdAt windows, in one pipeline (one
 * round trip, no record read).
 */
import type { Redis } from "ioredis";
import { TransactionState, type RequestStats, type StatsQuery } from "../ra/ports.js";
import type { StoreKeys } from "./keys.js";

const STATES: readonly TransactionState[] = Object.values(TransactionState);

/** Counts per state and per createdAt window (`[since + i·bucketMs, since + (i+1)·bucketMs)`). */
export async function transactionStats(redis: Redis, keys: StoreKeys, q: StatsQuery): Promise<RequestStats> {
  const profile = q.profile === undefined ? {} : { profile: q.profile };
  const pipeline = redis.pipeline();
  for (const state of STATES) pipeline.zcard(keys.indexFor({ ...profile, state }));
  const start = q.since.getTime();
  const index = keys.indexFor(profile);
  for (let i = 0; i < q.buckets; i++) pipeline.zcount(index, start + i * q.bucketMs, `(${start + (i + 1) * q.bucketMs}`);
  const replies = (await pipeline.exec()) ?? [];
  const numbers = replies.map(([err, value]) => {
    if (err) throw err;
    return Number(value);
  });
  const counts = {} as Record<TransactionState, number>;
  STATES.forEach((state, i) => (counts[state] = numbers[i] ?? 0));
  return { counts, perBucket: numbers.slice(STATES.length), since: q.since.toISOString(), bucketMs: q.bucketMs };
}

/** Records of one profile in one state. */
export interface ProfileStateCount {
  profile: string;
  state: TransactionState;
  count: number;
}

/**
 * Records per profile and state: ZCARD of each profile's per-state index
 * (`idx:profile:P:state:S`), every one in one pipeline (one round trip, O(1)
 * per key): cheap enough for every Prometheus scrape.
 */
export async function countByProfileAndState(redis: Redis, keys: StoreKeys, profiles: readonly string[]): Promise<ProfileStateCount[]> {
  const pipeline = redis.pipeline();
  for (const profile of profiles) for (const state of STATES) pipeline.zcard(keys.indexProfileState(profile, state));
  const replies = (await pipeline.exec()) ?? [];
  const out: ProfileStateCount[] = [];
  let i = 0;
  for (const profile of profiles) {
    for (const state of STATES) {
      const [err, value] = replies[i++] ?? [null, 0];
      if (err) throw err;
      out.push({ profile, state, count: Number(value) });
    }
  }
  return out;
}
