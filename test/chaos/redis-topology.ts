/**
 * The Redis the chaos run puts under scepgate, behind one small interface so
 * that another topology (primary + replica + sentinels) can be plugged in:
 * the runner only asks a topology for scepgate's `redis` configuration, a
 * client of its own, the names of the processes chaos may kill, and kill /
 * restart by name.
 *
 * {@link startAofRedis} is the one-server topology: a redis-server with
 * `appendonly yes` and the chosen `appendfsync`, in its own directory, on a
 * fixed port across restarts (the harness's startRedis).
 */
import { readFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Redis, type RedisOptions } from "ioredis";
import { startRedis, type RedisHandle } from "../harness/redis.js";

/** `appendfsync` policies the chaos run compares. */
export type AppendFsync = "everysec" | "always";

/** A Redis deployment under test: scepgate's view of it and the chaos run's handles on its processes. */
export interface RedisTopology {
  /** One line for the report, e.g. `redis-server 127.0.0.1:6390, appendonly yes, appendfsync everysec`. */
  readonly description: string;
  /**
   * What goes under scepgate's `redis` configuration key (merged over the
   * harness's `{url, keyPrefix}`): `{url}` here, `{sentinel: …}` for a
   * sentinel topology.
   */
  readonly scepgateConfig: Record<string, unknown>;
  /** A `redis://` URL of the current primary, for the harness's `startScepgate({redis})` and the runner's readers. */
  readonly url: string;
  /** The processes chaos may kill, by name (`redis` here; e.g. `redis-primary`, `sentinel-1` … elsewhere). */
  readonly components: readonly string[];
  /** A new ioredis client of the runner's own (it follows a failover where the topology has one). */
  client(options?: RedisOptions): Redis;
  /** SIGKILL to one of {@link components}; resolves once the process is gone. */
  kill(component: string): Promise<void>;
  /** Starts a killed component again; resolves once it answers with its data loaded. */
  restart(component: string): Promise<void>;
  /** Facts for the report: persistence settings and what is on disk. */
  facts(): Promise<Record<string, unknown>>;
  /** Stops everything and removes its directories. */
  stop(): Promise<void>;
}

/** Options of {@link startAofRedis}. */
export interface AofRedisOptions {
  appendfsync: AppendFsync;
}

/** One redis-server with the append-only file on (see the module comment). */
export async function startAofRedis(o: AofRedisOptions): Promise<RedisTopology> {
  const handle = await startRedis({ appendonly: true, appendfsync: o.appendfsync });
  if (handle.external || handle.dir === undefined) {
    await handle.stop();
    throw new Error("the chaos run kills its redis-server: unset REDIS_URL");
  }
  return new AofRedis(handle, handle.dir, o.appendfsync);
}

const COMPONENT = "redis";

class AofRedis implements RedisTopology {
  readonly components = [COMPONENT] as const;
  readonly description: string;

  constructor(
    private readonly handle: RedisHandle,
    private readonly dir: string,
    private readonly appendfsync: AppendFsync,
  ) {
    this.description = `redis-server ${handle.host}:${handle.port}, appendonly yes, appendfsync ${appendfsync}`;
  }

  get url(): string {
    return this.handle.url;
  }

  get scepgateConfig(): Record<string, unknown> {
    return { url: this.handle.url };
  }

  client(options: RedisOptions = {}): Redis {
    const r = new Redis(this.handle.url, options);
    r.on("error", () => undefined); // down during a kill: the callers see their commands fail
    return r;
  }

  async kill(component: string): Promise<void> {
    this.check(component);
    const pid = Number(readFileSync(join(this.dir, "redis.pid"), "utf8").trim());
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 500 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
  }

  async restart(component: string): Promise<void> {
    this.check(component);
    // hard: the process is already gone, so this only waits for its exit and starts a new one on the same dir and port.
    await this.handle.restart({ hard: true });
  }

  async facts(): Promise<Record<string, unknown>> {
    const aofDir = join(this.dir, "appendonlydir");
    let aofBytes = 0;
    for (const f of await readdir(aofDir).catch(() => [])) aofBytes += (await stat(join(aofDir, f))).size;
    return { appendonly: "yes", appendfsync: this.appendfsync, aofBytes };
  }

  stop(): Promise<void> {
    return this.handle.stop();
  }

  private check(component: string): void {
    if (component !== COMPONENT) throw new Error(`no Redis component ${component} (have: ${COMPONENT})`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
