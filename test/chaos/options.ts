/**
 * The chaos run's command line:
 *
 *   npm run chaos [-- --quick] [-- --seed N] [-- --appendfsync everysec|always] [-- --redis single|sentinel]
 *                 [-- --devices N] [-- --kills N] [-- --window SECONDS] [-- --no-real-clients] [-- --json]
 *
 * `--redis sentinel`: a primary, a replica and three Sentinels
 * (test/harness/sentinel.ts) instead of one redis-server; scepgate runs on
 * `redis.sentinel` with its default `waitReplicas: 1`, and chaos kills the
 * primary (whichever server it is then), the replica and the Sentinels.
 *
 * `--quick` (CI): 40 devices, 3 kills of each component over a 45 s window,
 * appendfsync everysec. Full (default): 200 devices, 8 kills of each over
 * 150 s, once with appendfsync everysec and once with always.
 */
import { randomInt } from "node:crypto";
import type { AppendFsync } from "./redis-topology.js";

/** The Redis deployment under scepgate. */
export type RedisKind = "single" | "sentinel";

export interface ChaosRunOptions {
  quick: boolean;
  redis: RedisKind;
  seed: number;
  modes: AppendFsync[];
  devices: number;
  /** kill -9s per component. */
  kills: number;
  /** The window the kills (and the devices' arrivals) are spread over. */
  windowMs: number;
  /** After the window: how long devices may take to finish before the unfinished count as lost. */
  drainMs: number;
  /** Pause between a kill and its restart. */
  downMs: [number, number];
  realClients: boolean;
  json: boolean;
}

export function parseOptions(argv: readonly string[]): ChaosRunOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, dflt: number): number => {
    const v = value(flag);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${flag}: expected a number, got ${v}`);
    return n;
  };
  const quick = argv.includes("--quick");
  const fsync = value("--appendfsync");
  if (fsync !== undefined && fsync !== "everysec" && fsync !== "always") throw new Error(`--appendfsync: expected everysec or always, got ${fsync}`);
  const redis = value("--redis") ?? "single";
  if (redis !== "single" && redis !== "sentinel") throw new Error(`--redis: expected single or sentinel, got ${redis}`);
  return {
    quick,
    redis,
    seed: Math.floor(num("--seed", randomInt(1, 2 ** 31))),
    modes: fsync ? [fsync] : quick ? ["everysec"] : ["everysec", "always"],
    devices: Math.floor(num("--devices", quick ? 40 : 200)),
    kills: Math.max(1, Math.floor(num("--kills", quick ? 3 : 8))),
    windowMs: num("--window", quick ? 45 : 150) * 1000,
    drainMs: num("--drain", quick ? 75 : 120) * 1000,
    downMs: [300, 2_500],
    realClients: !argv.includes("--no-real-clients"),
    json: argv.includes("--json"),
  };
}
