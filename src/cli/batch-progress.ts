/**
 * What `scepgate batch` shows while it works: on a terminal, a progress bar
 * on stderr (done / total, devices per second, ETA) with failures printed
 * above it; when stdout is not a terminal (or with --json), one JSON line
 * per device on stdout for scripts; a summary at the end.
 */
import type { BatchReporter, BatchSummary } from "../app/batch-run.js";
import type { DeviceResult } from "../app/batch-session.js";
import type { CliDeps } from "./io.js";
import { terminalSafe } from "./format.js";

export interface ProgressOptions {
  /** One JSON line per device (and a summary line) on stdout. */
  json: boolean;
  /** A progress bar on stderr (stderr is a terminal). */
  bar: boolean;
  /** Terminal width for the bar. */
  columns: number;
  now?: () => number;
}

/** A BatchReporter that also prints the summary at the end. */
export interface BatchProgress extends BatchReporter {
  finish(summary: BatchSummary): void;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(h ? 2 : 1, "0")}:${String(s % 60).padStart(2, "0")}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** One line of a device's outcome, for people. */
export function deviceLine(r: DeviceResult): string {
  const e = r.entry;
  const what = r.skipped ? `${e.status} (earlier run)` : e.status;
  const detail = e.status === "issued" ? `serial ${e.serial ?? "?"}` : e.error ? terminalSafe(e.error) : "";
  return `${e.name}: ${what}${detail ? `: ${detail}` : ""}`;
}

/** The summary for people. */
export function summaryLine(s: BatchSummary, dir: string): string {
  const parts = [`${s.issued} issued`];
  if (s.skipped) parts.push(`${s.skipped} done earlier`);
  if (s.requested) parts.push(`${s.requested} requested`);
  parts.push(`${s.failed} failed`);
  if (s.pending) parts.push(`${s.pending} pending`);
  if (s.notStarted) parts.push(`${s.notStarted} not started`);
  return `${s.total} device${s.total === 1 ? "" : "s"}: ${parts.join(", ")} in ${(s.elapsedMs / 1000).toFixed(1)} s (${s.devicesPerSecond.toFixed(1)} devices/s); output in ${dir}\n`;
}

export function batchProgress(deps: Pick<CliDeps, "out" | "err">, o: ProgressOptions): BatchProgress {
  const now = o.now ?? Date.now;
  let total = 0;
  let done = 0;
  let worked = 0;
  let failed = 0;
  let started = now();
  let dir = "";
  let drawnAt = 0;
  let drawn = false;

  const barText = (): string => {
    const elapsed = now() - started;
    const rate = elapsed > 0 ? (worked * 1000) / elapsed : 0;
    const eta = rate > 0 ? clock(((total - done) / rate) * 1000) : "--:--";
    const tail = ` ${done}/${total}  ${rate.toFixed(1)}/s  ETA ${eta}${failed ? `  ${failed} failed` : ""}`;
    const width = Math.max(10, Math.min(40, o.columns - tail.length - 3));
    const filled = total ? Math.round((done / total) * width) : 0;
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}]${tail}`;
  };
  const draw = (force = false): void => {
    if (!o.bar || (!force && now() - drawnAt < 100)) return;
    drawnAt = now();
    drawn = true;
    deps.err(`\r\x1b[2K${barText()}`);
  };
  const clear = (): void => {
    if (drawn) deps.err("\r\x1b[2K");
    drawn = false;
  };

  return {
    start(info) {
      total = info.total;
      dir = info.dir;
      started = now();
      draw(true);
    },
    device(r) {
      done++;
      if (!r.skipped) worked++;
      if (r.entry.status === "failed") failed++;
      if (o.json) deps.out(`${JSON.stringify({ type: "device", ...r.entry, skipped: r.skipped })}\n`);
      const noteworthy = r.entry.status === "failed" || (r.entry.status === "pending" && !r.skipped);
      if (o.bar && noteworthy) {
        clear();
        deps.err(`${deviceLine(r)}\n`);
      } else if (!o.bar && !o.json) deps.err(`${deviceLine(r)}\n`);
      draw(done === total);
    },
    finish(s) {
      clear();
      if (o.json) deps.out(`${JSON.stringify({ type: "summary", ...s, dir })}\n`);
      deps.err(summaryLine(s, dir));
    },
  };
}
