/** The versioned forward job payload (no Redis needed). */
import { UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { encodeForwardJob, forwardJobId, newForwardJob, parseForwardJob } from "../../../src/queue/index.js";
import { transactionRecordId } from "../../../src/ra/ids.js";

describe("forward job payload", () => {
  it("ok/round trip keeps the progress", () => {
    const p = { profile: "p", transactionId: "t", failures: 2, polls: 3, firstAttemptAt: "2026-01-01T00:00:00.000Z", pendingSince: "2026-01-02T00:00:00.000Z" };
    const data = encodeForwardJob(p);
    expect(data).toEqual({ v: 1, profile: "p", transactionId: "t", progress: { failures: 2, polls: 3, firstAttemptAt: p.firstAttemptAt, pendingSince: p.pendingSince } });
    expect(parseForwardJob(JSON.parse(JSON.stringify(data)))).toEqual(p);
    expect(parseForwardJob(newForwardJob("p", "t"))).toEqual({ profile: "p", transactionId: "t", failures: 0, polls: 0 });
  });

  it.each([
    ["unknown version", { v: 2, profile: "p", transactionId: "t", progress: { failures: 0, polls: 0 } }, /unknown payload version 2/],
    ["no version", { profile: "p", transactionId: "t" }, /unknown payload version undefined/],
    ["not an object", "x", /not an object/],
    ["no progress", { v: 1, profile: "p", transactionId: "t" }, /lacks/],
    ["bad count", { v: 1, profile: "p", transactionId: "t", progress: { failures: -1, polls: 0 } }, /failures is not a count/],
    ["bad time", { v: 1, profile: "p", transactionId: "t", progress: { failures: 0, polls: 0, pendingSince: "soon" } }, /pendingSince is not a time/],
  ])("fail/%s → UnrecoverableError", (_name, data, message) => {
    expect(() => parseForwardJob(data)).toThrow(UnrecoverableError);
    expect(() => parseForwardJob(data)).toThrow(message);
  });

  it("ok/job id: fwd- + the record id, no colon", () => {
    expect(forwardJobId("p", "t")).toBe(`fwd-${transactionRecordId("p", "t")}`);
    expect(forwardJobId("p", "t")).not.toContain(":");
  });
});
