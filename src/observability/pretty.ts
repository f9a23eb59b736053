/**
 * Readable log lines for a terminal (`log.format: pretty`, or `auto` on a
 * TTY): a pino destination that turns each JSON line pino has written
 * (already redacted: this sees exactly what the JSON output would carry)
 * into `HH:MM:SS.mmm LEVEL message key=value …`, with an error's stack on
 * the lines after it.
 */

/** Where the readable lines go (stdout's SonicBoom, process.stderr, a test stream). */
export interface LineSink {
  write(text: string): unknown;
}

/** Options of {@link prettyDestination}. */
export interface PrettyOptions {
  /** ANSI colours for the level (default false). */
  colors?: boolean;
}

const LEVELS: Readonly<Record<number, { label: string; color: string }>> = {
  10: { label: "TRACE", color: "\x1b[90m" },
  20: { label: "DEBUG", color: "\x1b[36m" },
  30: { label: "INFO ", color: "\x1b[32m" },
  40: { label: "WARN ", color: "\x1b[33m" },
  50: { label: "ERROR", color: "\x1b[31m" },
  60: { label: "FATAL", color: "\x1b[35m" },
};
const RESET = "\x1b[0m";
const DIM = "\x1b[2m";

/** Fields every line has, shown in the line's head (or not at all) rather than as `key=value`. */
const HEAD_FIELDS = new Set(["time", "level", "msg", "pid", "hostname", "name", "v"]);

/** A pino destination writing readable lines to `sink`. */
export function prettyDestination(sink: LineSink, o: PrettyOptions = {}): { write(line: string): void } {
  return {
    write(line: string): void {
      sink.write(formatLine(line, o.colors ?? false));
    },
  };
}

/** One JSON log line as a readable line (ending in a newline); a line that is not JSON is passed through. */
export function formatLine(jsonLine: string, colors = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith("\n") ? jsonLine : `${jsonLine}\n`;
  }
  const level = LEVELS[Number(rec["level"])] ?? { label: String(rec["level"]).padEnd(5), color: "" };
  const head = `${timeOf(rec["time"])} ${colors ? `${level.color}${level.label}${RESET}` : level.label} ${String(rec["msg"] ?? "")}`;
  const tail: string[] = [];
  let stack = "";
  for (const [key, value] of Object.entries(rec)) {
    if (HEAD_FIELDS.has(key)) continue;
    if (key === "err" && isErrorLike(value)) {
      tail.push(`err=${quote(value.message)}`);
      if (typeof value.stack === "string") stack = `\n${value.stack.replace(/^/gm, "    ")}`;
      continue;
    }
    tail.push(`${key}=${quote(value)}`);
  }
  const fields = tail.length === 0 ? "" : colors ? ` ${DIM}${tail.join(" ")}${RESET}` : ` ${tail.join(" ")}`;
  return `${head}${fields}${stack}\n`;
}

/** `HH:MM:SS.mmm` of an ISO timestamp (local time of the machine), or the value as it is. */
function timeOf(time: unknown): string {
  const d = typeof time === "string" || typeof time === "number" ? new Date(time) : undefined;
  if (!d || Number.isNaN(d.getTime())) return String(time ?? "");
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A value as `key=` shows it: plain when it is a simple word, else JSON. */
function quote(value: unknown): string {
  if (typeof value === "string") return /^[\w./:@*+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return "undefined";
  return JSON.stringify(value);
}

function isErrorLike(v: unknown): v is { message: unknown; stack?: unknown } {
  return typeof v === "object" && v !== null && "message" in v;
}
