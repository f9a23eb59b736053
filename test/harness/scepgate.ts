/**
 * scepgate itself as a real process for integration tests:
 * `node bin/scepgate.js serve --config FILE`, with the config written to a
 * temp dir, a free port, its own data dir and (unless `privateRedis`) a
 * shared test Redis under a key prefix of its own.
 *
 * NOTE: the private redis-server of the zero-config setup is spawned detached
 * by scepgate (its own process group), so killing scepgate's group does not
 * reach it. The harness reads its pid from `DATA/redis/redis.pid` and
 * registers a cleanup for it, so a test that crashes scepgate (or fails
 * before `stop()`) leaves no redis-server behind.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { registerCleanup } from "./cleanup.js";
import { freePort } from "./ports.js";
import { run, sleep, startProcess, waitForUrl, type ExitInfo, type ManagedProcess, type RunResult } from "./process.js";
import { startRedis, uniquePrefix, type RedisHandle } from "./redis.js";
import { makeTempDir, removeTempDir } from "./tmp.js";

/** The repository root (this file is test/harness/scepgate.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The `scepgate` command's entry point (runs the TypeScript sources through tsx). */
export const SCEPGATE_BIN = join(REPO_ROOT, "bin", "scepgate.js");

/** Options of {@link startScepgate}. */
export interface ScepgateOptions {
  /**
   * Deep-merged over the base config: `listen {host: 127.0.0.1, port: free}`,
   * `dataDir: DIR/data`, `redis {url: startRedis(), keyPrefix: unique}`.
   * Ignored with `noConfig`.
   */
  config?: Record<string, unknown>;
  /** Extra environment (on top of this process's, minus its SCEPGATE_* variables). */
  env?: Record<string, string>;
  /** No `redis.url`: scepgate starts its private redis-server under `dataDir/redis`. */
  privateRedis?: boolean;
  /**
   * Write no config file and pass no `--config`: the zero-config setup in
   * `dir` (data in `dir/data`, private Redis). The port comes from
   * `env.SCEPGATE_LISTEN_PORT`, else the harness sets it to a free one.
   */
  noConfig?: boolean;
  /** Extra arguments after `serve`. */
  args?: string[];
  /** Working directory (the config file and data go here); default a fresh temp dir, removed by `stop()`. */
  dir?: string;
  /** A Redis to share instead of starting one (its URL goes into `redis.url`). */
  redis?: RedisHandle;
  /** Echo scepgate's output to stderr (debugging). */
  echo?: boolean;
  /** The CA (PEM text) of `listen.tls`'s certificate: the harness then talks HTTPS to it, trusting that CA. */
  tlsCa?: string;
}

/** How {@link Scepgate.stop} went. */
export interface StopInfo extends ExitInfo {
  /** The pid of the private redis-server that was still running after scepgate had exited (then killed by the harness). */
  privateRedisLeft: number | undefined;
}

/** A running scepgate. */
export interface Scepgate {
  /** `http://127.0.0.1:PORT/scep` (https with `tlsCa`) */
  readonly url: string;
  /** `http://127.0.0.1:PORT` (https with `tlsCa`) */
  readonly baseUrl: string;
  readonly port: number;
  /** The working directory of the process. */
  readonly dir: string;
  readonly dataDir: string;
  /** The config file written, or undefined with `noConfig`. */
  readonly configFile: string | undefined;
  /** `redis.url` given to scepgate (undefined with a private Redis). */
  readonly redisUrl: string | undefined;
  /** `redis.keyPrefix` given to scepgate (`scepgate:` with `noConfig`). */
  readonly keyPrefix: string;
  /** The current process's pid. */
  pid(): number;
  /** Everything the current process wrote (stdout + stderr). */
  output(): string;
  /** Everything every process of this instance wrote, restarts included. */
  allOutput(): string;
  /** How the last process ended (undefined while it runs). */
  lastExit(): ExitInfo | undefined;
  /**
   * SIGTERM, wait for the exit; then kill a private redis-server scepgate
   * left behind (reported in `privateRedisLeft`), remove the dir if the
   * harness made it and stop the Redis the harness started for it.
   */
  stop(): Promise<StopInfo>;
  /** SIGKILL to scepgate's process group (a crash); the dir and data stay for `restart()`. */
  kill(): Promise<ExitInfo>;
  /** Stops it (SIGTERM) if running and starts it again with the same config, port and data. */
  restart(): Promise<void>;
}

const BOOT_TIMEOUT_MS = 30_000;

/** Where an instance lives and what it is told; fixed for its lifetime. */
interface Layout {
  dir: string;
  ownsDir: boolean;
  dataDir: string;
  configFile: string | undefined;
  keyPrefix: string;
  /** A port the caller chose (no retry on "address in use"). */
  fixedPort: number | undefined;
}

function layoutOf(opts: ScepgateOptions): Layout {
  const dir = opts.dir ?? makeTempDir("gate-");
  const configured = opts.noConfig ? undefined : opts.config?.["dataDir"];
  return {
    dir,
    ownsDir: opts.dir === undefined,
    dataDir: typeof configured === "string" ? resolve(dir, configured) : join(dir, "data"),
    configFile: opts.noConfig ? undefined : join(dir, "scepgate.yaml"),
    keyPrefix: opts.noConfig ? "scepgate:" : uniquePrefix("sg"),
    fixedPort: opts.noConfig ? numberOr(opts.env?.["SCEPGATE_LISTEN_PORT"]) : numberOr(portOf(opts.config)),
  };
}

/**
 * Starts `node bin/scepgate.js serve --config FILE` and resolves once
 * `/healthz` answers 200. Registered for cleanup like every harness process.
 */
export async function startScepgate(opts: ScepgateOptions = {}): Promise<Scepgate> {
  const layout = layoutOf(opts);
  const ownRedis = !opts.privateRedis && !opts.noConfig && opts.redis === undefined ? await startRedis() : undefined;
  const gate = new ScepgateProcess(opts, layout, opts.redis ?? ownRedis, ownRedis);
  try {
    await gate.boot();
  } catch (err) {
    await gate.release();
    throw err;
  }
  return gate.handle();
}

/** One scepgate instance across restarts. */
class ScepgateProcess {
  private proc: ManagedProcess | undefined;
  private exit: ExitInfo | undefined;
  private readonly outputs: string[] = [];
  private readonly unregisterRedisCleanup: () => void;
  port = 0;

  constructor(
    private readonly opts: ScepgateOptions,
    private readonly layout: Layout,
    private readonly redis: RedisHandle | undefined,
    private readonly ownRedis: RedisHandle | undefined,
  ) {
    const { dataDir } = layout;
    this.unregisterRedisCleanup = registerCleanup(`private redis of ${dataDir}`, () => killPrivateRedis(dataDir));
  }

  /** The first start: a free port, retried when another process took it meanwhile. */
  async boot(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      this.port = this.layout.fixedPort ?? (await freePort());
      try {
        return await this.launch();
      } catch (err) {
        const inUse = /EADDRINUSE/.test(this.proc?.output() ?? "");
        await this.proc?.kill();
        if (!inUse || this.layout.fixedPort !== undefined || attempt >= 2) throw err;
      }
    }
  }

  async launch(): Promise<void> {
    const { dir, configFile, dataDir, keyPrefix } = this.layout;
    if (configFile) await writeConfig(configFile, baseConfig(this.port, dataDir, this.redis?.url, keyPrefix, this.opts));
    const env = childEnv(this.opts.env);
    if (this.opts.noConfig) env["SCEPGATE_LISTEN_PORT"] = String(this.port);
    // One process unless the test asks for the cluster (`args: ["--processes", "N"]`): fast starts, and pid() is the server.
    const processes = this.opts.args?.includes("--processes") ? [] : ["--processes", "1"];
    const args = [SCEPGATE_BIN, "serve", ...(configFile ? ["--config", configFile] : []), ...processes, ...(this.opts.args ?? [])];
    const p = startProcess(process.execPath, args, { cwd: dir, env, name: `scepgate:${this.port}`, echo: this.opts.echo ?? false });
    this.proc = p;
    this.exit = undefined;
    void p.exited.then((info) => {
      this.exit = info;
      this.outputs.push(p.output());
    });
    await waitForUrl(`${this.scheme()}://127.0.0.1:${this.port}/healthz`, { process: p, timeoutMs: BOOT_TIMEOUT_MS, accept: (r) => r.ok, ca: this.opts.tlsCa });
  }

  private scheme(): "http" | "https" {
    return this.opts.tlsCa === undefined ? "http" : "https";
  }

  private current(): ManagedProcess {
    if (!this.proc) throw new Error("scepgate was never started");
    return this.proc;
  }

  async terminate(): Promise<ExitInfo> {
    const info = await this.current().stop({ graceMs: 10_000 });
    await sleep(0); // let the `exited` handler record the output
    return info;
  }

  /** Kills what is left (a private redis-server scepgate did not stop), stops our Redis, removes our dir. */
  async release(): Promise<number | undefined> {
    const left = privateRedisPid(this.layout.dataDir);
    killPrivateRedis(this.layout.dataDir);
    this.unregisterRedisCleanup();
    await this.ownRedis?.stop();
    if (this.layout.ownsDir) await removeTempDir(this.layout.dir);
    return left;
  }

  handle(): Scepgate {
    const { dir, dataDir, configFile, keyPrefix } = this.layout;
    const base = `${this.scheme()}://127.0.0.1:${this.port}`;
    return {
      url: `${base}/scep`,
      baseUrl: base,
      port: this.port,
      dir,
      dataDir,
      configFile,
      redisUrl: this.opts.privateRedis || this.opts.noConfig ? undefined : this.redis?.url,
      keyPrefix,
      pid: () => this.current().pid,
      output: () => this.current().output(),
      allOutput: () => [...this.outputs, ...(this.current().isRunning() ? [this.current().output()] : [])].join("\n"),
      lastExit: () => this.exit,
      stop: async () => {
        const info = await this.terminate();
        return { ...info, privateRedisLeft: await this.release() };
      },
      kill: () => this.current().kill(),
      restart: async () => {
        if (this.current().isRunning()) await this.terminate();
        await this.launch();
      },
    };
  }
}

/** Runs `node bin/scepgate.js ARGS` to completion (e.g. a start that must fail). Never rejects. */
export function runScepgate(args: readonly string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult> {
  return run(process.execPath, [SCEPGATE_BIN, ...args], { cwd: opts.cwd, env: childEnv(opts.env), timeoutMs: opts.timeoutMs ?? 30_000 });
}

/**
 * This process's environment without its SCEPGATE_* variables (they would
 * override the test's config), plus `extra`.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SCEPGATE_")) env[k] = v;
  return { ...env, ...extra };
}

/**
 * The pid of the private redis-server of `dataDir` if it is running, from
 * its pid file, checked against /proc (a recycled pid is not taken for it).
 */
export function privateRedisPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, "redis", "redis.pid"), "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (/^\d+ \(.*\) Z/.test(stat)) return undefined;
    return cmdline.includes("redis-server") ? pid : undefined;
  } catch {
    return undefined;
  }
}

function killPrivateRedis(dataDir: string): void {
  const pid = privateRedisPid(dataDir);
  if (pid === undefined) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone meanwhile
  }
}

function baseConfig(port: number, dataDir: string, redisUrl: string | undefined, keyPrefix: string, opts: ScepgateOptions): Record<string, unknown> {
  const redis: Record<string, unknown> = { keyPrefix };
  if (!opts.privateRedis && redisUrl !== undefined) redis["url"] = redisUrl;
  const base = { listen: { host: "127.0.0.1", port }, dataDir, redis, log: { level: "info" } };
  return deepMerge(base, opts.config ?? {});
}

/** JSON is YAML 1.2: the file stays readable and needs no YAML writer. */
async function writeConfig(file: string, config: Record<string, unknown>): Promise<void> {
  await writeFile(file, `# written by test/harness/scepgate.ts\n${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function portOf(config: Record<string, unknown> | undefined): unknown {
  const listen = config?.["listen"];
  return isPlainObject(listen) ? listen["port"] : undefined;
}

function numberOr(v: unknown): number | undefined {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : undefined;
}
