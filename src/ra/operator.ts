/**
 * What operators do (CLI, admin API, web page): list and inspect requests,
 * approve and reject them, issue one-time challenge passwords. Every decision
 * is audited with who made it.
 */
import { randomBytes } from "node:crypto";
import { FailInfo } from "../protocol/index.js";
import { OperatorError } from "./errors.js";
import { enrollUpstream, recordUpstreamResult } from "./forward.js";
import type { Profile } from "./profile.js";
import type {
  AuditEvent, Clock, ForwardQueue, Logger, OneTimePasswords, RequestStats, Transaction, TransactionFilter, TransactionState, TransactionStore,
} from "./ports.js";
import { lastDayQuery, requestStats } from "./request-stats.js";

export interface OperatorDeps {
  store: TransactionStore;
  clock: Clock;
  logger: Logger;
  queue?: ForwardQueue;
  otp?: OneTimePasswords;
  profile(name: string): Profile | undefined;
}

/** States an operator may still reject from (before the CA answered). */
const REJECTABLE: readonly TransactionState[] = ["pending_approval", "approved", "upstream_pending"];
const STATE_RANK: Record<TransactionState, number> = {
  pending_approval: 0, received: 1, approved: 2, forwarding: 3, upstream_pending: 4, issued: 5, rejected: 6, failed: 7,
};

export class Operator {
  constructor(private readonly deps: OperatorDeps) {}

  /** Requests, pending approval first, then newest first. */
  async list(filter: TransactionFilter): Promise<Transaction[]> {
    const txs = await this.deps.store.list(filter);
    return txs.sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || b.createdAt.localeCompare(a.createdAt));
  }

  async show(id: string): Promise<{ tx: Transaction; history: AuditEvent[] }> {
    const tx = await this.find(id);
    return { tx, history: await this.deps.store.history(tx.id) };
  }

  /** Counts per state and requests per hour over the last day, of one profile or all. */
  async stats(filter: { profile?: string } = {}): Promise<RequestStats> {
    return requestStats(this.deps.store, lastDayQuery(this.deps.clock.now(), filter.profile));
  }

  /** Approves a request waiting for approval and starts its forward. */
  async approve(id: string, actor: string): Promise<Transaction> {
    const tx = await this.findCurrent(id);
    const approved = await this.deps.store.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "approved", decidedBy: actor }, {
      actor,
      event: "approved",
    });
    if (!approved) throw new OperatorError(`request ${id} is ${tx.state}, not pending approval`, "conflict");
    this.deps.logger.info({ profile: tx.profile, id, actor }, "request approved");
    const profile = this.deps.profile(tx.profile);
    if (profile?.upstream.inline) {
      const result = await enrollUpstream(profile, approved);
      return (await recordUpstreamResult(this.deps, approved, result, ["approved"])) ?? approved;
    }
    if (!this.deps.queue) throw new Error("no forward queue: approved requests cannot be forwarded from here");
    await this.deps.queue.enqueueForward(tx.profile, tx.transactionId);
    return approved;
  }

  /** Rejects a request the CA has not answered yet; the device gets FAILURE with `reason`. */
  async reject(id: string, actor: string, reason: string): Promise<Transaction> {
    const text = reason.trim();
    if (!text) throw new OperatorError("a reason is required to reject a request", "conflict");
    const tx = await this.findCurrent(id);
    const rejected = await this.deps.store.transition(
      tx.profile,
      tx.transactionId,
      REJECTABLE,
      { state: "rejected", failInfo: FailInfo.badRequest, reason: text, decidedBy: actor },
      { actor, event: "rejected", reason: text },
    );
    if (!rejected) throw new OperatorError(`request ${id} is ${tx.state} and can no longer be rejected`, "conflict");
    this.deps.logger.info({ profile: tx.profile, id, actor }, "request rejected");
    return rejected;
  }

  /** Issues a one-time challenge password for `profile`, valid once for `ttlMs`, optionally only for `subjectCn`. */
  async issueOtp(profile: string, ttlMs: number, subjectCn?: string): Promise<{ password: string; expiresAt: Date }> {
    if (!this.deps.profile(profile)) throw new OperatorError(`unknown profile "${profile}"`, "not-found");
    if (!this.deps.otp) throw new Error("one-time passwords need the store");
    const password = randomBytes(18).toString("base64url");
    const expiresAt = new Date(this.deps.clock.now().getTime() + ttlMs);
    await this.deps.otp.issue(profile, password, expiresAt, subjectCn);
    this.deps.logger.info({ profile, expiresAt: expiresAt.toISOString(), subjectCn }, "one-time password issued");
    return { password, expiresAt };
  }

  private async find(id: string): Promise<Transaction> {
    const tx = await this.deps.store.getById(id);
    if (!tx) throw new OperatorError(`no request with id ${id}`, "not-found");
    return tx;
  }

  /** The record of `id` when it is the current attempt of its transactionID (decisions act on that one only). */
  private async findCurrent(id: string): Promise<Transaction> {
    const tx = await this.find(id);
    if (tx.supersededBy) throw new OperatorError(`request ${id} was superseded by a later request (${tx.supersededBy})`, "conflict");
    return tx;
  }
}
