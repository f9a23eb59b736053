/**
 * The TransactionStore port on Redis (ioredis). Safe for many fronts and
 * workers sharing one Redis: every write is one Lua script (atomic, one
 * round trip, EVALSHA), reads are single commands.
 */
import type { Redis } from "ioredis";
import { transactionRecordId } from "../ra/ids.js";
import {
  FinalStates,
  TransactionState,
  type Approval,
  type ApprovalOutcome,
  type AuditEvent,
  type CheckedCreate,
  type Clock,
  type NonceCheck,
  type RequestStats,
  type StatsQuery,
  type Transaction,
  type TransactionFilter,
  type TransactionPatch,
  type TransactionStore,
} from "../ra/ports.js";
import { durableWrites, type DurableWrite, type Durability } from "./durability.js";
import { StoreError } from "./errors.js";
import { FinalWaiters } from "./final-waiters.js";
import { StoreKeys } from "./keys.js";
import { decodeAudit, decodeRecord, decodeRecordPairs, encodeAuditBase, encodeFields } from "./record-codec.js";
import { installScripts, section, type StoreScripts } from "./scripts.js";
import { transactionStats } from "./transaction-stats.js";

/** list() returns this many records unless told otherwise. */
export const DEFAULT_LIST_LIMIT = 100;
/** list() never returns more than this many records. */
export const MAX_LIST_LIMIT = 1000;

const IMMUTABLE_FIELDS: ReadonlySet<string> = new Set(["id", "profile", "transactionId", "createdAt"]);
const KNOWN_STATES: ReadonlySet<string> = new Set(Object.values(TransactionState));
const NONCE_CHECKS: ReadonlySet<string> = new Set<NonceCheck>(["fresh", "resent", "replay"]);

/** Options of {@link RedisTransactionStore}. */
export interface RedisTransactionStoreOptions {
  /** The command connection; may be shared with other stores and queues. Never closed by the store. */
  redis: Redis;
  /** Prefix of every key and channel, e.g. `scepgate:`. */
  prefix: string;
  /** Makes the pub/sub connection for waitForFinal (default `redis.duplicate()`); the store closes it. */
  subscriber?: () => Redis;
  /** Time source for updatedAt when a patch brings none (default: system clock). */
  clock?: Clock;
  /** Replicas each record write must reach before it resolves (redis.waitReplicas; default none); see durability.ts. */
  durability?: Durability;
}

/** {@link TransactionStore} on Redis; see keys.ts for the key layout. */
export class RedisTransactionStore implements TransactionStore {
  /** The key builder of this store (exposed for tools and tests). */
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly scripts: StoreScripts;
  private readonly clock: Clock;
  private readonly waiters: FinalWaiters;
  private readonly durable: DurableWrite;

  constructor(opts: RedisTransactionStoreOptions) {
    this.redis = opts.redis;
    this.keys = new StoreKeys(opts.prefix);
    this.scripts = installScripts(opts.redis);
    this.durable = durableWrites(opts.redis, opts.durability);
    this.clock = opts.clock ?? { now: () => new Date() };
    const connect = opts.subscriber ?? (() => opts.redis.duplicate());
    this.waiters = new FinalWaiters(this.keys.changes(), connect, (id) => this.getById(id));
  }

  /** The record of (profile, transactionId), or undefined. */
  async get(profile: string, transactionId: string): Promise<Transaction | undefined> {
    const tx = await this.getById(transactionRecordId(profile, transactionId));
    return tx && owns(tx, profile, transactionId) ? tx : undefined;
  }

  /** The record with this operator id, or undefined. */
  async getById(id: string): Promise<Transaction | undefined> {
    return decodeRecord(await this.redis.hgetall(this.keys.record(id)));
  }

  /** Creates the record unless one exists (atomically); audits "created". */
  async create(tx: Transaction, actor: string): Promise<{ created: boolean; tx: Transaction }> {
    const reply = (await this.durable(() => this.scripts.create(...this.writeArgs(tx, actor, "created")))) as [number, string[]?];
    if (reply[0] === 1) return { created: true, tx: decodeRecordPairs(encodeFields(tx))! };
    const stored = decodeRecordPairs(reply[1] ?? []);
    if (!stored || !owns(stored, tx.profile, tx.transactionId)) {
      throw new StoreError(`record id ${tx.id} is taken by another transaction`);
    }
    return { created: false, tx: stored };
  }

  /** The nonce check and {@link create} in one round trip (one script); see {@link TransactionStore.createChecked}. */
  async createChecked(tx: Transaction, actor: string, nonce: { nonce: Uint8Array; digest: string; windowMs: number }): Promise<CheckedCreate> {
    const nonceKey = this.keys.nonce(tx.profile, Buffer.from(nonce.nonce).toString("hex"));
    const [keys, args] = this.writeArgs(tx, actor, "created");
    const reply = await this.durable(() => this.scripts.createChecked(keys, args, nonceKey, nonce.digest, Math.max(1, Math.ceil(nonce.windowMs))));
    const [check, created, pairs] = Array.isArray(reply) ? (reply as [unknown, number?, string[]?]) : [];
    if (typeof check !== "string" || !NONCE_CHECKS.has(check)) throw new StoreError(`unexpected createChecked reply ${String(check)}`);
    if (check === "replay") return { nonce: "replay", created: false, tx: undefined };
    if (created === 1) return { nonce: check as "fresh" | "resent", created: true, tx };
    const stored = decodeRecordPairs(pairs ?? []);
    if (!stored || !owns(stored, tx.profile, tx.transactionId)) throw new StoreError(`record id ${tx.id} is taken by another transaction`);
    return { nonce: check as "fresh" | "resent", created: false, tx: stored };
  }

  /** Moves the finished attempt `previous` to its own id and writes `tx` in its place (atomically); see {@link TransactionStore.supersede}. */
  async supersede(tx: Transaction, previous: Transaction, audit: { actor: string; reason: string }): Promise<boolean> {
    const archivedId = tx.previousId;
    if (!archivedId) throw new StoreError(`record ${tx.id}: a superseding record needs previousId`);
    if (!owns(previous, tx.profile, tx.transactionId)) throw new StoreError(`record ${tx.id}: previous belongs to another transaction`);
    const [, args] = this.writeArgs(tx, audit.actor, "created", `supersedes ${archivedId}: ${audit.reason}`);
    const superseded = encodeAuditBase({
      id: archivedId, profile: tx.profile, transactionId: tx.transactionId, event: "superseded", actor: audit.actor, reason: audit.reason, at: tx.createdAt,
    });
    const keys = this.keys.supersedeKeys(tx.profile, tx.id, archivedId);
    const reply = await this.durable(() => this.scripts.supersede(keys, [...args, archivedId, String(previous.attempt ?? 1), ...section(superseded)]));
    return reply === 1;
  }

  /** Compare-and-set on the state; see {@link TransactionStore.transition}. */
  async transition(
    profile: string,
    transactionId: string,
    from: readonly TransactionState[],
    patch: TransactionPatch,
    audit: { actor: string; event: string; reason?: string },
  ): Promise<Transaction | undefined> {
    if (from.length === 0) return undefined;
    if (patch.state !== undefined) assertState(patch.state);
    const id = transactionRecordId(profile, transactionId);
    const updatedAt = patch.updatedAt ?? this.clock.now().toISOString();
    const fields = encodeFields({ ...mutableFields(patch), updatedAt });
    const event = encodeAuditBase({ id, profile, transactionId, event: audit.event, actor: audit.actor, reason: audit.reason, at: updatedAt });
    const reply = await this.durable(() => this.scripts.transition(this.keys.writeKeys(profile, id), [
      id,
      this.keys.changes(),
      JSON.stringify(profile),
      JSON.stringify(transactionId),
      patch.state ?? "",
      ...section(from),
      ...section(event),
      ...section(fields),
    ]));
    return Array.isArray(reply) ? decodeRecordPairs(reply as string[]) : undefined;
  }

  /** Counts an approval and moves to approved at the `needed`-th, atomically; see {@link TransactionStore.addApproval}. */
  async addApproval(profile: string, transactionId: string, approval: Approval, needed: number): Promise<ApprovalOutcome> {
    if (!Number.isInteger(needed) || needed < 1) throw new StoreError(`approvals needed must be a positive integer, not ${needed}`);
    const id = transactionRecordId(profile, transactionId);
    const base = { id, profile, transactionId, actor: approval.by, at: approval.at };
    const counted = needed > 1 ? encodeAuditBase({ ...base, event: "approval" }) : [];
    const reply = await this.durable(() => this.scripts.approve(this.keys.writeKeys(profile, id), [
      id,
      this.keys.changes(),
      JSON.stringify(profile),
      JSON.stringify(transactionId),
      needed,
      approval.by,
      JSON.stringify({ by: approval.by, at: approval.at }),
      ...section(counted),
      ...section(encodeAuditBase({ ...base, event: "approved" })),
      ...section(encodeFields({ updatedAt: approval.at })),
      ...section(encodeFields({ state: "approved", decidedBy: approval.by })),
    ]));
    return approvalOutcome(reply);
  }

  /** Records newest first (by createdAt), filtered by state and/or profile. */
  async list(filter: TransactionFilter): Promise<Transaction[]> {
    const limit = listLimit(filter.limit);
    const ids = await this.redis.zrevrange(this.keys.indexFor(filter), 0, limit - 1);
    const records = await Promise.all(ids.map((id) => this.getById(id)));
    return records.filter(
      (tx): tx is Transaction =>
        tx !== undefined &&
        (filter.state === undefined || tx.state === filter.state) &&
        (filter.profile === undefined || tx.profile === filter.profile),
    );
  }

  /** Counts per state and requests created per window, from the indexes (one round trip). */
  stats(query: StatsQuery): Promise<RequestStats> {
    return transactionStats(this.redis, this.keys, query);
  }

  /** Audit events of one record, oldest first. */
  async history(id: string): Promise<AuditEvent[]> {
    const entries = await this.redis.xrange(this.keys.recordAudit(id), "-", "+");
    return entries.map(([, fields]) => decodeAudit(fields));
  }

  /** Remembers a senderNonce for `windowMs` (SET NX PX, one round trip). */
  async checkNonce(profile: string, nonce: Uint8Array, messageDigest: string, windowMs: number): Promise<NonceCheck> {
    const key = this.keys.nonce(profile, Buffer.from(nonce).toString("hex"));
    const reply = await this.scripts.checkNonce(key, messageDigest, Math.max(1, Math.ceil(windowMs)));
    if (typeof reply !== "string" || !NONCE_CHECKS.has(reply)) throw new StoreError(`unexpected nonce reply ${String(reply)}`);
    return reply as NonceCheck;
  }

  /** {@link checkNonce} and {@link get} in one round trip (one script); see {@link TransactionStore.lookup}. */
  async lookup(profile: string, transactionId: string, nonce: Uint8Array, messageDigest: string, windowMs: number): Promise<{ nonce: NonceCheck; tx: Transaction | undefined }> {
    const nonceKey = this.keys.nonce(profile, Buffer.from(nonce).toString("hex"));
    const recordKey = this.keys.record(transactionRecordId(profile, transactionId));
    const reply = await this.scripts.lookup(nonceKey, recordKey, messageDigest, Math.max(1, Math.ceil(windowMs)));
    const [check, pairs] = Array.isArray(reply) ? (reply as [unknown, string[]?]) : [];
    if (typeof check !== "string" || !NONCE_CHECKS.has(check)) throw new StoreError(`unexpected lookup reply ${String(check)}`);
    const tx = decodeRecordPairs(pairs ?? []);
    return { nonce: check as NonceCheck, tx: tx && owns(tx, profile, transactionId) ? tx : undefined };
  }

  /** Resolves with the record once final (issued, rejected, failed), or undefined after `timeoutMs`. */
  async waitForFinal(profile: string, transactionId: string, timeoutMs: number): Promise<Transaction | undefined> {
    const now = await this.get(profile, transactionId);
    if (now && FinalStates.has(now.state)) return now;
    if (timeoutMs <= 0) return undefined;
    return this.waiters.wait(
      transactionRecordId(profile, transactionId),
      (tx) => owns(tx, profile, transactionId),
      () => this.get(profile, transactionId),
      timeoutMs,
    );
  }

  /** Waiters pending in waitForFinal (for tests and metrics). */
  get pendingWaiters(): number {
    return this.waiters.pending;
  }

  /** Ends pending waits (undefined) and closes the subscriber connection; the shared redis stays open. */
  async close(): Promise<void> {
    await this.waiters.close();
  }

  /** KEYS and ARGV of the create and supersede scripts. */
  private writeArgs(tx: Transaction, actor: string, event: string, reason?: string): [string[], Array<string | number>] {
    const id = transactionRecordId(tx.profile, tx.transactionId);
    if (tx.id !== id) throw new StoreError(`record id ${tx.id} does not match its profile and transactionID (expected ${id})`);
    assertState(tx.state);
    const score = Date.parse(tx.createdAt);
    if (Number.isNaN(score)) throw new StoreError(`record ${id}: createdAt is not a date`);
    const audit = encodeAuditBase({ id, profile: tx.profile, transactionId: tx.transactionId, event, actor, reason, at: tx.createdAt });
    const args = [
      id,
      this.keys.changes(),
      JSON.stringify(tx.profile),
      JSON.stringify(tx.transactionId),
      score,
      tx.state,
      ...section(audit),
      ...section(encodeFields(tx)),
    ];
    return [this.keys.writeKeys(tx.profile, id), args];
  }
}

function owns(tx: Transaction, profile: string, transactionId: string): boolean {
  return tx.profile === profile && tx.transactionId === transactionId;
}

function assertState(state: string): void {
  if (!KNOWN_STATES.has(state)) throw new StoreError(`unknown transaction state ${JSON.stringify(state)}`);
}

/** The patch without the fields a transition may never change (the type forbids them; JS callers might not). */
function mutableFields(patch: TransactionPatch): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).filter(([k]) => !IMMUTABLE_FIELDS.has(k)));
}

const APPROVAL_OUTCOMES: ReadonlySet<string> = new Set(["approved", "recorded", "duplicate", "state"]);

function approvalOutcome(reply: unknown): ApprovalOutcome {
  const [outcome, pairs] = Array.isArray(reply) ? (reply as [unknown, string[]?]) : [];
  if (outcome === "missing") return { outcome: "missing" };
  const tx = decodeRecordPairs(pairs ?? []);
  if (typeof outcome !== "string" || !APPROVAL_OUTCOMES.has(outcome) || !tx) throw new StoreError(`unexpected approve reply ${String(outcome)}`);
  return { outcome: outcome as Exclude<ApprovalOutcome["outcome"], "missing">, tx };
}

function listLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(limit)));
}
