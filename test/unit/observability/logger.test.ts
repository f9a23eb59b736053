import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, unredactedChild } from "../../../src/observability/logger.js";

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, lines: () => text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("logger", () => {
  it("ok/the process logger censors secret fields, top level and one level down", () => {
    const out = capture();
    const logger = createLogger({ level: "info", destination: out.stream });
    logger.info({ password: "p4ss", challenge: { value: "ch4l" }, upstream: { token: "t0k", url: "http://ca" } }, "with secrets");
    const [line] = out.lines();
    expect(line).toMatchObject({ password: "***", challenge: { value: "***" }, upstream: { token: "***", url: "http://ca" }, msg: "with secrets" });
    expect(JSON.stringify(line)).not.toMatch(/p4ss|ch4l|t0k/);
  });

  it("ok/the access log child writes its fields as given, with the parent's level, base and timestamp", () => {
    const out = capture();
    const logger = createLogger({ level: "warn", destination: out.stream });
    const access = unredactedChild(logger);
    access.info({ path: "/scep" }, "below the level");
    access.warn({ method: "GET", path: "/scep", operation: "GetCACaps", status: 200 }, "request");
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, pid: process.pid, name: "scepgate", method: "GET", path: "/scep", operation: "GetCACaps", status: 200, msg: "request" });
    expect(typeof lines[0]!.time).toBe("string");
  });
});
