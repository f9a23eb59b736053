/**
 * The processes of the chaos run, all on 127.0.0.1:
 *
 *   devices → front-1, front-2   `scepgate serve --no-workers` (one config: key prefix, data dir, RA identity)
 *             worker-1, worker-2 `scepgate worker`
 *             redis              a {@link RedisTopology} (one redis-server with AOF)
 *           → upstream           a second scepgate (`serve`, embedded CA, approval auto) on a
 *                                redis-server of its own (AOF, appendfsync always): an idempotent
 *                                CA — a resent upstream transactionID is answered from its store
 *
 * Profiles `auto` (approval auto) and `manual` (approval manual) forward to
 * the upstream. Each killable process is a {@link Component}: kill -9, then
 * restart (retried until it is up: a front or worker started while Redis is
 * down cannot boot, and tries again).
 */
import { startRedis } from "../harness/redis.js";
import type { ManagedProcess } from "../harness/process.js";
import { sleep } from "../harness/process.js";
import { startScepgate, type Scepgate } from "../harness/scepgate.js";
import { startScepgateWorker } from "../harness/scepgate-cli.js";
import { recordReader, type RecordReader } from "../integration/support/redis-records.js";
import type { RedisTopology } from "./redis-topology.js";
import type { FrontEndpoint } from "./scep-device.js";

/** The profiles of the RA under test. */
export const PROFILES = ["auto", "manual"] as const;
export type ProfileName = (typeof PROFILES)[number];

/** A process chaos may kill and restart. */
export interface Component {
  readonly name: string;
  readonly kind: "front" | "worker" | "redis" | "upstream";
  kill(): Promise<void>;
  /** Starts it again; resolves once it serves (retrying while it cannot boot). Returns how many boots it took. */
  restart(): Promise<number>;
}

/** Options of {@link startChaosTopology}. */
export interface TopologyOptions {
  redis: RedisTopology;
  adminToken: string;
  /** The auto profile's syncWaitMs. */
  syncWaitMs: number;
  /** Give up restarting a component after this long. */
  restartTimeoutMs: number;
  log(line: string): void;
}

/** The running topology. */
export interface ChaosTopology {
  readonly redis: RedisTopology;
  readonly upstream: Scepgate;
  readonly fronts: readonly Scepgate[];
  readonly endpoints: readonly FrontEndpoint[];
  readonly components: readonly Component[];
  /** The RA's records (the fronts' key prefix on the topology's Redis). */
  readonly records: RecordReader;
  /** The upstream's records. */
  readonly upstreamRecords: RecordReader;
  /** Output of every process so far (restarts included), by component name. */
  outputs(): Record<string, string>;
  stop(): Promise<void>;
}

export async function startChaosTopology(o: TopologyOptions): Promise<ChaosTopology> {
  const upstreamRedis = await startRedis({ appendonly: true, appendfsync: "always" });
  const upstream = await startScepgate({ redis: upstreamRedis, config: { log: { level: "info" }, profiles: { default: { approval: "auto" } } } });
  o.log(`upstream scepgate (embedded CA) at ${upstream.url}`);
  const forward = { url: upstream.url, maxConcurrent: 4, pollInterval: "1s", timeout: "10s", retryFor: "24h" };
  const profiles = {
    auto: { approval: "auto", syncWaitMs: o.syncWaitMs, upstream: forward },
    manual: { approval: "manual", upstream: forward },
  };
  const config = { redis: o.redis.scepgateConfig, admin: { token: o.adminToken }, workers: { concurrency: 4 }, profiles };
  // privateRedis: the harness neither starts a Redis nor writes `redis.url`; the topology's own `redis` block
  // (`{url}` or `{sentinel}`) is the whole connection configuration.
  const first = await startScepgate({ privateRedis: true, args: ["--no-workers"], config });
  const second = await startScepgate({
    privateRedis: true,
    args: ["--no-workers"],
    config: { ...config, dataDir: first.dataDir, redis: { ...o.redis.scepgateConfig, keyPrefix: first.keyPrefix } },
  });
  const fronts = [first, second];
  o.log(`fronts at ${fronts.map((f) => f.baseUrl).join(", ")} (key prefix ${first.keyPrefix})`);

  const workers: ManagedProcess[] = [];
  const workerBoots: string[][] = [[], []];
  const startWorker = async (i: number): Promise<void> => {
    const w = await startScepgateWorker(first, { name: `worker-${i + 1}`, bootTimeoutMs: 60_000 });
    workers[i] = w;
    void w.exited.then(() => workerBoots[i]!.push(w.output()));
  };
  await Promise.all([0, 1].map(startWorker));
  o.log("2 workers started");

  const gateOutputs = new Map<string, Scepgate>([["front-1", first], ["front-2", second], ["upstream", upstream]]);
  const retrying = (name: string, boot: () => Promise<void>) => async (): Promise<number> => {
    const deadline = Date.now() + o.restartTimeoutMs;
    for (let boots = 1; ; boots++) {
      try {
        await boot();
        return boots;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${name} did not come back within ${o.restartTimeoutMs} ms: ${(err as Error).message.slice(0, 2_000)}`, { cause: err });
        o.log(`${name}: boot ${boots} failed (${firstLine(err)}); again in 1 s`);
        await sleep(1_000);
      }
    }
  };
  const components: Component[] = [
    ...fronts.map((f, i): Component => ({
      name: `front-${i + 1}`, kind: "front",
      kill: async () => void (await f.kill()),
      restart: retrying(`front-${i + 1}`, () => f.restart()),
    })),
    ...[0, 1].map((i): Component => ({
      name: `worker-${i + 1}`, kind: "worker",
      kill: async () => void (await workers[i]!.kill()),
      restart: retrying(`worker-${i + 1}`, () => startWorker(i)),
    })),
    ...o.redis.components.map((c): Component => ({
      name: c, kind: "redis",
      kill: () => o.redis.kill(c),
      restart: retrying(c, () => o.redis.restart(c)),
    })),
    { name: "upstream", kind: "upstream", kill: async () => void (await upstream.kill()), restart: retrying("upstream", () => upstream.restart()) },
  ];

  const records = recordReader(o.redis.url, first.keyPrefix);
  const upstreamRecords = recordReader(upstreamRedis.url, upstream.keyPrefix);
  return {
    redis: o.redis,
    upstream,
    fronts,
    endpoints: fronts.map((f, i) => ({ name: `front-${i + 1}`, baseUrl: f.baseUrl })),
    components,
    records,
    upstreamRecords,
    outputs: () => ({
      ...Object.fromEntries([...gateOutputs].map(([name, g]) => [name, g.allOutput()])),
      ...Object.fromEntries(workers.map((w, i) => [`worker-${i + 1}`, [...workerBoots[i]!, ...(w.isRunning() ? [w.output()] : [])].join("\n")])),
    }),
    stop: async () => {
      await Promise.all([records.close(), upstreamRecords.close()]);
      await Promise.all(workers.map((w) => w.stop({ graceMs: 10_000 })));
      await Promise.all(fronts.map((f) => f.stop().catch(() => undefined)));
      await upstream.stop().catch(() => undefined);
      await upstreamRedis.stop();
    },
  };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 200);
}
