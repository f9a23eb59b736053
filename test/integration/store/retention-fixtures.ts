/** Shared set-up of the retention tests: injected time, finished records, the audit file read back. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Redis } from "ioredis";
import type { Logger, Transaction, TransactionState } from "../../../src/ra/ports.js";
import type { AuditSink, RedisTransactionStore, RemovedRecordLine, StoreKeys } from "../../../src/store/index.js";
import { makeTempDir } from "../../harness/tmp.js";
import { sampleTx } from "./store-fixtures.js";

export const DAY = 86_400_000;
/** Day 0 of the tests' calendar. */
export const EPOCH = Date.UTC(2025, 0, 1);

/** The date `days` after {@link EPOCH}. */
export function day(days: number): Date {
  return new Date(EPOCH + days * DAY);
}

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  setDay(days: number): void {
    this.ms = day(days).getTime();
  }
}

/** A logger that keeps what it was told. */
export class MemoryLogger implements Logger {
  readonly entries: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: "debug", obj: obj as Record<string, unknown>, msg });
  }
  info(obj: object, msg?: string): void {
    this.entries.push({ level: "info", obj: obj as Record<string, unknown>, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: "warn", obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg?: string): void {
    this.entries.push({ level: "error", obj: obj as Record<string, unknown>, msg });
  }
}

export interface FinishedOptions {
  profile?: string;
  /** Day it was created (default: the day it finished). */
  created?: number;
  /** Day it reached `state`; undefined with a non-final state: it never finished. */
  finished?: number;
  state?: TransactionState;
}

/**
 * A record created on day `created` (pending_approval, audited "created"),
 * then moved to `state` on day `finished` (audited), as the RA does. An
 * issued one carries a certificate, serial and notAfter.
 */
export async function recordOn(store: RedisTransactionStore, o: FinishedOptions): Promise<Transaction> {
  const state = o.state ?? "issued";
  const created = day(o.created ?? o.finished ?? 0).toISOString();
  const tx = sampleTx({ profile: o.profile ?? "default", state: "pending_approval", createdAt: created, updatedAt: created });
  await store.create(tx, "policy");
  if (state === "pending_approval") return tx;
  const updatedAt = day(o.finished ?? o.created ?? 0).toISOString();
  const patch = state === "issued"
    ? { state, updatedAt, certificate: Buffer.from(`cert of ${tx.id}`).toString("base64"), serial: "0a1b2c", notAfter: day(400).toISOString(), decidedBy: "upstream" }
    : { state, updatedAt, decidedBy: "operator" };
  const moved = await store.transition(tx.profile, tx.transactionId, ["pending_approval"], patch, { actor: "test", event: state });
  if (!moved) throw new Error(`recordOn: could not move ${tx.id} to ${state}`);
  return moved;
}

/** What Redis holds of one record: the hash, its audit stream entries, the indexes that still name it. */
export async function inRedis(redis: Redis, keys: StoreKeys, tx: Pick<Transaction, "id" | "profile">) {
  const [all, ...rest] = keys.writeKeys(tx.profile, tx.id).slice(3);
  const indexes: string[] = [];
  for (const key of [all!, ...rest]) if ((await redis.zscore(key, tx.id)) !== null) indexes.push(key);
  return {
    record: (await redis.exists(keys.record(tx.id))) === 1,
    events: await redis.xrange(keys.recordAudit(tx.id), "-", "+"),
    indexes,
  };
}

/** A fresh audit file path in a temp dir (the file does not exist yet). */
export function auditPath(): string {
  return path.join(makeTempDir("retention-"), "audit.jsonl");
}

/** The lines of the audit file, parsed (none when it does not exist). */
export async function readAudit(file: string): Promise<RemovedRecordLine[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as RemovedRecordLine);
}

/** A sink that hands lines to `inner`, then runs `after` (a crash, a concurrent change…). */
export function sinkThen(inner: AuditSink, after: (lines: readonly string[]) => Promise<void>): AuditSink {
  return {
    append: async (lines) => {
      await inner.append(lines);
      await after(lines);
    },
  };
}
