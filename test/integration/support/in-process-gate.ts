/**
 * scepgate's front running inside the test process, on a real port and a real
 * Redis, with a clock the test moves: for behaviour that depends on time
 * (resend window, retention), driven by the real SCEP clients without sleeping.
 * Built exactly as `scepgate serve` builds it (createRuntime + serve).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadConfig } from "../../../src/config/index.js";
import { serve } from "../../../src/app/serve.js";
import { createRuntime, type Runtime } from "../../../src/app/runtime.js";
import { createLogger } from "../../../src/observability/logger.js";
import type { Clock } from "../../../src/ra/ports.js";
import { freePort } from "../../harness/ports.js";
import { uniquePrefix, type RedisHandle } from "../../harness/redis.js";
import { makeTempDir, removeTempDir } from "../../harness/tmp.js";

/** A clock that runs with the system clock, shifted by `offsetMs`. */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export interface InProcessGate {
  /** `http://127.0.0.1:PORT/scep` (the default profile; `/scep/NAME` for the others) */
  readonly url: string;
  readonly clock: ShiftedClock;
  readonly runtime: Runtime;
  stop(): Promise<void>;
}

/** Options of {@link startInProcessGate}. */
export interface InProcessGateOptions {
  /** The `profiles` key (default: one profile "default" with defaults). */
  profiles?: Record<string, Record<string, unknown>>;
  /** The clock's offset from the start, so the RA and CA certificates made at start are valid from then on. */
  clockOffsetMs?: number;
}

/** Starts the front (and its workers) on `redis`. */
export async function startInProcessGate(redis: RedisHandle, opts: InProcessGateOptions = {}): Promise<InProcessGate> {
  const dir = makeTempDir("gate-");
  const file = join(dir, "scepgate.yaml");
  const config = {
    listen: { host: "127.0.0.1", port: await freePort() },
    dataDir: join(dir, "data"),
    redis: { url: redis.url, keyPrefix: uniquePrefix("gate") },
    log: { level: "warn" },
    profiles: opts.profiles ?? { default: {} },
  };
  await writeFile(file, stringify(config));
  const loaded = await loadConfig({ file, env: {} });
  const clock = new ShiftedClock();
  clock.offsetMs = opts.clockOffsetMs ?? 0;
  const runtime = await createRuntime(loaded, createLogger({ level: "warn", destination: process.stderr }), { clock });
  const serving = await serve(runtime);
  return {
    url: serving.url,
    clock,
    runtime,
    stop: async () => {
      await serving.stop();
      await removeTempDir(dir);
    },
  };
}
