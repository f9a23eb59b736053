/**
 * What operators do (CLI, admin API, web page): list and inspect requests,
 * approve and reject them, issue one-time challenge passwords. Every decision
 * is audited with who made it.
 */
import { randomBytes } from "node:crypto";
import { FailInfo } from "../protocol/index.js";
import { OperatorError } from "./errors.js";
import { issueInline } from "./forward.js";
import type { Profile } from "./profile.js";
import type {
  ApprovalOutcome, AuditEvent, Clock, ForwardQueue, Logger, OneTimePasswords, RequestStats, Transaction, TransactionFilter, TransactionState, TransactionStore,
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

/** The conflict of an approval that was not counted: already given by this operator, or the request moved on. */
function approvalConflict(id: string, actor: string, result: ApprovalOutcome, needed: number): OperatorError {
  if (result.outcome === "missing") return new OperatorError(`no request with id ${id}`, "not-found");
  if (result.outcome === "duplicate") {
    const have = result.tx.approvals?.length ?? 1;
    const waiting = needed - have === 1 ? (have === 1 ? "a second operator" : "one more operator") : `${needed - have} more operators`;
    return new OperatorError(`request ${id} is already approved by ${actor}, waiting for ${waiting}`, "conflict");
  }
  return new OperatorError(`request ${id} is ${result.tx.state}, not pending approval`, "conflict");
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

  /**
   * Approves a request waiting for approval. With the profile's `approvals`
   * above 1 (four eyes) each approval from a different operator is counted
   * and the request stays pending until the last one; that one moves it to
   * approved and starts its forward. The same operator twice is a conflict.
   */
  async approve(id: string, actor: string): Promise<Transaction> {
    const tx = await this.findCurrent(id);
    if (tx.state === "approved" && this.deps.profile(tx.profile)?.upstream.inline) {
      // Approved before, but the issuance did not follow (the process died between the two writes): issue it now.
      this.deps.logger.warn({ profile: tx.profile, id, actor }, "request was approved but not issued; issuing it now");
      return this.forward(tx);
    }
    const needed = this.deps.profile(tx.profile)?.settings.approvals ?? 1;
    const result = await this.addApproval(tx, actor, needed);
    if (result.outcome === "recorded") {
      this.deps.logger.info({ profile: tx.profile, id, actor, approvals: result.tx.approvals?.length, needed }, "request approval counted");
      return result.tx;
    }
    if (result.outcome !== "approved") throw approvalConflict(id, actor, result, needed);
    this.deps.logger.info({ profile: tx.profile, id, actor }, "request approved");
    return this.forward(result.tx);
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

  private async addApproval(tx: Transaction, actor: string, needed: number): Promise<ApprovalOutcome> {
    const approval = { by: actor, at: this.deps.clock.now().toISOString() };
    if (this.deps.store.addApproval) return this.deps.store.addApproval(tx.profile, tx.transactionId, approval, needed);
    if (needed > 1) throw new Error("this store cannot count approvals (four eyes)");
    const moved = await this.deps.store.transition(tx.profile, tx.transactionId, ["pending_approval"], { state: "approved", decidedBy: actor, approvals: [approval] }, {
      actor,
      event: "approved",
    });
    return moved ? { outcome: "approved", tx: moved } : { outcome: "state", tx: (await this.deps.store.getById(tx.id)) ?? tx };
  }

  /** Starts the issuance of an approved request: inline on the embedded CA, else through the forward queue. */
  private async forward(approved: Transaction): Promise<Transaction> {
    const profile = this.deps.profile(approved.profile);
    if (profile?.upstream.inline) return issueInline(this.deps, profile, approved);
    if (!this.deps.queue) throw new Error("no forward queue: approved requests cannot be forwarded from here");
    await this.deps.queue.enqueueForward(approved.profile, approved.transactionId);
    return approved;
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
