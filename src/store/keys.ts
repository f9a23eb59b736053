/**
 * Every Redis key and channel scepgate's store uses, built in one place from
 * the configured prefix (e.g. `scepgate:`). Profile names are URI-encoded so a
 * `:` in a profile can never make two keys collide. No key holds a secret:
 * record ids are hashes, nonces are public protocol values.
 *
 * Layout (P = prefix):
 * - `P tx:{id}`                              hash    one Transaction, each top-level field JSON-encoded; the
 *                                                    current attempt of a transactionID under transactionRecordId,
 *                                                    superseded attempts under attemptRecordId
 * - `P idx:all`                              zset    every record id, scored by createdAt (ms)
 * - `P idx:state:{state}`                    zset    record ids in that state, scored by createdAt
 * - `P idx:profile:{profile}`                zset    record ids of that profile, scored by createdAt
 * - `P idx:profile:{profile}:state:{state}`  zset    record ids of that profile in that state
 * - `P audit`                                stream  every audit event of every record, trimmed (XTRIM MINID)
 *                                                    to the longest retention: the per-record streams are the
 *                                                    source of history, this one is only a recent feed
 * - `P audit:tx:{id}`                        stream  the audit events of one record (cheap history)
 * - `P nonce:{profile}:{hex}`                string  digest of the message that carried a senderNonce, PX = window
 * - `P tx-changes`                           channel pub/sub `{"id","state"}` after every write of a record
 * - `P otp:{profile}:{sha256}`               hash    one one-time password: `expiresAt` (ms), `subjectCn`
 *                                                    (lower-cased, absent = any), PEXPIREAT = expiresAt; keyed
 *                                                    by sha256(profile NUL password), never the password
 * - `P retention:lock`                       string  held by the worker running the retention sweep, PX ≈ interval
 *
 * Retention (retention.ts): a record in a final state whose updatedAt is older
 * than its profile's retention is appended to the audit file with its audit
 * stream, then its hash, its `audit:tx:{id}` stream and its id in every index
 * are removed in one script (retention-script.ts).
 */
import { createHash } from "node:crypto";
import { TransactionState } from "../ra/ports.js";

/** All states in a fixed order; the write scripts find a state's index keys by this position. */
export const STATE_ORDER: readonly TransactionState[] = Object.values(TransactionState);

/** Index of the first per-state key in {@link StoreKeys.writeKeys} (1-based, as Lua's KEYS). */
export const WRITE_KEYS_STATE_BASE = 6;

/** Builds the Redis keys of one store (one prefix). */
export class StoreKeys {
  constructor(readonly prefix: string) {}

  /** Hash holding one Transaction record. */
  record(id: string): string {
    return `${this.prefix}tx:${id}`;
  }

  /** Stream of every audit event (all records). */
  auditStream(): string {
    return `${this.prefix}audit`;
  }

  /** Stream of the audit events of one record, oldest first. */
  recordAudit(id: string): string {
    return `${this.prefix}audit:tx:${id}`;
  }

  /** Sorted set of every record id, scored by createdAt. */
  indexAll(): string {
    return `${this.prefix}idx:all`;
  }

  /** Sorted set of record ids in one state. */
  indexState(state: TransactionState): string {
    return `${this.prefix}idx:state:${state}`;
  }

  /** Sorted set of the record ids of one profile. */
  indexProfile(profile: string): string {
    return `${this.prefix}idx:profile:${encodeURIComponent(profile)}`;
  }

  /** Sorted set of the record ids of one profile in one state. */
  indexProfileState(profile: string, state: TransactionState): string {
    return `${this.prefix}idx:profile:${encodeURIComponent(profile)}:state:${state}`;
  }

  /** The index list() reads for a filter. */
  indexFor(filter: { state?: TransactionState; profile?: string }): string {
    if (filter.profile !== undefined) {
      return filter.state ? this.indexProfileState(filter.profile, filter.state) : this.indexProfile(filter.profile);
    }
    return filter.state ? this.indexState(filter.state) : this.indexAll();
  }

  /** String remembering one senderNonce of one profile. */
  nonce(profile: string, nonceHex: string): string {
    return `${this.prefix}nonce:${encodeURIComponent(profile)}:${nonceHex}`;
  }

  /**
   * Hash holding one one-time password of a profile. The key carries
   * sha256(profile NUL password), so neither the key nor the value reveals
   * the password, and the same password in another profile is another key.
   */
  otp(profile: string, password: string): string {
    const digest = createHash("sha256").update(profile, "utf8").update("\0").update(password, "utf8").digest("hex");
    return `${this.prefix}otp:${encodeURIComponent(profile)}:${digest}`;
  }

  /** String holding the random secret the web page's session cookies are signed with (shared by every front). */
  uiSessionSecret(): string {
    return `${this.prefix}ui:session-secret`;
  }

  /** Pub/sub channel announcing every write of a record. */
  changes(): string {
    return `${this.prefix}tx-changes`;
  }

  /**
   * The KEYS of the supersede script: {@link writeKeys} of the current record,
   * then the record and audit stream keys the finished attempt moves to.
   */
  supersedeKeys(profile: string, id: string, archivedId: string): string[] {
    return [...this.writeKeys(profile, id), this.record(archivedId), this.recordAudit(archivedId)];
  }

  /**
   * The KEYS of the write scripts (create, supersede, transition), in this order:
   * 1 record, 2 audit stream, 3 record audit, 4 index all, 5 index profile,
   * then one `idx:state:*` per {@link STATE_ORDER} entry, then one
   * `idx:profile:*:state:*` per entry. A script only learns the current state
   * inside Redis, so it gets every state's keys and picks by position.
   */
  writeKeys(profile: string, id: string): string[] {
    return [
      this.record(id),
      this.auditStream(),
      this.recordAudit(id),
      this.indexAll(),
      this.indexProfile(profile),
      ...STATE_ORDER.map((s) => this.indexState(s)),
      ...STATE_ORDER.map((s) => this.indexProfileState(profile, s)),
    ];
  }

  /** String held by the worker that runs the periodic retention sweep (one sweep per interval). */
  retentionLock(): string {
    return `${this.prefix}retention:lock`;
  }
}
