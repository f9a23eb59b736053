/** A fake Operator (in memory, recording its calls) and sample records, for the admin API and CLI unit tests. */
import { FailInfo } from "../../../src/protocol/index.js";
import { OperatorError } from "../../../src/ra/errors.js";
import type { AuditEvent, Transaction, TransactionFilter } from "../../../src/ra/ports.js";

let seq = 0;

/** A plausible record with base64 blobs. */
export function sampleTx(over: Partial<Transaction> = {}): Transaction {
  const n = seq++;
  const at = new Date(Date.UTC(2025, 0, 1, 12, 0, n)).toISOString();
  return {
    id: over.id ?? `id${String(n).padStart(10, "a")}`.slice(0, 12),
    profile: "default",
    transactionId: `txid-${n}`,
    messageType: "19",
    state: "pending_approval",
    source: "scep",
    csr: "Q1NSQkxPQg==",
    subject: `CN=device-${n},O=lab`,
    commonName: `device-${n}`,
    sans: ["dns:device.example"],
    key: { type: "rsa", bits: 2048 },
    requesterCert: "UkVRVUVTVEVSQkxPQg==",
    requesterKeyId: "ab".repeat(32),
    challenge: "valid",
    context: { clientAddress: "192.0.2.7", userAgent: "scepclient/1.0" },
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

export interface OperatorCall {
  method: string;
  args: unknown[];
}

/** An Operator over a fixed set of records; approve issues at once, reject records the reason. */
export class FakeOperator {
  readonly calls: OperatorCall[] = [];
  readonly txs = new Map<string, Transaction>();
  /** Set to make the next call throw it. */
  failWith: Error | undefined;

  constructor(txs: Transaction[] = []) {
    for (const tx of txs) this.txs.set(tx.id, tx);
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failWith;
    this.failWith = undefined;
    if (err) throw err;
  }

  private find(id: string): Transaction {
    const tx = this.txs.get(id);
    if (!tx) throw new OperatorError(`no request with id ${id}`, "not-found");
    return tx;
  }

  async list(filter: TransactionFilter): Promise<Transaction[]> {
    this.record("list", filter);
    return [...this.txs.values()].filter((t) => (!filter.state || t.state === filter.state) && (!filter.profile || t.profile === filter.profile));
  }

  async show(id: string): Promise<{ tx: Transaction; history: AuditEvent[] }> {
    this.record("show", id);
    const tx = this.find(id);
    const history: AuditEvent[] = [
      { profile: tx.profile, transactionId: tx.transactionId, id, event: "created", to: "pending_approval", actor: "scep", at: tx.createdAt },
    ];
    return { tx, history };
  }

  async approve(id: string, actor: string): Promise<Transaction> {
    this.record("approve", id, actor);
    const tx = this.find(id);
    if (tx.state !== "pending_approval") throw new OperatorError(`request ${id} is ${tx.state}, not pending approval`, "conflict");
    const issued: Transaction = {
      ...tx, state: "issued", decidedBy: actor, certificate: "Q0VSVA==", chain: ["Q0E="], serial: "1A2B", notAfter: "2026-01-01T00:00:00.000Z",
    };
    this.txs.set(id, issued);
    return issued;
  }

  async reject(id: string, actor: string, reason: string): Promise<Transaction> {
    this.record("reject", id, actor, reason);
    const tx = this.find(id);
    if (tx.state !== "pending_approval") throw new OperatorError(`request ${id} is ${tx.state} and can no longer be rejected`, "conflict");
    const rejected: Transaction = { ...tx, state: "rejected", decidedBy: actor, reason, failInfo: FailInfo.badRequest };
    this.txs.set(id, rejected);
    return rejected;
  }

  async issueOtp(profile: string, ttlMs: number, subjectCn?: string): Promise<{ password: string; expiresAt: Date }> {
    this.record("issueOtp", profile, ttlMs, subjectCn);
    if (profile !== "default" && profile !== "otp") throw new OperatorError(`unknown profile "${profile}"`, "not-found");
    return { password: "S3CRET-one-time-pw", expiresAt: new Date(Date.UTC(2025, 0, 1, 13)) };
  }
}
