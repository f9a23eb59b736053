/**
 * The servers under test, as the bench needs them:
 *
 * - {@link startGate}: `node [FLAGS] dist/src/cli/main.js serve --config FILE --processes N`,
 *   started here rather than with test/harness/scepgate.ts because the bench
 *   needs node flags on the server (`--cpu-prof`) and sends the server's log
 *   to a file: the harness captures output into a string in the calling
 *   process, which at thousands of log lines a second would spend the
 *   orchestrator's CPU on the cores being measured. Same config shape,
 *   same cleanup registry, same environment scrubbing as the harness.
 * - {@link pidListeningOn}: the pid of a server started without a handle on it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { registerCleanup } from "../harness/cleanup.js";
import { freePort } from "../harness/ports.js";
import { sleep } from "../harness/process.js";
import { uniquePrefix } from "../harness/redis.js";
import { childEnv, REPO_ROOT } from "../harness/scepgate.js";

/**
 * The compiled command the bench built at its start (run.ts: `npm run build`), run directly rather than
 * through bin/scepgate.js: that one falls back to the sources through tsx (~50 MB more per process, and
 * slower) as soon as any source file is newer than the build, e.g. when someone edits the tree mid-run.
 */
export const COMPILED_MAIN = join(REPO_ROOT, "dist", "src", "cli", "main.js");

export interface GateOptions {
  /** Working dir of this instance (config file and log go here). */
  dir: string;
  /** Shared between instances so that every instance has the same RA and CA (messages are built once). */
  dataDir: string;
  redisUrl: string;
  /** `profiles.default`. */
  profile: Record<string, unknown>;
  logLevel: string;
  /** Node flags before the script, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  label: string;
  /** `serve --processes N` (1: one process, as before the supervisor). */
  processes: number;
}

export interface Gate {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  readonly keyPrefix: string;
  readonly processes: number;
  /** SIGTERM (a clean exit, so --cpu-prof writes its profile), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** Starts scepgate and resolves once /healthz answers 200; rejects with the log's tail if it exits or does not come up. */
export async function startGate(o: GateOptions): Promise<Gate> {
  const port = await freePort();
  const keyPrefix = uniquePrefix(`bench-${o.label}`);
  const config = {
    listen: { host: "127.0.0.1", port },
    dataDir: o.dataDir,
    redis: { url: o.redisUrl, keyPrefix },
    log: { level: o.logLevel },
    profiles: { default: o.profile },
  };
  const configFile = join(o.dir, `${o.label}.yaml`);
  // JSON is YAML 1.2.
  writeFileSync(configFile, `# written by test/bench/servers.ts\n${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const logFile = join(o.dir, `${o.label}.log`);
  const fd = openSync(logFile, "a");
  const child: ChildProcess = spawn(process.execPath, [...(o.nodeFlags ?? []), COMPILED_MAIN, "serve", "--config", configFile, "--processes", String(o.processes)], {
    cwd: o.dir,
    env: childEnv(),
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const pid = child.pid ?? -1;
  const unregister = registerCleanup(`bench scepgate ${o.label}`, () => killGroup(pid, "SIGKILL"));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on("exit", () => {
    exited = true;
    resolve();
  }));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      unregister();
      throw new Error(`scepgate (${o.label}) exited at start: ${tail(logFile)}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      // With a supervisor, /healthz answers once the first child listens: wait for all of them.
      if (res.ok && (o.processes === 1 || allListening(logFile))) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      killGroup(pid, "SIGKILL");
      unregister();
      throw new Error(`scepgate (${o.label}) did not come up in 60 s: ${tail(logFile)}`);
    }
    await sleep(100);
  }

  return {
    url: `http://127.0.0.1:${port}/scep`,
    port,
    pid,
    logFile,
    keyPrefix,
    processes: o.processes,
    stop: async () => {
      if (!exited) {
        killGroup(pid, "SIGTERM");
        const timer = setTimeout(() => killGroup(pid, "SIGKILL"), 15_000);
        await exit;
        clearTimeout(timer);
      }
      killGroup(pid, "SIGKILL"); // whatever it left in its group (tsx's esbuild service)
      unregister();
    },
  };
}

/** The supervisor's line saying every child listens (cluster-supervisor.ts). */
function allListening(logFile: string): boolean {
  try {
    return readFileSync(logFile, "utf8").includes('"msg":"scepgate serve processes listening"');
  } catch {
    return false;
  }
}

/** The last lines of a log file, on one line. */
export function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join(" | ");
  } catch {
    return "(no log)";
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/** The pid of the process listening on TCP `port` (for servers started without a pid handle, e.g. micromdm). */
export function pidListeningOn(port: number, nameHint: string): number | undefined {
  const inodes = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const localPort = parseInt(cols[1]!.split(":")[1] ?? "", 16);
      if (localPort === port && cols[3] === "0A") inodes.add(cols[9]!);
    }
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      if (!comm.includes(nameHint)) continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        try {
          const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
          const m = /^socket:\[(\d+)\]$/.exec(link);
          if (m && inodes.has(m[1]!)) return Number(entry);
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // not ours / gone
    }
  }
  return undefined;
}

export { REPO_ROOT };
