/**
 * `log.format`: JSON lines, readable lines, or `auto` (readable on a
 * terminal, JSON otherwise); readable lines censor exactly what JSON does.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, isPretty } from "../../../src/observability/logger.js";
import { formatLine } from "../../../src/observability/pretty.js";

/** A destination that collects what is written; `isTTY` as a terminal's stream has it. */
function sink(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  if (isTTY) stream.isTTY = true;
  return { stream, text: () => text };
}

const SECRETS = { password: "p4ss", challenge: { value: "ch4l" }, upstream: { token: "t0k", url: "http://ca" }, otp: "123-456" };

describe("log.format", () => {
  it("ok/auto writes JSON lines when the destination is not a terminal", () => {
    const out = sink(false);
    createLogger({ level: "info", destination: out.stream, format: "auto" }).info({ profile: "default" }, "scepgate listening");
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: "scepgate listening", profile: "default" });
  });

  it("ok/auto is the default and writes readable lines on a terminal", () => {
    const out = sink(true);
    createLogger({ level: "info", destination: out.stream }).warn({ profile: "default", count: 3 }, "upstream slow");
    const text = out.text();
    expect(() => JSON.parse(text)).toThrow();
    // eslint-disable-next-line no-control-regex -- strip the level colour of a terminal
    expect(text.replace(/\x1b\[[0-9;]*m/g, "")).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}upstream slow profile=default count=3\n$/);
  });

  it("ok/json and pretty are chosen whatever the destination is", () => {
    const tty = sink(true);
    createLogger({ level: "info", destination: tty.stream, format: "json" }).info({}, "x");
    expect(JSON.parse(tty.text())).toMatchObject({ msg: "x" });
    const pipe = sink(false);
    createLogger({ level: "info", destination: pipe.stream, format: "pretty" }).info({ a: "b c" }, "x");
    expect(pipe.text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}x a="b c"\n$/); // no colours off a terminal
    expect(isPretty("auto", false)).toBe(false);
    expect(isPretty(undefined, true)).toBe(true);
    expect(isPretty("json", true)).toBe(false);
  });

  it("ok/pretty censors the same fields as JSON, top level and one level down", () => {
    const json = sink(false);
    const pretty = sink(false);
    createLogger({ level: "info", destination: json.stream, format: "json" }).info(SECRETS, "with secrets");
    createLogger({ level: "info", destination: pretty.stream, format: "pretty" }).info(SECRETS, "with secrets");
    expect(json.text()).not.toMatch(/p4ss|ch4l|t0k|123-456/);
    expect(pretty.text()).not.toMatch(/p4ss|ch4l|t0k|123-456/);
    expect(pretty.text()).toContain('password=*** challenge={"value":"***"} upstream={"token":"***","url":"http://ca"} otp=***');
    // The readable line is made from the redacted JSON line: same fields, same values.
    const fromJson = formatLine(json.text());
    expect(fromJson.replace(/^\S+ /, "")).toBe(pretty.text().replace(/^\S+ /, ""));
  });

  it("ok/an error shows its message on the line and its stack below it", () => {
    const err = new Error("boom");
    const line = JSON.stringify({ level: 50, time: "2026-01-01T10:11:12.013Z", msg: "failed", err: { type: "Error", message: "boom", stack: err.stack } });
    const text = formatLine(line);
    expect(text).toMatch(/ERROR failed err=boom\n {4}Error: boom\n {4,}at /);
  });

  it("fail/a line that is not JSON is passed through as it is", () => {
    expect(formatLine("not json")).toBe("not json\n");
  });
});
