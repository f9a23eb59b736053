/** The CLI's human-readable output and its log level. */
import { describe, expect, it } from "vitest";
import { decisionLine, keyText, requestDetails, shortTime, table, terminalSafe } from "../../../src/cli/format.js";
import { commandLogLevel } from "../../../src/cli/io.js";
import { FailInfo } from "../../../src/protocol/index.js";
import { sampleTx } from "./fake-operator.js";

describe("format", () => {
  it("ok/table pads every column but the last", () => {
    expect(table(["A", "BB", "C"], [["xxx", "y", "z"], ["1", "22", ""]])).toBe("A    BB  C\nxxx  y   z\n1    22\n");
  });

  it("ok/times to the second in UTC; keys by type", () => {
    expect(shortTime("2025-03-04T05:06:07.890Z")).toBe("2025-03-04 05:06:07Z");
    expect(keyText({ type: "ec", bits: 256, curve: "P-256" })).toBe("EC P-256 (256 bits)");
    expect(keyText({ type: "rsa", bits: 3072 })).toBe("RSA 3072");
  });

  it("ok/control characters become ?", () => {
    expect(terminalSafe("a\u001b[31mb\r\nc\u0085d\u2028")).toBe("a?[31mb??c?d?");
  });

  it("ok/details of a failed forward: upstream progress, fail info, reason; missing fields left out", () => {
    const tx = sampleTx({
      id: "failedaaaaaa", state: "failed", messageType: "17", failInfo: FailInfo.badCertId, reason: "unknown to the CA",
      decidedBy: "upstream", sans: [], context: {},
      upstream: { transactionId: "ab12", attempts: 3, lastError: "HTTP 503", nextPollAt: "2025-01-02T00:00:00.000Z" },
    });
    const text = requestDetails(tx, []);
    expect(text).toMatch(/^Type\s+RenewalReq \(17\), from scep$/m);
    expect(text).toMatch(/^SANs\s+none$/m);
    expect(text).toMatch(/^Client address\s+unknown$/m);
    expect(text).toMatch(/^Upstream\s+transaction ab12, 3 attempts, last error: HTTP 503, next poll 2025-01-02 00:00:00Z$/m);
    expect(text).toMatch(/^Fail info\s+badCertId \(4\)$/m);
    expect(text).toMatch(/^Reason\s+unknown to the CA$/m);
    expect(text).not.toMatch(/^Serial/m);
    expect(text).toMatch(/History\n {2}\(none\)\n$/);
    expect(decisionLine(tx)).toBe("failedaaaaaa: failed (by upstream): unknown to the CA\n");
  });
});

describe("commandLogLevel", () => {
  it("ok/warn unless the config is quieter, debug with SCEPGATE_DEBUG", () => {
    expect(commandLogLevel("info", false)).toBe("warn");
    expect(commandLogLevel("trace", false)).toBe("warn");
    expect(commandLogLevel("error", false)).toBe("error");
    expect(commandLogLevel("silent", false)).toBe("silent");
    expect(commandLogLevel("silent", true)).toBe("debug");
  });
});
