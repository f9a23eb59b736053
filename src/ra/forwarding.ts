/**
 * The forward worker's use-case, as one resumable step: move an approved
 * transaction to the CA, poll an upstream PENDING, and say when to come back.
 * The queue adapter keeps the job (and its timing) alive between steps, so a
 * crashed worker resumes where it stopped with the same upstream transactionID.
 */
import { parseCsr } from "../crypto/index.js";
import { FailInfo } from "../protocol/index.js";
import { UpstreamError, type UpstreamErrorKind } from "./errors.js";
import { enrollUpstream, recordUpstreamResult } from "./forward.js";
import { upstreamTransactionId } from "./ids.js";
import type { Profile } from "./profile.js";
import type { Clock, Logger, Transaction, TransactionStore, UpstreamResult } from "./ports.js";

/** What a forward job remembers between steps (versioned in queue/). */
export interface ForwardProgress {
  profile: string;
  transactionId: string;
  /** When the first attempt to reach the CA started (ISO): retries stop after retryFor. */
  firstAttemptAt?: string;
  /** When the CA first said PENDING (ISO): polls stop after maxPendingAge. */
  pendingSince?: string;
  /** Consecutive failed attempts to reach the CA (for the backoff). */
  failures: number;
  /** Upstream polls made so far (for the backoff). */
  polls: number;
  /** How the last attempt failed: after "unreachable" the CA never saw it, so it is sent again without asking first. */
  lastFailure?: UpstreamErrorKind;
}

export type StepOutcome =
  | { next: "done" }
  | { next: "retry"; delayMs: number; reason: string }
  | { next: "poll"; delayMs: number };

export interface ForwardingDeps {
  store: TransactionStore;
  clock: Clock;
  logger: Logger;
  profile(name: string): Profile | undefined;
}

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 30_000;
const POLL_MAX_MS = 3_600_000;

/** Exponential backoff: 1 s, 2 s, 4 s … capped at 30 s. */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, failures - 1), RETRY_MAX_MS);
}

/** Upstream poll delay: the profile's pollInterval growing by half each time, capped at an hour. */
export function pollDelay(pollIntervalMs: number, polls: number): number {
  return Math.min(Math.round(pollIntervalMs * 1.5 ** polls), Math.max(POLL_MAX_MS, pollIntervalMs));
}

/** Runs one step for the transaction of `job`; mutates `job` (timing, counters) for the next step. */
export async function forwardStep(deps: ForwardingDeps, job: ForwardProgress): Promise<StepOutcome> {
  const profile = deps.profile(job.profile);
  const tx = await deps.store.get(job.profile, job.transactionId);
  if (!profile || !tx) {
    deps.logger.error({ profile: job.profile, transactionId: job.transactionId }, "forward job for an unknown profile or transaction");
    return { next: "done" };
  }
  const now = deps.clock.now();
  job.firstAttemptAt ??= now.toISOString();
  if (tx.state === "approved") {
    const moved = await deps.store.transition(tx.profile, tx.transactionId, ["approved"], {
      state: "forwarding",
      upstream: { transactionId: upstreamTransactionId(tx.profile, tx.transactionId, tx.attempt), attempts: 0 },
    }, { actor: "worker", event: "forwarding" });
    if (!moved) return forwardStep(deps, job);
    return exchange(deps, profile, moved, job, "enroll");
  }
  if (tx.state === "forwarding") return exchange(deps, profile, tx, job, "recover");
  if (tx.state === "upstream_pending") return exchange(deps, profile, tx, job, "poll");
  return { next: "done" };
}

/**
 * After a crash mid-forward the CA may or may not have the request: ask it
 * first (CertPoll, same upstream transactionID); only a CA that does not know
 * the transaction, or cannot answer polls, gets the request again.
 */
async function recover(profile: Profile, tx: Transaction, priorAttempts: number, lastFailure: UpstreamErrorKind | undefined): Promise<UpstreamResult> {
  if (priorAttempts === 0 || lastFailure === "unreachable") return enrollUpstream(profile, tx);
  const req = enrollRequest(profile, tx);
  try {
    const polled = await profile.upstream.poll(req);
    if (polled.status !== "rejected" || polled.failInfo !== FailInfo.badCertId) return polled;
  } catch (err) {
    // Unreachable now: try again later. An HTTP error or an odd answer to a poll means the CA does not do polls.
    if (!(err instanceof UpstreamError) || err.kind === "unreachable" || err.kind === "timeout") throw err;
  }
  return enrollUpstream(profile, tx);
}

function enrollRequest(profile: Profile, tx: Transaction) {
  return {
    profile: profile.name,
    upstreamTransactionId: upstreamTransactionId(profile.name, tx.transactionId, tx.attempt),
    csr: parseCsr(Buffer.from(tx.csr, "base64")),
    messageType: tx.messageType,
  };
}

async function exchange(deps: ForwardingDeps, profile: Profile, tx: Transaction, job: ForwardProgress, kind: "enroll" | "recover" | "poll"): Promise<StepOutcome> {
  const priorAttempts = tx.upstream?.attempts ?? 0;
  const current = kind === "poll" ? tx : ((await markAttempt(deps, tx, priorAttempts + 1)) ?? tx);
  let result: UpstreamResult;
  try {
    if (kind === "enroll") result = await enrollUpstream(profile, current);
    else if (kind === "recover") result = await recover(profile, current, priorAttempts, job.lastFailure);
    else result = await profile.upstream.poll(enrollRequest(profile, current));
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    return upstreamFailed(deps, profile, current, job, err);
  }
  job.failures = 0;
  job.lastFailure = undefined;
  const recorded = await recordUpstreamResult(deps, current, result, ["forwarding", "upstream_pending"]);
  if (result.status !== "pending" || !recorded) return { next: "done" };
  return schedulePoll(deps, profile, recorded, job);
}

/** Records one more attempt before sending; returns the updated record. */
async function markAttempt(deps: ForwardingDeps, tx: Transaction, attempts: number): Promise<Transaction | undefined> {
  return deps.store.transition(tx.profile, tx.transactionId, ["forwarding"], {
    upstream: { ...(tx.upstream ?? { transactionId: upstreamTransactionId(tx.profile, tx.transactionId, tx.attempt) }), attempts },
  }, { actor: "worker", event: "upstream-attempt" });
}

async function schedulePoll(deps: ForwardingDeps, profile: Profile, tx: Transaction, job: ForwardProgress): Promise<StepOutcome> {
  const now = deps.clock.now();
  job.pendingSince ??= now.toISOString();
  if (now.getTime() - Date.parse(job.pendingSince) > profile.settings.forwarding.maxPendingAgeMs) {
    await fail(deps, tx, ["upstream_pending"], `the CA left the request pending longer than ${Math.round(profile.settings.forwarding.maxPendingAgeMs / 3_600_000)} h`);
    return { next: "done" };
  }
  const delayMs = pollDelay(profile.settings.forwarding.pollIntervalMs, job.polls++);
  await deps.store.transition(tx.profile, tx.transactionId, ["upstream_pending"], {
    upstream: { ...tx.upstream!, nextPollAt: new Date(now.getTime() + delayMs).toISOString() },
  }, { actor: "worker", event: "upstream-poll-scheduled" });
  return { next: "poll", delayMs };
}

async function upstreamFailed(deps: ForwardingDeps, profile: Profile, tx: Transaction, job: ForwardProgress, err: UpstreamError): Promise<StepOutcome> {
  const now = deps.clock.now();
  const elapsed = now.getTime() - Date.parse(job.firstAttemptAt ?? now.toISOString());
  deps.logger.warn({ profile: tx.profile, id: tx.id, err: err.message, retryable: err.retryable, failures: job.failures + 1 }, "upstream attempt failed");
  if (!err.retryable || elapsed > profile.settings.forwarding.retryForMs) {
    const why = err.retryable ? `the CA could not be reached for ${Math.round(elapsed / 60_000)} min: ${err.message}` : `the CA refused the request: ${err.message}`;
    await fail(deps, tx, ["forwarding", "upstream_pending"], why);
    return { next: "done" };
  }
  await deps.store.transition(tx.profile, tx.transactionId, ["forwarding", "upstream_pending"], {
    upstream: { ...(tx.upstream ?? { transactionId: upstreamTransactionId(tx.profile, tx.transactionId, tx.attempt), attempts: 0 }), lastError: err.message },
  }, { actor: "worker", event: "upstream-error", reason: err.message });
  job.failures++;
  job.lastFailure = err.kind;
  return { next: "retry", delayMs: retryDelay(job.failures), reason: err.message };
}

async function fail(deps: ForwardingDeps, tx: Transaction, from: Transaction["state"][], reason: string): Promise<void> {
  await deps.store.transition(tx.profile, tx.transactionId, from, { state: "failed", failInfo: FailInfo.badRequest, reason, decidedBy: "worker" }, {
    actor: "worker",
    event: "failed",
    reason,
  });
}
