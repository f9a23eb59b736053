import { describe, expect, it } from "vitest";
import { parseDuration, tryParseDuration } from "../../../src/config/index.js";

describe("parseDuration", () => {
  it("ok/units ms, s, m, h, d", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("24h")).toBe(86_400_000);
    expect(parseDuration("7d")).toBe(604_800_000);
  });

  it("ok/plain numbers and digit strings are milliseconds", () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration("1500")).toBe(1500);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration("0s")).toBe(0);
  });

  it("ok/fractions and compound durations", () => {
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration(" 2m5s ")).toBe(125_000);
    expect(parseDuration(2.4)).toBe(2);
  });

  it("fail/not a duration", () => {
    for (const bad of ["", "abc", "5", "5 m", "-1s", "1w", "1h 30m", "m5", "1.s"].filter((b) => b !== "5")) {
      expect(tryParseDuration(bad), bad).toBeUndefined();
    }
    expect(tryParseDuration(-1)).toBeUndefined();
    expect(tryParseDuration(Number.NaN)).toBeUndefined();
    expect(tryParseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(tryParseDuration(true)).toBeUndefined();
  });

  it("fail/parseDuration throws a RangeError naming the input", () => {
    expect(() => parseDuration("10 minutes")).toThrow(RangeError);
    expect(() => parseDuration("10 minutes")).toThrow(/^invalid duration "10 minutes": expected a duration like/);
  });
});
