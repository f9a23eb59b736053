/**
 * A private redis-server for integration tests (or the one named by the
 * REDIS_URL environment variable). Tests isolate their data by key prefix
 * ({@link uniquePrefix}), never by FLUSHALL, so they can share one server.
 */
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { sleep, startProcess, type ManagedProcess } from "./process.js";
import { makeTempDir, removeTempDir } from "./tmp.js";

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** Turn on the append-only file (what production runs with); default false. */
  appendonly?: boolean;
  /** `appendfsync` policy when AOF is on; default `everysec` (use `always` for crash tests). */
  appendfsync?: "always" | "everysec" | "no";
  /** Echo the server's log to stderr. */
  echo?: boolean;
}

/** A running Redis. */
export interface RedisHandle {
  /** `redis://127.0.0.1:PORT/0` (or REDIS_URL). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Working directory (AOF lives here); undefined for an external REDIS_URL. */
  readonly dir: string | undefined;
  /** True when REDIS_URL was used: stop/restart/kill are then not ours to do. */
  readonly external: boolean;
  /** The server's log so far ("" when external). */
  log(): string;
  /** SIGTERM (Redis writes its AOF and exits), then removes the temp dir. No-op when external. */
  stop(): Promise<void>;
  /**
   * Stops the server and starts it again on the same port and directory, so
   * with AOF on the data survives. `hard: true` SIGKILLs it first (a crash).
   * Throws when external.
   */
  restart(opts?: { hard?: boolean }): Promise<void>;
}

/**
 * Starts `redis-server` on a free port on 127.0.0.1 with a temp dir,
 * `--save ""` (no RDB snapshots), `--maxmemory-policy noeviction` (BullMQ
 * needs it) and AOF off unless asked; resolves once it answers PING. If env
 * REDIS_URL is set, that server is used instead and `stop()` is a no-op.
 */
export async function startRedis(opts: RedisOptions = {}): Promise<RedisHandle> {
  const external = process.env["REDIS_URL"];
  if (external) return externalRedis(external);

  const dir = makeTempDir("redis-");
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      let proc = await spawnRedis(port, dir, opts);
      const handle: RedisHandle = {
        url: `redis://127.0.0.1:${port}/0`,
        host: "127.0.0.1",
        port,
        dir,
        external: false,
        log: () => proc.output(),
        stop: async () => {
          await proc.stop({ graceMs: 10_000 });
          await removeTempDir(dir);
        },
        restart: async (o = {}) => {
          if (o.hard) await proc.kill();
          else await proc.stop({ graceMs: 10_000 });
          proc = await spawnRedis(port, dir, opts);
        },
      };
      return handle;
    } catch (err) {
      lastError = err; // most likely the port was taken meanwhile
    }
  }
  await removeTempDir(dir);
  throw new Error(`startRedis: redis-server did not start: ${String(lastError)}`);
}

/**
 * A key prefix unique to this call, e.g. `t:4711:9f3a1c2b:` — use it (or
 * pass it to the code under test) so parallel test files never see each
 * other's keys.
 */
export function uniquePrefix(label = "t"): string {
  return `${label}:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/**
 * Sends PING over a raw socket; resolves true on `+PONG` (with `anyReply`,
 * on any RESP status or error, e.g. `-NOAUTH` from a server with a password).
 */
export function pingRedis(host: string, port: number, timeoutMs = 1_000, o: { anyReply?: boolean } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = "";
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("*1\r\n$4\r\nPING\r\n"));
    socket.on("data", (b: Buffer) => {
      reply += b.toString("latin1");
      if (reply.includes("\r\n")) done(o.anyReply ? /^[+-]/.test(reply) : reply.startsWith("+PONG"));
    });
  });
}

async function spawnRedis(port: number, dir: string, opts: RedisOptions): Promise<ManagedProcess> {
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--dir", dir,
    "--save", "",
    "--appendonly", opts.appendonly ? "yes" : "no",
    "--appendfsync", opts.appendfsync ?? "everysec",
    "--maxmemory-policy", "noeviction",
    "--daemonize", "no",
    "--logfile", "",
    "--pidfile", join(dir, "redis.pid"),
  ];
  const proc = startProcess("redis-server", args, { cwd: dir, name: `redis:${port}`, echo: opts.echo ?? false });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (!proc.isRunning()) throw new Error(`redis-server exited:\n${proc.output()}`);
    if (await pingRedis("127.0.0.1", port)) return proc;
    await sleep(50);
  }
  await proc.kill();
  throw new Error(`redis-server on port ${port} did not answer PING:\n${proc.output()}`);
}

function externalRedis(url: string): RedisHandle {
  const u = new URL(url);
  return {
    url,
    host: u.hostname,
    port: Number(u.port || 6379),
    dir: undefined,
    external: true,
    log: () => "",
    stop: async () => undefined,
    restart: async () => {
      throw new Error("startRedis: cannot restart an external REDIS_URL server");
    },
  };
}
