/**
 * The ports the RA use-cases depend on. Adapters live in store/, queue/,
 * upstream/, policy/ and observability/; ra/ imports none of them.
 */
import type { Csr, KeyDescription } from "../crypto/index.js";
import type { FailInfo } from "../protocol/index.js";

export interface Clock {
  now(): Date;
}

/** pino-compatible structured logger (object first, message second). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Lifecycle of one enrollment (DESIGN.md "States of a transaction"):
 * received → pending_approval → approved → forwarding → (upstream_pending) → issued,
 * with rejected and failed as the other ends.
 */
export const TransactionState = {
  received: "received",
  pendingApproval: "pending_approval",
  approved: "approved",
  forwarding: "forwarding",
  upstreamPending: "upstream_pending",
  issued: "issued",
  rejected: "rejected",
  failed: "failed",
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

export const FinalStates: ReadonlySet<TransactionState> = new Set(["issued", "rejected", "failed"]);

/** How the challenge password check went, for operators. */
export type ChallengeOutcome =
  | "not-required" | "valid" | "otp-valid" | "missing" | "wrong" | "otp-invalid"
  /** `challenge.mode: webhook`: the webhook allowed, denied, or could not be asked (onError: manual). */
  | "webhook-valid" | "webhook-denied" | "webhook-unavailable";

/** Who made the request and how, recorded for operators. */
export interface RequestContext {
  clientAddress?: string;
  userAgent?: string;
}

/**
 * One enrollment, keyed by (profile, device transactionID). Binary values are
 * base64 DER so the record is plain JSON.
 */
export interface Transaction {
  /** Short stable id for operators (see transactionRecordId). */
  id: string;
  profile: string;
  transactionId: string;
  messageType: "17" | "19";
  state: TransactionState;
  /** Where the request came from: a device over SCEP, or the batch command. */
  source: "scep" | "batch";
  csr: string;
  subject: string;
  commonName?: string;
  sans: string[];
  key: KeyDescription;
  /** The request signer's certificate; a CertRep SUCCESS is encrypted to it. */
  requesterCert: string;
  /** sha256 of the requester's SubjectPublicKeyInfo: only this key may collect the result. */
  requesterKeyId: string;
  challenge: ChallengeOutcome;
  context: RequestContext;
  createdAt: string;
  updatedAt: string;
  /** Issued certificate (DER, base64) and the chain sent with it. */
  certificate?: string;
  chain?: string[];
  serial?: string;
  notAfter?: string;
  failInfo?: FailInfo;
  /** Why it was rejected or failed, as the device is told (failInfoText). */
  reason?: string;
  /** Who decided (operator name, "policy", "upstream"). */
  decidedBy?: string;
  upstream?: UpstreamProgress;
  /**
   * Which enrollment under this transactionID the record is: absent or 1 for
   * the first. A new CSR under a finished transactionID, or the same CSR after
   * the profile's resendWindow, starts the next attempt (see supersede).
   */
  attempt?: number;
  /** The record id of the attempt this one superseded (that record keeps its history). */
  previousId?: string;
  /** On a superseded attempt: the record id of the transaction that now holds its transactionID. */
  supersededBy?: string;
  /**
   * The operators' approvals so far, oldest first (four eyes: a profile's
   * `approval.approvals`). Absent on records approved before it existed and
   * on requests nobody approved yet.
   */
  approvals?: Approval[];
}

/** One operator's approval of a request. */
export interface Approval {
  /** Who approved (the operator name, or `cli:NAME`). */
  by: string;
  at: string;
}

/**
 * What {@link TransactionStore.addApproval} did: `approved` the approval was
 * the last one needed and moved the record to approved; `recorded` it was
 * counted and the record stays pending_approval; `duplicate` this approver
 * had already approved (nothing changed); `state` the record is not pending
 * approval (nothing changed); `missing` there is no such record.
 */
export type ApprovalOutcome =
  | { outcome: "approved" | "recorded" | "duplicate" | "state"; tx: Transaction }
  | { outcome: "missing" };

export interface UpstreamProgress {
  transactionId: string;
  attempts: number;
  lastError?: string;
  nextPollAt?: string;
}

/** Fields a transition may change. */
export type TransactionPatch = Partial<Omit<Transaction, "id" | "profile" | "transactionId" | "createdAt">>;

/** One audit stream entry: who did what to which transaction, and why. */
export interface AuditEvent {
  profile: string;
  transactionId: string;
  id: string;
  event: string;
  from?: TransactionState;
  to?: TransactionState;
  actor: string;
  reason?: string;
  at: string;
}

export interface TransactionFilter {
  state?: TransactionState;
  profile?: string;
  limit?: number;
}

/** What {@link TransactionStore.stats} counts: one profile or all, requests created in `buckets` windows of `bucketMs` from `since`. */
export interface StatsQuery {
  profile?: string;
  since: Date;
  bucketMs: number;
  buckets: number;
}

/** Counts for operators' overview (the web page's counts and chart). */
export interface RequestStats {
  /** Records in each state now. */
  counts: Record<TransactionState, number>;
  /** Requests created in each window, oldest first (`perBucket[i]` covers since + i·bucketMs). */
  perBucket: number[];
  since: string;
  bucketMs: number;
}

/** Outcome of remembering a request's senderNonce (DESIGN.md "Nonces"). */
export type NonceCheck = "fresh" | "resent" | "replay";

/** What {@link TransactionStore.createChecked} did: nothing on a replay; else created, or found `tx` already there. */
export type CheckedCreate =
  | { nonce: "replay"; created: false; tx: undefined }
  | { nonce: Exclude<NonceCheck, "replay">; created: true; tx: Transaction }
  | { nonce: Exclude<NonceCheck, "replay">; created: false; tx: Transaction };

export interface TransactionStore {
  get(profile: string, transactionId: string): Promise<Transaction | undefined>;
  getById(id: string): Promise<Transaction | undefined>;
  /** Creates the record unless one exists; returns the stored record either way. Audits "created". */
  create(tx: Transaction, actor: string): Promise<{ created: boolean; tx: Transaction }>;
  /**
   * Makes `tx` (attempt n+1 of a transactionID) the current record in place of
   * `previous`, the finished attempt n, which is kept as a record of its own
   * (id `previousId`, with its audit history and `supersededBy`). Atomic;
   * false when the current record is no longer that finished attempt.
   * Audits "superseded" on the old attempt and "created" on the new one.
   */
  supersede(tx: Transaction, previous: Transaction, audit: { actor: string; reason: string }): Promise<boolean>;
  /**
   * Moves a record from one of `from` to `patch.state` (or patches it in place
   * when `patch.state` is absent), atomically; audits the change. Returns the
   * new record, or undefined when the record is not in one of `from`.
   */
  transition(
    profile: string,
    transactionId: string,
    from: readonly TransactionState[],
    patch: TransactionPatch,
    audit: { actor: string; event: string; reason?: string },
  ): Promise<Transaction | undefined>;
  list(filter: TransactionFilter): Promise<Transaction[]>;
  /** Audit history of one record (one attempt of a transactionID), oldest first. */
  history(id: string): Promise<AuditEvent[]>;
  /**
   * Remembers (profile, senderNonce) for `windowMs` with the digest of the
   * message that carried it: "resent" when the same message was seen,
   * "replay" when a different one was.
   */
  checkNonce(profile: string, nonce: Uint8Array, messageDigest: string, windowMs: number): Promise<NonceCheck>;
  /**
   * {@link checkNonce} and {@link get} at once, in one round trip (what a
   * CertPoll needs, and a PKCSReq before policy); absent: the two calls.
   */
  lookup?(profile: string, transactionId: string, nonce: Uint8Array, messageDigest: string, windowMs: number): Promise<{ nonce: NonceCheck; tx: Transaction | undefined }>;
  /**
   * {@link checkNonce} and {@link create} at once, in one round trip, for a
   * request whose (side-effect-free) policy ran before its record was looked
   * up: a replay writes nothing; otherwise the record is created unless one
   * exists, which is returned. Absent: lookup, then create.
   */
  createChecked?(tx: Transaction, actor: string, nonce: { nonce: Uint8Array; digest: string; windowMs: number }): Promise<CheckedCreate>;
  /** Resolves with the record once it reaches a final state, or undefined after `timeoutMs`. */
  waitForFinal(profile: string, transactionId: string, timeoutMs: number): Promise<Transaction | undefined>;
  /**
   * Appends `approval` to a pending_approval record and, when it holds
   * `needed` approvals from different approvers, moves it to approved with
   * decidedBy = the last approver, all in one atomic step. Audits "approval"
   * (when `needed` > 1) and "approved". Absent: approvals are single
   * (transition to approved).
   */
  addApproval?(profile: string, transactionId: string, approval: Approval, needed: number): Promise<ApprovalOutcome>;
  /** Counts per state and per time window from the indexes; absent: the operator counts a listed page instead. */
  stats?(query: StatsQuery): Promise<RequestStats>;
}

/** What the upstream CA (or the embedded CA) answered an enrollment. */
export type UpstreamResult =
  | { status: "issued"; certificate: Uint8Array; chain: Uint8Array[] }
  | { status: "pending" }
  | { status: "rejected"; failInfo: FailInfo; reason: string };

export interface EnrollRequest {
  profile: string;
  /** The transactionID to use upstream: deterministic, so a retried forward is the same upstream transaction. */
  upstreamTransactionId: string;
  csr: Csr;
  messageType: "17" | "19";
}

/** What the upstream answered a GetCert / GetCRL (RFC 8894 §3.3.4, §3.3.5). */
export type UpstreamQueryResult =
  | { status: "ok"; certificates: Uint8Array[]; crls: Uint8Array[] }
  | { status: "pending" }
  | { status: "rejected"; failInfo: FailInfo; reason: string };

/** `IssuerAndSerialNumber` of a GetCert / GetCRL, as DER Name and INTEGER contents. */
export interface CertificateRef {
  issuer: Uint8Array;
  serial: Uint8Array;
}

/**
 * The CA behind the RA: a remote SCEP CA reached as the RA (upstream/), or the
 * embedded development CA behind the same port. A remote CA that cannot be
 * reached, or answers with an HTTP error or garbage, throws UpstreamError.
 */
export interface UpstreamCa {
  /** True when enroll() answers at once in-process (the embedded CA): the front issues without the queue. */
  readonly inline: boolean;
  /** CA certificates to publish in GetCACert after the RA certificate(s): issuing CA first, root last. */
  caChain(): Promise<Uint8Array[]>;
  enroll(req: EnrollRequest): Promise<UpstreamResult>;
  /** Polls an upstream PENDING (CertPoll/GetCertInitial as the RA, same upstream transactionID). */
  poll(req: EnrollRequest): Promise<UpstreamResult>;
  /** GetCert: a certificate by issuer and serial. */
  getCert(ref: CertificateRef): Promise<UpstreamQueryResult>;
  /** GetCRL: the CRL covering the certificate with this issuer and serial. */
  getCrl(ref: CertificateRef): Promise<UpstreamQueryResult>;
  /** GetNextCACert: the rollover CA certificate(s), or undefined when there are none. */
  getNextCaCert(): Promise<Uint8Array[] | undefined>;
}

/** Hands approved transactions to the forward workers (queue/). */
export interface ForwardQueue {
  /** Enqueues the forward of an approved transaction; idempotent per transaction. */
  enqueueForward(profile: string, transactionId: string): Promise<void>;
}

/** One-time challenge passwords (`scepgate otp issue`), kept in the store. */
export interface OneTimePasswords {
  /** Stores a new password valid once until `expiresAt`, optionally only for a subject CN. */
  issue(profile: string, password: string, expiresAt: Date, subjectCn: string | undefined): Promise<void>;
  /** Atomically consumes `password` for `profile` when unexpired and valid for `subjectCn`; true when it was. */
  consume(profile: string, password: string, subjectCn: string | undefined, now: Date): Promise<boolean>;
}

/** What policy decides about an enrollment request. */
export type PolicyDecision =
  | { decision: "approve"; challenge: ChallengeOutcome }
  /** `reason`: why policy could not decide by itself (audited on the record), when not simply `approval: manual`. */
  | { decision: "manual"; challenge: ChallengeOutcome; reason?: string }
  | { decision: "reject"; failInfo: FailInfo; reason: string; challenge: ChallengeOutcome };

export interface PolicyInput {
  profile: string;
  csr: Csr;
  messageType: "17" | "19";
  /** The request signer's certificate (the old certificate for a RenewalReq). */
  requesterCertDer: Uint8Array;
  now: Date;
  /** The device's transactionID (told to a challenge webhook). */
  transactionId?: string;
  /** Where the request came from (told to a challenge webhook). */
  context?: RequestContext;
}

export interface ApprovalPolicy {
  evaluate(input: PolicyInput): Promise<PolicyDecision>;
  /**
   * True when evaluate() changes nothing and asks no one (no one-time
   * password consumed, no webhook called): it may then run before the
   * record is looked up, and for a request that turns out to be a resend.
   */
  readonly sideEffectFree?: boolean;
}
