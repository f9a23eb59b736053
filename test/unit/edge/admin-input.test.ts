/** The operator input checks shared by the admin API and the CLI, and the JSON view of a transaction. */
import { describe, expect, it } from "vitest";
import {
  InputError, parseActorName, parseLimit, parseReason, parseStateFilter, parseSubjectCn, parseTtl,
} from "../../../src/edge/admin-input.js";
import { transactionView } from "../../../src/edge/admin-view.js";
import { sampleTx } from "../cli/fake-operator.js";

describe("admin input", () => {
  it("ok/states: pending is pending_approval; dashes and case are forgiven", () => {
    expect(parseStateFilter("pending")).toBe("pending_approval");
    expect(parseStateFilter("PENDING_APPROVAL")).toBe("pending_approval");
    expect(parseStateFilter("upstream-pending")).toBe("upstream_pending");
    for (const s of ["received", "approved", "forwarding", "issued", "rejected", "failed"]) expect(parseStateFilter(s)).toBe(s);
  });

  it("fail/unknown state → InputError listing the states", () => {
    expect(() => parseStateFilter("done")).toThrow(InputError);
    expect(() => parseStateFilter("done")).toThrow(/expected one of pending, received, pending_approval/);
  });

  it("ok+fail/limit: whole numbers from 1", () => {
    expect(parseLimit("25")).toBe(25);
    expect(parseLimit(3)).toBe(3);
    for (const bad of ["0", "-2", "2.5", "ten", "", 0]) expect(() => parseLimit(bad), String(bad)).toThrow(/^limit: /);
  });

  it("ok+fail/ttl: durations or ms, from 1s to 30d", () => {
    expect(parseTtl("1h")).toBe(3_600_000);
    expect(parseTtl("1h30m")).toBe(5_400_000);
    expect(parseTtl(5000)).toBe(5000);
    expect(parseTtl("30d")).toBe(30 * 86_400_000);
    for (const bad of ["999ms", "31d", "tomorrow", -1, null, {}]) expect(() => parseTtl(bad), String(bad)).toThrow(/^ttl: /);
  });

  it("ok+fail/actor, reason, subject: one trimmed line of bounded length", () => {
    expect(parseActorName(" alice ")).toBe("alice");
    expect(parseReason("not ours")).toBe("not ours");
    expect(parseSubjectCn("Device-1.example.net")).toBe("Device-1.example.net");
    expect(() => parseReason(undefined)).toThrow(/^reason: required/);
    expect(() => parseReason("a\u001b[31mred")).toThrow(/one line of printable text/);
    expect(() => parseReason("x".repeat(501))).toThrow(/at most 500/);
    expect(() => parseActorName("x".repeat(65))).toThrow(/at most 64/);
    expect(() => parseActorName("", "--as")).toThrow(/^--as: must not be empty/);
    expect(() => parseSubjectCn("a\u2028b")).toThrow(/one line/);
  });
});

describe("transactionView", () => {
  it("ok/fixed field order whatever the stored order; blobs only when full", () => {
    const tx = sampleTx({ state: "issued", serial: "0A", notAfter: "2026-01-01T00:00:00.000Z", certificate: "Q0VSVA==", chain: ["Q0E="] });
    const shuffled = Object.fromEntries(Object.entries(tx).reverse()) as typeof tx;
    const view = transactionView(shuffled);
    expect(Object.keys(view)).toEqual([
      "id", "profile", "transactionId", "messageType", "state", "source", "subject", "commonName", "sans", "key", "challenge",
      "context", "createdAt", "updatedAt", "serial", "notAfter", "requesterKeyId",
    ]);
    expect(Object.keys(transactionView(shuffled, true)).slice(-4)).toEqual(["csr", "requesterCert", "certificate", "chain"]);
  });

  it("ok/fields this version does not know are kept, at the end", () => {
    const view = transactionView({ ...sampleTx(), zeta: 1, alpha: 2 } as never) as unknown as Record<string, unknown>;
    expect(Object.keys(view).slice(-2)).toEqual(["alpha", "zeta"]);
  });
});
