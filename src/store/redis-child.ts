/**
 * The private redis-server of the zero-config setup: a child process on a
 * unix socket under dataDir/redis, AOF on, noeviction. A second scepgate
 * process (another front, a worker, the `requests` CLI) finds the socket and
 * shares it instead of starting its own.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface PrivateRedis {
  /** The unix socket to connect to. */
  socketPath: string;
  /** Whether this process started it (and should stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

/** Thrown when no private Redis can be had; the message is one line for the operator. */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
}

const MAX_SOCKET_PATH = 100; // sockaddr_un.sun_path is 108 bytes on Linux

async function answers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  const r = new Redis({ path: socketPath, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

function redisServerInstalled(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

async function waitUntilReady(socketPath: string, exited: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers(socketPath)) return true;
    if (exited()) return answers(socketPath);
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Connects to the private Redis of `dataDir`, starting it when nobody runs it yet. */
export async function ensurePrivateRedis(dataDir: string): Promise<PrivateRedis> {
  const dir = join(dataDir, "redis");
  const socketPath = join(dir, "redis.sock");
  if (socketPath.length > MAX_SOCKET_PATH) {
    throw new RedisUnavailableError(`the private Redis socket path is too long (${socketPath.length} > ${MAX_SOCKET_PATH}): use a shorter dataDir or set redis.url`);
  }
  if (await answers(socketPath)) return { socketPath, owned: false, stop: async () => undefined };
  if (!redisServerInstalled()) {
    throw new RedisUnavailableError("redis-server is not installed: install it (apt-get install redis-server) or set redis.url (SCEPGATE_REDIS_URL) to a Redis you run");
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  rmSync(socketPath, { force: true });
  const child = spawn(
    "redis-server",
    ["--port", "0", "--unixsocket", socketPath, "--unixsocketperm", "700", "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec",
      "--save", "", "--maxmemory-policy", "noeviction", "--logfile", join(dir, "redis.log"), "--pidfile", join(dir, "redis.pid")],
    { stdio: "ignore", detached: true },
  );
  let exited = false;
  child.on("exit", () => (exited = true));
  child.unref();
  if (!(await waitUntilReady(socketPath, () => exited, 15_000))) {
    child.kill("SIGKILL");
    throw new RedisUnavailableError(`the private redis-server did not start (see ${join(dir, "redis.log")})`);
  }
  if (exited) return { socketPath, owned: false, stop: async () => undefined }; // another process won the race
  return { socketPath, owned: true, stop: () => stopChild(child.pid, dir) };
}

async function stopChild(pid: number | undefined, dir: string): Promise<void> {
  const target = pid ?? Number(readFileSync(join(dir, "redis.pid"), "utf8"));
  try {
    process.kill(target, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(target, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
