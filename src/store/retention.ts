/**
 * Retention: finished transactions (issued, rejected, failed) leave Redis once
 * their final state is older than their profile's retention; pending ones
 * never do. A removed record's summary and its whole audit stream are first
 * appended to the audit file and synced to disk (retention-export.ts), then
 * the record, its audit stream and its index entries are deleted in one
 * script that re-checks the record is unchanged (retention-script.ts).
 *
 * At-least-once: a crash between the sync and the delete exports the record
 * again on the next sweep; each line carries the record id and the stream id
 * of every event, so duplicates are recognisable.
 *
 * Candidates come from the per-profile, per-final-state zsets, which are
 * scored by createdAt: a record created after the horizon cannot have
 * finished before it, so only `ZRANGEBYSCORE … -inf (horizon` is read, in
 * small batches; no SCAN or KEYS. Records of profiles that are not configured
 * (any more) are found in the per-state zsets and kept for the longest
 * retention of any profile.
 */
import type { Redis } from "ioredis";
import { FinalStates, type Clock } from "../ra/ports.js";
import type { StoreKeys } from "./keys.js";
import { removedRecordLine, type StreamEntry } from "./retention-export.js";
import { installRetentionDelete, type ExportedHead, type RetentionDeleteOutcome } from "./retention-script.js";

/** Records read and removed per batch (one export write and sync, a few round trips). */
export const RETENTION_BATCH_SIZE = 100;
/** Records one sweep removes at most; the next sweep goes on from there. */
export const RETENTION_MAX_PER_SWEEP = 20_000;
/** Entries one approximate XTRIM of the global audit stream evicts at most. */
const TRIM_LIMIT = 10_000;
/** Approximate XTRIM calls per sweep at most (so at most 1,000,000 entries). */
const TRIM_ROUNDS = 100;

/** How long finished records are kept, in ms after their final state. */
export interface RetentionPolicy {
  /** Retention of each configured profile (its own, else the global one). */
  profiles: Readonly<Record<string, number>>;
  /** The global retention; records of unconfigured profiles keep the longest of all. */
  defaultMs: number;
}

/** Where removed records go first: resolves only once the lines are durably written (fsync). */
export interface AuditSink {
  /** Appends each line (a JSON document without newline) as one line. */
  append(lines: readonly string[]): Promise<void>;
}

/** Options of {@link sweepRetention}. */
export interface RetentionSweepOptions {
  /** A connection of its own (the sweep pipelines batches; sharing would queue the front behind them). */
  redis: Redis;
  keys: StoreKeys;
  policy: RetentionPolicy;
  sink: AuditSink;
  clock: Clock;
  /** Default {@link RETENTION_BATCH_SIZE}. */
  batchSize?: number;
  /** Default {@link RETENTION_MAX_PER_SWEEP}. */
  maxPerSweep?: number;
  /** Checked before each batch: true ends the sweep there (shutdown). */
  shouldStop?: () => boolean;
}

/** What one sweep did (the number to hang a metric on is `removed`). */
export interface RetentionSweepResult {
  /** Records removed from Redis (after their export). */
  removed: number;
  /** Removed records per profile. */
  byProfile: Record<string, number>;
  /** Records written to the audit file, including those kept because they changed meanwhile. */
  exported: number;
  /** Exported, but changed before the delete (left in Redis; exported again when due). */
  changed: number;
  /** Batches of candidates read. */
  batches: number;
  /** Entries trimmed from the global audit stream. */
  trimmed: number;
  /** False when maxPerSweep (or shouldStop) ended the sweep before every candidate was seen. */
  complete: boolean;
  /** Wall time of the sweep. */
  durationMs: number;
}

/** A candidate's head fields, as stored (JSON). */
interface Head {
  id: string;
  state: string | null;
  profile: string | null;
  updatedAt: string | null;
}

/** The longest retention of the policy: the global audit stream keeps this much. */
export function longestRetention(policy: RetentionPolicy): number {
  return Math.max(policy.defaultMs, ...Object.values(policy.profiles));
}

/** One sweep: removes every due record (up to maxPerSweep) and trims the global audit stream. */
export async function sweepRetention(o: RetentionSweepOptions): Promise<RetentionSweepResult> {
  const started = performance.now();
  const now = o.clock.now().getTime();
  const sweep = new Sweep(o, now);
  const configured = new Set(Object.keys(o.policy.profiles));
  const longest = longestRetention(o.policy);
  let open = true;
  for (const [profile, ms] of Object.entries(o.policy.profiles)) {
    for (const state of FinalStates) {
      open &&= await sweep.index(o.keys.indexProfileState(profile, state), now - ms, (p) => p === profile);
    }
  }
  for (const state of FinalStates) {
    open &&= await sweep.index(o.keys.indexState(state), now - longest, (p) => !configured.has(p));
  }
  sweep.result.complete = open;
  if (!o.shouldStop?.()) sweep.result.trimmed = await trimAuditStream(o.redis, o.keys.auditStream(), now - longest);
  sweep.result.durationMs = Math.round(performance.now() - started);
  return sweep.result;
}

/** The state of one sweep: budget left and counts so far. */
class Sweep {
  readonly result: RetentionSweepResult = { removed: 0, byProfile: {}, exported: 0, changed: 0, batches: 0, trimmed: 0, complete: true, durationMs: 0 };
  private readonly batchSize: number;
  private budget: number;
  private readonly remove: ReturnType<typeof installRetentionDelete>;

  constructor(private readonly o: RetentionSweepOptions, private readonly now: number) {
    this.batchSize = Math.max(1, Math.floor(o.batchSize ?? RETENTION_BATCH_SIZE));
    this.budget = Math.max(1, Math.floor(o.maxPerSweep ?? RETENTION_MAX_PER_SWEEP));
    this.remove = installRetentionDelete(o.redis);
  }

  /**
   * Removes the due records of one zset: created before `horizon` (its
   * score), final, finished before `horizon`, of a profile `owns` accepts.
   * False when the budget ran out (the sweep stops).
   */
  async index(key: string, horizon: number, owns: (profile: string) => boolean): Promise<boolean> {
    let offset = 0; // candidates kept so far: they stay in front of the range
    for (;;) {
      if (this.budget <= 0 || this.o.shouldStop?.()) return false;
      const ids = await this.o.redis.zrangebyscore(key, "-inf", `(${horizon}`, "LIMIT", offset, this.batchSize);
      if (ids.length === 0) return true;
      this.result.batches++;
      const heads = await this.readHeads(ids);
      const due = heads.filter((h) => isDue(h, horizon, owns)).slice(0, this.budget);
      const removed = await this.removeBatch(due, horizon);
      offset += ids.length - removed;
      if (ids.length < this.batchSize) return true;
    }
  }

  private async readHeads(ids: readonly string[]): Promise<Head[]> {
    const pipe = this.o.redis.pipeline();
    for (const id of ids) pipe.hmget(this.o.keys.record(id), "state", "profile", "updatedAt");
    const replies = (await execPipeline(pipe)) as (string | null)[][];
    return ids.map((id, i) => {
      const [state = null, profile = null, updatedAt = null] = replies[i] ?? [];
      return { id, state, profile, updatedAt };
    });
  }

  /**
   * Exports the records of `due` that are still due as read now (one durable
   * append), then deletes each one that is unchanged since; returns how many
   * were removed.
   */
  private async removeBatch(due: readonly Head[], horizon: number): Promise<number> {
    if (due.length === 0) return 0;
    const pipe = this.o.redis.pipeline();
    for (const h of due) pipe.hgetall(this.o.keys.record(h.id)).xrange(this.o.keys.recordAudit(h.id), "-", "+");
    const replies = await execPipeline(pipe);
    const exported: { head: ExportedHead; profile: string }[] = [];
    const lines: string[] = [];
    due.forEach((h, i) => {
      const hash = replies[2 * i] as Record<string, string>;
      const entries = replies[2 * i + 1] as StreamEntry[];
      const { profile: profileJson, updatedAt: updatedAtJson } = hash;
      const head = { id: h.id, state: hash["state"] ?? null, profile: profileJson ?? null, updatedAt: updatedAtJson ?? null };
      if (profileJson === undefined || updatedAtJson === undefined || !isDue(head, horizon, () => true)) return; // changed meanwhile
      lines.push(removedRecordLine(h.id, hash, entries, new Date(this.now)));
      exported.push({ head: { id: h.id, profileJson, updatedAtJson, lastStreamId: entries.at(-1)?.[0] ?? "" }, profile: JSON.parse(profileJson) as string });
    });
    if (lines.length === 0) return 0;
    await this.o.sink.append(lines);
    this.result.exported += lines.length;
    const outcomes = await Promise.all(exported.map((e) => this.remove(this.o.keys.writeKeys(e.profile, e.head.id), e.head)));
    return this.count(exported.map((e) => e.profile), outcomes);
  }

  private count(profiles: readonly string[], outcomes: readonly RetentionDeleteOutcome[]): number {
    let removed = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome !== "removed") {
        this.result.changed++;
        return;
      }
      const profile = profiles[i]!;
      removed++;
      this.result.byProfile[profile] = (this.result.byProfile[profile] ?? 0) + 1;
    });
    this.result.removed += removed;
    this.budget -= removed;
    return removed;
  }
}

/** True when the record is final, finished before `horizon` and of a profile `owns` accepts. */
function isDue(h: Head, horizon: number, owns: (profile: string) => boolean): boolean {
  const state = parseJson(h.state);
  const profile = parseJson(h.profile);
  const updatedAt = parseJson(h.updatedAt);
  if (typeof state !== "string" || !(FinalStates as ReadonlySet<string>).has(state)) return false;
  if (typeof profile !== "string" || !owns(profile)) return false;
  const finishedAt = typeof updatedAt === "string" ? Date.parse(updatedAt) : NaN;
  return Number.isFinite(finishedAt) && finishedAt < horizon;
}

function parseJson(raw: string | null): unknown {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Trims the global audit stream to entries at or after `horizonMs` (stream
 * ids are ms timestamps): whole nodes with approximate XTRIMs in bounded
 * rounds, then one exact XTRIM for the remainder of the first node.
 */
async function trimAuditStream(redis: Redis, key: string, horizonMs: number): Promise<number> {
  if (!(horizonMs > 0)) return 0;
  const minId = String(Math.floor(horizonMs));
  let trimmed = 0;
  for (let round = 0; round < TRIM_ROUNDS; round++) {
    const n = await redis.xtrim(key, "MINID", "~", minId, "LIMIT", TRIM_LIMIT);
    trimmed += n;
    if (n === 0) return trimmed + (await redis.xtrim(key, "MINID", minId));
  }
  return trimmed; // more to do: the next sweep goes on
}

type Pipeline = ReturnType<Redis["pipeline"]>;

/** Runs a pipeline; throws the first command error. */
async function execPipeline(pipe: Pipeline): Promise<unknown[]> {
  const replies = (await pipe.exec()) ?? [];
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
