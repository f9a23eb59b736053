/** Which audit entries are notifications, for which targets, with what payload, key and job id. */
import { describe, expect, it } from "vitest";
import {
  idempotencyKey, notificationPayload, notifyEventOf, notifyJobId, notifyTargetId, targetsFor, type NotifyTarget,
} from "../../../src/queue/notify-events.js";
import { notifyBackoffDelay, NOTIFY_ATTEMPTS, parseNotifyJob } from "../../../src/queue/notify-queue.js";
import type { Transaction } from "../../../src/ra/ports.js";

const entry = (over: Record<string, string>) => ({ profile: "default", transactionId: "tx-1", id: "rec1", event: "issued", actor: "upstream", at: "2026-03-01T10:00:05.000Z", ...over });
const tx = { id: "rec1", profile: "default", transactionId: "tx-1", subject: "CN=d1", sans: ["DNS:d1"], state: "issued",
  serial: "0a1b", notAfter: "2027-03-01T10:00:00.000Z", createdAt: "2026-03-01T10:00:00.000Z" } as unknown as Transaction;

describe("notification events", () => {
  it("ok/states map to events: pending_approval→pending, issued, rejected, failed (also on created)", () => {
    expect(notifyEventOf(entry({ event: "created", to: "pending_approval" }))).toBe("pending");
    expect(notifyEventOf(entry({ from: "forwarding", to: "issued" }))).toBe("issued");
    expect(notifyEventOf(entry({ from: "pending_approval", to: "rejected" }))).toBe("rejected");
    expect(notifyEventOf(entry({ from: "forwarding", to: "failed" }))).toBe("failed");
  });

  it("fail/other states and in-place patches are not events", () => {
    expect(notifyEventOf(entry({ from: "pending_approval", to: "approved" }))).toBeUndefined();
    expect(notifyEventOf(entry({ from: "forwarding", to: "forwarding" }))).toBeUndefined();
    expect(notifyEventOf(entry({ from: "pending_approval", to: "pending_approval", event: "held-for-operator" }))).toBeUndefined();
    expect(notifyEventOf(entry({}))).toBeUndefined();
  });

  it("ok/global targets get every profile, a profile's only its own, each only its events", () => {
    const t = (id: string, events: NotifyTarget["events"], profile?: string): NotifyTarget => ({ id, url: `http://h/${id}`, secret: "s".repeat(16), events, timeoutMs: 1000, ...(profile ? { profile } : {}) });
    const all = [t("g", ["issued"]), t("p", ["issued", "pending"], "routers"), t("q", ["pending"])];
    expect(targetsFor(all, "routers", "issued").map((x) => x.id)).toEqual(["g", "p"]);
    expect(targetsFor(all, "default", "issued").map((x) => x.id)).toEqual(["g"]);
    expect(targetsFor(all, "default", "pending").map((x) => x.id)).toEqual(["q"]);
    expect(notifyTargetId(undefined, "http://h/x")).not.toBe(notifyTargetId("default", "http://h/x"));
  });

  it("ok/issued payload carries serial and notAfter; refused ones reason and failInfo", () => {
    expect(notificationPayload("issued", entry({ from: "forwarding", to: "issued" }), tx)).toEqual({
      v: 1, event: "issued", profile: "default", id: "rec1", transactionID: "tx-1", attempt: 1, state: "issued",
      subject: "CN=d1", sans: ["DNS:d1"], serial: "0a1b", notAfter: "2027-03-01T10:00:00.000Z", actor: "upstream", at: "2026-03-01T10:00:05.000Z",
    });
    const rejected = { ...tx, state: "rejected", failInfo: "2", reason: "not ours", serial: undefined } as unknown as Transaction;
    const p = notificationPayload("rejected", entry({ from: "pending_approval", to: "rejected", actor: "alice" }), rejected);
    expect(p).toMatchObject({ event: "rejected", failInfo: "2", reason: "not ours", actor: "alice" });
    expect(p.serial).toBeUndefined();
  });

  it("ok/a record created after the entry (a later attempt) is not used", () => {
    const later = { ...tx, createdAt: "2026-03-02T00:00:00.000Z", subject: "CN=other" } as Transaction;
    const p = notificationPayload("pending", entry({ event: "created", to: "pending_approval" }), later);
    expect(p.subject).toBeNull();
    expect(p.transactionID).toBe("tx-1");
  });

  it("ok/idempotency key <record id>:<event>:<attempt>; job id the same for the same key and target, no ':'", () => {
    const key = idempotencyKey("rec1", "issued", 2);
    expect(key).toBe("rec1:issued:2");
    expect(notifyJobId(key, "t1")).toBe(notifyJobId(key, "t1"));
    expect(notifyJobId(key, "t1")).not.toBe(notifyJobId(key, "t2"));
    expect(notifyJobId(key, "t1")).toMatch(/^ntf-[0-9a-f]{32}$/);
  });

  it("ok/retries: 5 s doubling up to 1 h, about 15 hours in all", () => {
    expect([1, 2, 3].map((n) => notifyBackoffDelay(n))).toEqual([5_000, 10_000, 20_000]);
    expect(notifyBackoffDelay(20)).toBe(3_600_000);
    let total = 0;
    for (let n = 1; n < NOTIFY_ATTEMPTS; n++) total += notifyBackoffDelay(n);
    expect(total / 3_600_000).toBeGreaterThan(14);
    expect(total / 3_600_000).toBeLessThan(16);
  });

  it("fail/a job of another version is not retried", () => {
    expect(() => parseNotifyJob({ v: 2 })).toThrow(/version 1/);
    expect(parseNotifyJob({ v: 1, target: "t", key: "k", event: "issued", body: "{}" }).key).toBe("k");
  });
});
