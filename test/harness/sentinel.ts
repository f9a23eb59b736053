/**
 * A Redis Sentinel topology for integration and chaos tests, all on
 * 127.0.0.1 on free ports: two redis-servers (`redis-a` starts as the
 * primary, `redis-b` as its replica; both AOF on, `noeviction`) and three
 * Sentinels (`redis-server sentinel.conf --sentinel`, quorum 2) with short
 * timings (`down-after-milliseconds` 1000, `failover-timeout` 3000), each
 * in a temp dir of its own, every process registered for cleanup.
 *
 * Its shape fits test/chaos/redis-topology.ts's RedisTopology: components
 * `redis-primary` and `redis-replica` name whichever server has that role
 * at the moment of the kill; `restart` brings back the server killed under
 * that name (Sentinel then makes it a replica of the new primary).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Redis, type RedisOptions } from "ioredis";
import { freePort } from "./ports.js";
import { pingRedis } from "./redis.js";
import { sleep, startProcess, type ManagedProcess } from "./process.js";
import { makeTempDir, removeTempDir } from "./tmp.js";

/** Options of {@link startSentinelTopology}. */
export interface SentinelTopologyOptions {
  /** The master group name; default `scepgate`. */
  name?: string;
  /** Sentinels' `down-after-milliseconds`; default 1000. */
  downAfterMs?: number;
  /** Sentinels' `failover-timeout`; default 3000. */
  failoverTimeoutMs?: number;
  /** `appendfsync` of both servers; default `everysec`. */
  appendfsync?: "everysec" | "always";
  /** `requirepass` (and `masterauth`) of both servers; default none. */
  password?: string;
  /** `requirepass` of the Sentinels (and `sentinel-pass` between them); default none. */
  sentinelPassword?: string;
  /** Echo every process's log to stderr (debugging). */
  echo?: boolean;
}

/** A server's or Sentinel's address. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** One redis-server or Sentinel of the topology, on a fixed port and dir across restarts. */
interface Node {
  readonly name: string;
  readonly port: number;
  readonly dir: string;
  readonly conf: string;
  readonly sentinel: boolean;
  proc: ManagedProcess | undefined;
}

const HOST = "127.0.0.1";
const DATA_NODES = ["redis-a", "redis-b"] as const;
const SENTINELS = ["sentinel-1", "sentinel-2", "sentinel-3"] as const;
const ROLES = ["redis-primary", "redis-replica"] as const;

/** Starts the topology; resolves once the replica is in sync and every Sentinel sees both servers and the other Sentinels. */
export async function startSentinelTopology(o: SentinelTopologyOptions = {}): Promise<SentinelTopology> {
  const t = new SentinelTopology(o);
  try {
    await t.boot();
  } catch (err) {
    await t.stop();
    throw err;
  }
  return t;
}

/** The running topology (see the module comment). */
export class SentinelTopology {
  readonly name: string;
  readonly components: readonly string[] = [...ROLES, ...SENTINELS];
  private readonly nodes = new Map<string, Node>();
  private readonly killedAs = new Map<string, string>();
  private primaryNode: string = DATA_NODES[0];

  constructor(private readonly o: SentinelTopologyOptions) {
    this.name = o.name ?? "scepgate";
  }

  /** The Sentinels' addresses. */
  get sentinels(): Address[] {
    return SENTINELS.map((s) => ({ host: HOST, port: this.node(s).port }));
  }

  /** What goes under scepgate's `redis` key (merged over `{keyPrefix}`). */
  get scepgateConfig(): Record<string, unknown> {
    const auth = {
      ...(this.o.password === undefined ? {} : { password: this.o.password }),
      ...(this.o.sentinelPassword === undefined ? {} : { sentinelPassword: this.o.sentinelPassword }),
    };
    return { sentinel: { name: this.name, sentinels: this.sentinels.map((a) => `${a.host}:${a.port}`), ...auth } };
  }

  /** One line for reports. */
  get description(): string {
    const ports = (names: readonly string[]) => names.map((n) => this.node(n).port).join(",");
    return `redis-server primary+replica on ${HOST}:${ports(DATA_NODES)} (appendonly yes, appendfsync ${this.o.appendfsync ?? "everysec"}), 3 sentinels on ${ports(SENTINELS)}, quorum 2, down-after ${this.downAfterMs} ms`;
  }

  /** `redis://` URL of the primary as last seen (by a kill, {@link primary} or {@link waitForFailover}). */
  get url(): string {
    const auth = this.o.password === undefined ? "" : `:${encodeURIComponent(this.o.password)}@`;
    return `redis://${auth}${HOST}:${this.node(this.primaryNode).port}/0`;
  }

  /** The name (`redis-a`/`redis-b`) of the primary as last seen. */
  get primaryName(): string {
    return this.primaryNode;
  }

  /** A new ioredis client that finds the primary through the Sentinels (and follows a failover). */
  client(options: RedisOptions = {}): Redis {
    const r = new Redis({
      sentinels: this.sentinels.map((a) => ({ ...a })),
      name: this.name,
      password: this.o.password,
      sentinelPassword: this.o.sentinelPassword,
      ...options,
    });
    r.on("error", () => undefined);
    return r;
  }

  /** A client of one server (`redis-a`/`redis-b`) directly, e.g. to read what a replica holds. */
  nodeClient(name: string, options: RedisOptions = {}): Redis {
    const r = new Redis({ host: HOST, port: this.node(name).port, password: this.o.password, ...options });
    r.on("error", () => undefined);
    return r;
  }

  /** The server the Sentinels name as primary now (asks each live Sentinel until one answers). */
  async primary(): Promise<string> {
    for (const s of SENTINELS) {
      const port = await this.askSentinel(s);
      const name = DATA_NODES.find((n) => this.node(n).port === port);
      if (name) return (this.primaryNode = name);
    }
    throw new Error("no sentinel names a primary");
  }

  /** The server that is not the primary (`redis-a`/`redis-b`). */
  replica(): Promise<string> {
    return this.resolve("redis-replica");
  }

  /** SIGKILL to a component (`redis-primary`, `redis-replica`, `sentinel-N`, or `redis-a`/`redis-b`); resolves once it is gone. */
  async kill(component: string): Promise<void> {
    const name = await this.resolve(component);
    const node = this.node(name);
    if (!node.proc?.isRunning()) throw new Error(`${component} (${name}) is not running`);
    await node.proc.kill();
    this.killedAs.set(component, name);
  }

  /** kill("redis-primary"), returning which server that was and when. */
  async killPrimary(): Promise<{ killed: string; at: number }> {
    await this.kill("redis-primary");
    return { killed: this.killedAs.get("redis-primary")!, at: Date.now() };
  }

  /** Resolves once the Sentinels name a primary other than `from`; returns it and how long that took from `since`. */
  async waitForFailover(from: string, since = Date.now(), timeoutMs = 30_000): Promise<{ primary: string; ms: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await this.primary().catch(() => undefined);
      if (now !== undefined && now !== from && (await this.isMaster(now))) return { primary: now, ms: Date.now() - since };
      if (Date.now() > deadline) throw new Error(`no failover away from ${from} within ${timeoutMs} ms\n${this.logs()}`);
      await sleep(100);
    }
  }

  /** SIGSTOP to a component (a hung server: connections stay open, nothing is answered); {@link resume} undoes it. */
  async pause(component: string): Promise<string> {
    const name = await this.resolve(component);
    process.kill(this.runningProc(name).pid, "SIGSTOP");
    return name;
  }

  /** SIGCONT to a component paused by {@link pause} (by the name it returned, or `redis-a`/`redis-b`/`sentinel-N`). */
  resume(name: string): void {
    process.kill(this.runningProc(name).pid, "SIGCONT");
  }

  /** Starts a component killed earlier (by the same name) again; a server resolves once it is a replica in sync or the primary. */
  async restart(component: string): Promise<void> {
    const name = this.killedAs.get(component) ?? component;
    const node = this.node(name);
    if (node.proc?.isRunning()) throw new Error(`${component} (${name}) is running`);
    await this.launch(node);
    this.killedAs.delete(component);
    if (!node.sentinel) await this.waitUntilServing(name);
  }

  /** Facts for reports: each server's role and replication offset. */
  async facts(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { description: this.description };
    for (const n of DATA_NODES) {
      const info = await this.info(n).catch(() => "");
      out[n] = { running: this.node(n).proc?.isRunning() ?? false, role: field(info, "role"), offset: field(info, "master_repl_offset") };
    }
    return out;
  }

  /** Every process's log, for failure messages. */
  logs(): string {
    return [...this.nodes.values()].map((n) => `--- ${n.name}\n${(n.proc?.output() ?? "").split("\n").slice(-15).join("\n")}`).join("\n");
  }

  /** Stops every process and removes the dirs. */
  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.proc?.stop({ graceMs: 5_000 })));
    await Promise.all([...this.nodes.values()].map((n) => removeTempDir(n.dir)));
  }

  // ------------------------------------------------------------ boot

  async boot(): Promise<void> {
    const [a, b] = DATA_NODES;
    const primary = await this.addNode(a, false);
    await this.addNode(b, false);
    await writeFile(primary.conf, this.serverConf(primary));
    await writeFile(this.node(b).conf, this.serverConf(this.node(b), primary.port));
    await this.launch(primary);
    await this.launch(this.node(b));
    await this.waitUntilServing(b);
    for (const s of SENTINELS) {
      const node = await this.addNode(s, true);
      await writeFile(node.conf, this.sentinelConf(node, primary.port));
    }
    for (const s of SENTINELS) await this.launch(this.node(s));
    await this.waitForSentinelsToKnowEachOther();
  }

  private get downAfterMs(): number {
    return this.o.downAfterMs ?? 1_000;
  }

  private async addNode(name: string, sentinel: boolean): Promise<Node> {
    const dir = makeTempDir(`${name}-`);
    const node: Node = { name, port: await freePort(), dir, conf: join(dir, sentinel ? "sentinel.conf" : "redis.conf"), sentinel, proc: undefined };
    this.nodes.set(name, node);
    return node;
  }

  private serverConf(node: Node, primaryPort?: number): string {
    return [
      `port ${node.port}`,
      `bind ${HOST}`,
      `dir ${node.dir}`,
      'save ""',
      "appendonly yes",
      `appendfsync ${this.o.appendfsync ?? "everysec"}`,
      "maxmemory-policy noeviction",
      "daemonize no",
      'logfile ""',
      `pidfile ${join(node.dir, "redis.pid")}`,
      ...(primaryPort === undefined ? [] : [`replicaof ${HOST} ${primaryPort}`]),
      ...(this.o.password === undefined ? [] : [`requirepass ${this.o.password}`, `masterauth ${this.o.password}`]),
      "",
    ].join("\n");
  }

  private sentinelConf(node: Node, primaryPort: number): string {
    return [
      `port ${node.port}`,
      `bind ${HOST}`,
      `dir ${node.dir}`,
      "daemonize no",
      'logfile ""',
      `sentinel monitor ${this.name} ${HOST} ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${this.name} ${this.downAfterMs}`,
      `sentinel failover-timeout ${this.name} ${this.o.failoverTimeoutMs ?? 3_000}`,
      `sentinel parallel-syncs ${this.name} 1`,
      ...(this.o.password === undefined ? [] : [`sentinel auth-pass ${this.name} ${this.o.password}`]),
      ...(this.o.sentinelPassword === undefined ? [] : [`requirepass ${this.o.sentinelPassword}`, `sentinel sentinel-pass ${this.o.sentinelPassword}`]),
      "",
    ].join("\n");
  }

  private async launch(node: Node): Promise<void> {
    const args = node.sentinel ? [node.conf, "--sentinel"] : [node.conf];
    node.proc = startProcess("redis-server", args, { cwd: node.dir, name: node.name, echo: this.o.echo ?? false });
    const deadline = Date.now() + 15_000;
    while (!(await answers(node.port))) {
      if (!node.proc.isRunning()) throw new Error(`${node.name} exited:\n${node.proc.output()}`);
      if (Date.now() > deadline) throw new Error(`${node.name} did not answer PING:\n${node.proc.output()}`);
      await sleep(50);
    }
  }

  private async waitForSentinelsToKnowEachOther(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await Promise.all(SENTINELS.map(async (s) => {
        const r = new Redis({ host: HOST, port: this.node(s).port, password: this.o.sentinelPassword, lazyConnect: true, maxRetriesPerRequest: 1 });
        r.on("error", () => undefined);
        try {
          const master = flat((await r.call("SENTINEL", "master", this.name)) as unknown[]);
          return Number(master["num-other-sentinels"]) >= 2 && Number(master["num-slaves"]) >= 1;
        } catch {
          return false;
        } finally {
          r.disconnect();
        }
      }));
      if (ready.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`sentinels did not discover each other within 30 s\n${this.logs()}`);
      await sleep(200);
    }
  }

  // ------------------------------------------------------------ roles

  private node(name: string): Node {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no component ${name} (have ${[...this.nodes.keys()].join(", ")})`);
    return n;
  }

  private runningProc(name: string): ManagedProcess {
    const proc = this.node(name).proc;
    if (!proc?.isRunning()) throw new Error(`${name} is not running`);
    return proc;
  }

  private async resolve(component: string): Promise<string> {
    if (component === "redis-primary") return this.primary();
    if (component === "redis-replica") {
      const primary = await this.primary();
      return DATA_NODES.find((n) => n !== primary)!;
    }
    return this.node(component).name;
  }

  /** The primary's port by `SENTINEL get-master-addr-by-name`, or undefined when that Sentinel does not answer. */
  private async askSentinel(sentinel: string): Promise<number | undefined> {
    const r = new Redis({
      host: HOST, port: this.node(sentinel).port, password: this.o.sentinelPassword, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000,
    });
    r.on("error", () => undefined);
    try {
      const reply = (await r.call("SENTINEL", "get-master-addr-by-name", this.name)) as [string, string] | null;
      return reply ? Number(reply[1]) : undefined;
    } catch {
      return undefined;
    } finally {
      r.disconnect();
    }
  }

  private async info(name: string): Promise<string> {
    const r = this.nodeClient(name, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
    try {
      return await r.info("replication");
    } finally {
      r.disconnect();
    }
  }

  private async isMaster(name: string): Promise<boolean> {
    return field(await this.info(name).catch(() => ""), "role") === "master";
  }

  /** Until the server is the Sentinels' primary, or a replica whose link to the primary is up and synced. */
  private async waitUntilServing(name: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.info(name).catch(() => "");
      const role = field(info, "role");
      if (role === "slave" && field(info, "master_link_status") === "up" && field(info, "master_sync_in_progress") === "0") return;
      if (role === "master" && this.sentinelsUp() && (await this.primary().catch(() => undefined)) === name) return;
      if (Date.now() > deadline) throw new Error(`${name} is neither a synced replica nor the primary after ${timeoutMs} ms (role ${role})\n${this.logs()}`);
      await sleep(100);
    }
  }

  private sentinelsUp(): boolean {
    return SENTINELS.some((s) => this.nodes.get(s)?.proc?.isRunning());
  }
}

/** A `field:value` line of INFO. */
function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(\\S*)`, "m").exec(info)?.[1];
}

/** `[k1, v1, k2, v2, …]` (RESP2) or a map (RESP3) → an object. */
function flat(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) return Object.fromEntries(Object.entries(reply as object).map(([k, v]) => [k, String(v)]));
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** True when something on `port` answers a RESP PING at all (`+PONG`, or `-NOAUTH` when it requires a password). */
function answers(port: number): Promise<boolean> {
  return pingRedis(HOST, port, 1_000, { anyReply: true });
}
