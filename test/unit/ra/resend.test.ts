/** resendVerdict: what a request under a transactionID that already has a record of the same key means. */
import { describe, expect, it } from "vitest";
import type { Transaction, TransactionState } from "../../../src/ra/ports.js";
import { resendVerdict } from "../../../src/ra/resend.js";

const ENDED = "2026-01-01T00:00:00.000Z";
const WINDOW = 3_600_000;

function record(state: TransactionState): Transaction {
  return { state, csr: "Q1NSLUE=", updatedAt: ENDED } as Transaction;
}

function at(msAfterEnd: number): Date {
  return new Date(Date.parse(ENDED) + msAfterEnd);
}

const OPEN: TransactionState[] = ["received", "pending_approval", "approved", "forwarding", "upstream_pending"];
const FINAL: TransactionState[] = ["issued", "rejected", "failed"];

describe("resendVerdict", () => {
  it("ok/the same CSR while open is a poll, however long it has been", () => {
    for (const state of OPEN) expect(resendVerdict(record(state), { csr: "Q1NSLUE=", resent: false }, at(30 * 24 * WINDOW), WINDOW)).toEqual({ kind: "poll" });
  });

  it("fail/another CSR while open is a conflict that names the state", () => {
    for (const state of OPEN) {
      const v = resendVerdict(record(state), { csr: "Q1NSLUI=", resent: false }, at(0), WINDOW);
      expect(v.kind).toBe("conflict");
      expect(v.kind === "conflict" && v.reason).toContain(`open request (${state}) for another CSR`);
    }
  });

  it("ok/the same CSR within the window after the end is a poll, up to and including its last millisecond", () => {
    for (const state of FINAL) {
      expect(resendVerdict(record(state), { csr: "Q1NSLUE=", resent: false }, at(0), WINDOW)).toEqual({ kind: "poll" });
      expect(resendVerdict(record(state), { csr: "Q1NSLUE=", resent: false }, at(WINDOW), WINDOW)).toEqual({ kind: "poll" });
    }
  });

  it("ok/the same CSR after the window is a new enrollment", () => {
    for (const state of FINAL) {
      const v = resendVerdict(record(state), { csr: "Q1NSLUE=", resent: false }, at(WINDOW + 1), WINDOW);
      expect(v).toMatchObject({ kind: "new", reason: expect.stringContaining(`after the request was ${state}`) });
    }
  });

  it("ok/the very same message again (resent senderNonce) is a poll even after the window", () => {
    expect(resendVerdict(record("issued"), { csr: "Q1NSLUE=", resent: true }, at(WINDOW * 2), WINDOW)).toEqual({ kind: "poll" });
  });

  it("ok/another CSR after the end is a new enrollment at once", () => {
    for (const state of FINAL) {
      expect(resendVerdict(record(state), { csr: "Q1NSLUI=", resent: false }, at(1), WINDOW)).toEqual({ kind: "new", reason: `new CSR after the request was ${state}` });
    }
  });

  it("ok/a zero window makes every later resend of a finished request a new enrollment", () => {
    expect(resendVerdict(record("issued"), { csr: "Q1NSLUE=", resent: false }, at(1), 0).kind).toBe("new");
  });
});
