/**
 * Child processes for integration tests: short commands ({@link run}) and
 * long-running servers ({@link startProcess}), each in its own process group so
 * that a kill reaches its children too (dbus-run-session → dbus-daemon,
 * certmonger-session, …). Every live child is registered with the cleanup
 * registry, so nothing outlives the test worker.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, fetch } from "undici";
import { registerCleanup } from "./cleanup.js";

/** Options shared by {@link run} and {@link startProcess}. */
export interface SpawnOptions {
  cwd?: string;
  /** Full environment; default: this process's environment. */
  env?: NodeJS.ProcessEnv;
}

/** Options of {@link run}. */
export interface RunOptions extends SpawnOptions {
  /** Kill the whole process group after this long (SIGTERM, then SIGKILL 2 s later). Default 60 s. */
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed. */
  input?: string | Uint8Array;
}

/** What a finished command did. `code` is 124 on timeout and 127 if it could not start. */
export interface RunResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

const KILL_GRACE_MS = 2_000;

/**
 * Runs `cmd args` to completion and returns its output. Never rejects: a
 * command that cannot start gives code 127 with the reason in `stderr`, one
 * that runs past `timeoutMs` is killed (whole process group) and gives 124.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const unregister = registerCleanup(`run ${cmd}`, () => killGroup(child, "SIGKILL"));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: Error | undefined;
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    child.stdin?.on("error", () => undefined); // EPIPE when the child ignores stdin
    child.stdin?.end(opts.input ?? "");
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGTERM");
      setTimeout(() => killGroup(child, "SIGKILL"), KILL_GRACE_MS).unref();
    }, opts.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      spawnError = e;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      unregister();
      const stdoutBytes = Buffer.concat(out);
      let stderr = Buffer.concat(err).toString("utf8");
      if (spawnError) stderr += `${stderr ? "\n" : ""}cannot run ${cmd}: ${spawnError.message}`;
      resolve({
        code: timedOut ? 124 : spawnError ? 127 : (code ?? 128),
        signal,
        stdout: stdoutBytes.toString("utf8"),
        stdoutBytes,
        stderr,
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}

/** How a long-running process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A long-running child started by {@link startProcess}. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Everything it wrote to stdout and stderr so far, interleaved. */
  output(): string;
  isRunning(): boolean;
  /** Resolves when it has exited (for whatever reason). */
  readonly exited: Promise<ExitInfo>;
  /** Resolves with the output once `pattern` appears in it; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Sends `signal` (default SIGTERM) to its process group, then SIGKILL after
   * `graceMs` (default 5 s) if it is still there. Resolves once it has exited.
   */
  stop(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ExitInfo>;
  /** SIGKILL to the whole process group (simulates a crash). */
  kill(): Promise<ExitInfo>;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions extends SpawnOptions {
  /** Label for errors and logs; default the command's base name. */
  name?: string;
  /** Also echo the output to this process's stderr, prefixed (debugging). */
  echo?: boolean;
}

/**
 * Starts a long-running process (a server) with its output captured. It is
 * registered for cleanup: if the test never calls `stop()`, it is SIGKILLed
 * when the worker exits or {@link cleanupAll} runs.
 */
export function startProcess(cmd: string, args: readonly string[], opts: StartProcessOptions = {}): ManagedProcess {
  const name = opts.name ?? cmd.split("/").pop() ?? cmd;
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const unregister = registerCleanup(`process ${name}`, () => killGroup(child, "SIGKILL"));
  let buffer = "";
  let running = true;
  const listeners = new Set<() => void>();
  const onData = (b: Buffer): void => {
    const text = b.toString("utf8");
    buffer += text;
    if (opts.echo) process.stderr.write(text.replace(/^/gm, `[${name}] `));
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<ExitInfo>((resolve) => {
    child.on("error", (e) => {
      buffer += `\ncannot run ${cmd}: ${e.message}\n`;
    });
    child.on("close", (code, signal) => {
      running = false;
      unregister();
      for (const l of listeners) l();
      resolve({ code, signal });
    });
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(buffer)) finish(() => resolve(buffer));
        else if (!running) finish(() => reject(new Error(`${name} exited before printing ${pattern}:\n${buffer}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${buffer}`))),
        timeoutMs,
      );
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        f();
      };
      listeners.add(check);
      check();
    });

  const stop = async (o: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<ExitInfo> => {
    if (!running) return exited;
    killGroup(child, o.signal ?? "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), o.graceMs ?? 5_000);
    const info = await exited;
    clearTimeout(timer);
    return info;
  };

  return {
    name,
    pid: child.pid ?? -1,
    output: () => buffer,
    isRunning: () => running,
    exited,
    waitForOutput,
    stop,
    kill: () => stop({ signal: "SIGKILL", graceMs: 0 }),
  };
}

/** Options of {@link waitForUrl}. */
export interface WaitForUrlOptions {
  /** Give up after this long; default 30 s. */
  timeoutMs?: number;
  /** Pause between attempts; default 100 ms. */
  intervalMs?: number;
  /** Fail at once (with its output) if this process exits meanwhile. */
  process?: ManagedProcess;
  /** Which answer counts as up; default any HTTP status below 500. */
  accept?: (res: Response) => boolean;
  /** For an https URL: trust this CA (PEM text) instead of the system's. */
  ca?: string;
}

/**
 * Polls `url` with GET until it answers acceptably. Rejects with the last
 * error (and the process output, if given) on timeout or process exit.
 */
export async function waitForUrl(url: string, opts: WaitForUrlOptions = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const accept = opts.accept ?? ((res: Response) => res.status < 500);
  const dispatcher = opts.ca === undefined ? undefined : new Agent({ connect: { ca: opts.ca } });
  let last: string;
  for (;;) {
    if (opts.process && !opts.process.isRunning()) {
      throw new Error(`${opts.process.name} exited while waiting for ${url}:\n${opts.process.output()}`);
    }
    try {
      const res = (await fetch(url, { signal: AbortSignal.timeout(2_000), dispatcher })) as unknown as Response;
      await res.arrayBuffer();
      if (accept(res)) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? `${err.message}${err.cause ? ` (${String(err.cause)})` : ""}` : String(err);
    }
    if (Date.now() > deadline) {
      const tail = opts.process ? `\n--- ${opts.process.name} output:\n${opts.process.output()}` : "";
      throw new Error(`${url} did not come up: ${last}${tail}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Signals the child's whole process group (it was spawned detached, so it leads one). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}
