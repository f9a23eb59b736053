/**
 * The retention sweep through the real worker wiring (src/app/workers.ts
 * startWorkers, what `scepgate worker` and `serve` run), with an injected
 * clock: a record disappears from Redis and appears in the audit file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkers, type WorkerParts, type WorkersHandle } from "../../../src/app/workers.js";
import { configSchema } from "../../../src/config/index.js";
import type { Profile } from "../../../src/ra/profile.js";
import type { RetentionSweepResult } from "../../../src/store/index.js";
import { StoreKeys } from "../../../src/store/index.js";
import { uniquePrefix } from "../../harness/redis.js";
import { auditPath, inRedis, MemoryLogger, readAudit, recordOn, TestClock, day } from "./retention-fixtures.js";
import { StoreEnv } from "./store-fixtures.js";

let env: StoreEnv;
beforeAll(async () => {
  env = await StoreEnv.start();
});
afterAll(async () => {
  await env?.stop();
});

/** Runtime parts with profiles `default` (inline CA) and, when `remote`, `remote` (a remote CA: forward workers run too). */
function parts(prefix: string, clock: TestClock, file: string, remote = false) {
  const config = configSchema.parse({
    redis: { url: env.server.url, keyPrefix: prefix },
    retention: "30d",
    audit: { file },
    profiles: { default: {}, ...(remote ? { remote: { upstream: { url: "http://ca.example:8080/scep" }, retention: "60d" } } : {}) },
  });
  const profile = (name: string, inline: boolean) => ({ name, upstream: { inline } }) as unknown as Profile;
  const logger = new MemoryLogger();
  const p: WorkerParts = {
    loaded: { config },
    profiles: [profile("default", true), ...(remote ? [profile("remote", false)] : [])],
    redis: { url: env.server.url },
    logger,
    store: env.store(prefix),
    clock,
  };
  return { p, logger, store: env.store(prefix), keys: new StoreKeys(prefix), redis: env.connection() };
}

/** Resolves with the next sweep result reported through onSweep. */
function sweeps() {
  const seen: RetentionSweepResult[] = [];
  let wake: (() => void) | undefined;
  return {
    seen,
    onSweep: (r: RetentionSweepResult) => {
      seen.push(r);
      wake?.();
    },
    async next(count: number, timeoutMs = 10_000): Promise<RetentionSweepResult> {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${seen.length} sweeps, expected ${count}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return seen[count - 1]!;
    },
  };
}

describe("retention in the workers", () => {
  it("ok/startWorkers sweeps at start and then periodically: a record disappears once due (inline CA only)", async () => {
    const prefix = uniquePrefix("retw");
    const clock = new TestClock(day(30).getTime());
    const file = auditPath();
    const s = parts(prefix, clock, file);
    const tx = await recordOn(s.store, { finished: 10 });
    const seen = sweeps();
    const running: WorkersHandle = await startWorkers(s.p, { retention: { intervalMs: 150, onSweep: seen.onSweep } });
    try {
      expect((await seen.next(1)).removed).toBe(0); // 20 days after it finished: not due under 30d
      expect((await inRedis(s.redis, s.keys, tx)).record).toBe(true);
      clock.setDay(41);
      const due = seen.seen.length + 1;
      let removed = await seen.next(due);
      for (let n = due + 1; removed.removed === 0; n++) removed = await seen.next(n);
      expect(removed).toMatchObject({ removed: 1, byProfile: { default: 1 } });
      expect(await inRedis(s.redis, s.keys, tx)).toEqual({ record: false, events: [], indexes: [] });
      expect((await readAudit(file)).map((l) => l.id)).toEqual([tx.id]);
      const info = s.logger.entries.filter((e) => e.level === "info" && e.msg?.startsWith("retention sweep removed"));
      expect(info.map((e) => e.obj["removed"])).toEqual([1]);
      expect(s.logger.entries.some((e) => e.level === "debug" && e.msg === "retention sweep: nothing due")).toBe(true);
    } finally {
      await running.close();
    }
  });

  it("ok/with a remote CA the sweep runs beside the forward workers, with the profile's own retention", async () => {
    const prefix = uniquePrefix("retw");
    const clock = new TestClock(day(100).getTime());
    const file = auditPath();
    const s = parts(prefix, clock, file, true);
    const local = await recordOn(s.store, { profile: "default", finished: 50 }); // 50 days > 30d: due
    const remote = await recordOn(s.store, { profile: "remote", finished: 50 }); // 50 days < 60d: kept
    const seen = sweeps();
    const running = await startWorkers(s.p, { reconcile: false, retention: { intervalMs: 60_000, onSweep: seen.onSweep } });
    try {
      expect((await seen.next(1)).byProfile).toEqual({ default: 1 });
      expect((await inRedis(s.redis, s.keys, local)).record).toBe(false);
      expect((await inRedis(s.redis, s.keys, remote)).record).toBe(true);
      clock.setDay(111);
      expect((await running.retention!.runNow()).byProfile).toEqual({ remote: 1 });
      expect((await readAudit(file)).map((l) => l.id)).toEqual([local.id, remote.id]);
    } finally {
      await running.close();
    }
  });

  it("ok/two worker processes: one sweep per interval (the lock)", async () => {
    const prefix = uniquePrefix("retw");
    const clock = new TestClock(day(100).getTime());
    const file = auditPath();
    const a = parts(prefix, clock, file);
    const b = parts(prefix, clock, file);
    await recordOn(a.store, { finished: 10 });
    const seen = sweeps();
    const running = await Promise.all([a.p, b.p].map((p) => startWorkers(p, { retention: { intervalMs: 60_000, onSweep: seen.onSweep } })));
    try {
      await seen.next(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.seen.map((r) => r.removed)).toEqual([1]);
      expect(await a.redis.pttl(a.keys.retentionLock())).toBeGreaterThan(50_000);
    } finally {
      await Promise.all(running.map((w) => w.close()));
    }
  });

  it("ok/retention: false runs no sweep", async () => {
    const prefix = uniquePrefix("retw");
    const s = parts(prefix, new TestClock(day(100).getTime()), auditPath());
    const tx = await recordOn(s.store, { finished: 10 });
    const running = await startWorkers(s.p, { retention: false });
    await new Promise((r) => setTimeout(r, 200));
    await running.close();
    expect(running.retention).toBeUndefined();
    expect((await inRedis(s.redis, s.keys, tx)).record).toBe(true);
  });
});
