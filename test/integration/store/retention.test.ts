/**
 * Retention on a real Redis (issue 10, part 4): finished records older than
 * their retention leave Redis with their audit stream and index entries,
 * after their audit trail is in the JSON Lines file; nothing else does.
 * Time is injected: no test waits for retention.
 */
import { readFileSync } from "node:fs";
import { appendFile, stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditFile } from "../../../src/app/audit-file.js";
import { attemptRecordId } from "../../../src/ra/ids.js";
import type { TransactionState } from "../../../src/ra/ports.js";
import {
  StoreKeys, sweepRetention, type AuditSink, type RetentionPolicy, type RetentionSweepOptions,
} from "../../../src/store/index.js";
import { uniquePrefix } from "../../harness/redis.js";
import { auditPath, DAY, day, inRedis, readAudit, recordOn, sinkThen, TestClock } from "./retention-fixtures.js";
import { sampleTx, StoreEnv } from "./store-fixtures.js";

let env: StoreEnv;
beforeAll(async () => {
  env = await StoreEnv.start();
});
afterAll(async () => {
  await env?.stop();
});

const GLOBAL_90D: RetentionPolicy = { profiles: { default: 90 * DAY }, defaultMs: 90 * DAY };

/** A store, the sweep's own connection and options on a fresh prefix; the clock stands on day `today`. */
function setup(today: number, policy: RetentionPolicy = GLOBAL_90D) {
  const prefix = uniquePrefix("ret");
  const store = env.store(prefix);
  const redis = env.connection("sweep");
  const keys = new StoreKeys(prefix);
  const clock = new TestClock(day(today).getTime());
  const file = auditPath();
  const sink = new AuditFile(file);
  const options = (over: Partial<RetentionSweepOptions> = {}): RetentionSweepOptions => ({ redis, keys, policy, sink, clock, ...over });
  return { prefix, store, redis, keys, clock, file, sink, options };
}

describe("retention sweep", () => {
  it("ok/a final record older than retention leaves Redis whole, after its audit trail is synced to the file", async () => {
    const s = setup(200);
    const tx = await recordOn(s.store, { created: 10, finished: 11, state: "issued" });
    const before = await inRedis(s.redis, s.keys, tx);
    expect(before.events).toHaveLength(2);
    expect(before.indexes).toHaveLength(4); // idx:all, idx:profile, idx:state:issued, idx:profile:…:state:issued
    let seenAtAppend: { lines: number; stillInRedis: boolean } | undefined;
    const sink = sinkThen(s.sink, async () => {
      seenAtAppend = { lines: (await readAudit(s.file)).length, stillInRedis: (await inRedis(s.redis, s.keys, tx)).record };
    });

    const r = await sweepRetention(s.options({ sink }));

    expect(r).toMatchObject({ removed: 1, byProfile: { default: 1 }, exported: 1, changed: 0, complete: true });
    expect(seenAtAppend).toEqual({ lines: 1, stillInRedis: true });
    expect(await inRedis(s.redis, s.keys, tx)).toEqual({ record: false, events: [], indexes: [] });
    const [line, ...more] = await readAudit(s.file);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ kind: "scepgate.transaction.removed", v: 1, id: tx.id, exportedAt: day(200).toISOString() });
    expect(line!.record).toMatchObject({
      id: tx.id, profile: "default", transactionId: tx.transactionId, subject: tx.subject, state: "issued",
      serial: "0a1b2c", notAfter: day(400).toISOString(), createdAt: day(10).toISOString(), updatedAt: day(11).toISOString(),
    });
    expect(line!.record["certificateSha256"]).toMatch(/^[0-9a-f]{64}$/);
    for (const blob of ["csr", "requesterCert", "certificate", "chain"]) expect(line!.record).not.toHaveProperty(blob);
    expect(line!.events).toEqual(before.events.map(([streamId, fields]) => ({ streamId, ...pairs(fields) })));
    expect(line!.events.map((e) => e.event)).toEqual(["created", "issued"]);
    expect((await stat(s.file)).mode & 0o777).toBe(0o600);
  });

  it("ok/a final record younger than retention stays, even when created long before", async () => {
    const s = setup(200);
    const recent = await recordOn(s.store, { created: 150, finished: 150, state: "rejected" });
    const slow = await recordOn(s.store, { created: 5, finished: 111, state: "failed" }); // created before the horizon (day 110), finished after
    const due = await recordOn(s.store, { created: 5, finished: 109, state: "failed" });
    const r = await sweepRetention(s.options());
    expect(r.removed).toBe(1);
    expect((await inRedis(s.redis, s.keys, recent)).record).toBe(true);
    expect((await inRedis(s.redis, s.keys, slow)).record).toBe(true);
    expect((await inRedis(s.redis, s.keys, due)).record).toBe(false);
    expect((await readAudit(s.file)).map((l) => l.id)).toEqual([due.id]);
  });

  it("ok/pending records are never removed, however old", async () => {
    const s = setup(1000);
    const pending: TransactionState[] = ["received", "pending_approval", "approved", "forwarding", "upstream_pending"];
    const txs = [];
    for (const state of pending) {
      const tx = sampleTx({ state, createdAt: day(1).toISOString(), updatedAt: day(2).toISOString() });
      await s.store.create(tx, "policy");
      txs.push(tx);
    }
    const r = await sweepRetention(s.options());
    expect(r).toMatchObject({ removed: 0, exported: 0 });
    for (const tx of txs) expect((await inRedis(s.redis, s.keys, tx)).indexes).toHaveLength(4);
    expect(await readAudit(s.file)).toEqual([]);
  });

  it("ok/a profile's retention overrides the global one; unconfigured profiles keep the longest", async () => {
    const policy: RetentionPolicy = { profiles: { default: 90 * DAY, short: 30 * DAY, long: 365 * DAY }, defaultMs: 90 * DAY };
    const s = setup(500, policy);
    const finished = (profile: string, finishedDay: number) => recordOn(s.store, { profile, finished: finishedDay });
    const kept = [await finished("short", 471), await finished("default", 411), await finished("long", 136), await finished("gone", 136)];
    const removed = [await finished("short", 469), await finished("default", 409), await finished("long", 134), await finished("gone", 134)];
    const r = await sweepRetention(s.options());
    expect(r.byProfile).toEqual({ short: 1, default: 1, long: 1, gone: 1 });
    for (const tx of kept) expect((await inRedis(s.redis, s.keys, tx)).record).toBe(true);
    for (const tx of removed) expect(await inRedis(s.redis, s.keys, tx)).toEqual({ record: false, events: [], indexes: [] });
    expect(new Set((await readAudit(s.file)).map((l) => l.id))).toEqual(new Set(removed.map((t) => t.id)));
  });

  it("fail/a record that changes between the export and the delete is not deleted", async () => {
    const s = setup(200);
    // One final state, so all three are in one batch: exported together, then changed, then the deletes.
    const patched = await recordOn(s.store, { finished: 10, state: "rejected" });
    const audited = await recordOn(s.store, { finished: 10, state: "rejected" });
    const restarted = await recordOn(s.store, { finished: 10, state: "rejected" });
    const sink = sinkThen(s.sink, async () => {
      // updatedAt and the audit stream move on (an operator note), the record stays final
      await s.store.transition("default", patched.transactionId, ["rejected"], { decidedBy: "alice", updatedAt: day(200).toISOString() }, { actor: "alice", event: "note" });
      // only a new audit event, updatedAt untouched
      await s.redis.xadd(s.keys.recordAudit(audited.id), "*", "id", audited.id, "event", "late", "actor", "bob", "at", day(10).toISOString());
      // back to pending (a new attempt under the same record id)
      await s.store.transition("default", restarted.transactionId, ["rejected"], { state: "pending_approval", updatedAt: day(10).toISOString() }, { actor: "device", event: "retried" });
    });
    const r = await sweepRetention(s.options({ sink }));
    expect(r).toMatchObject({ removed: 0, exported: 3, changed: 3 });
    for (const tx of [patched, audited, restarted]) expect((await inRedis(s.redis, s.keys, tx)).record).toBe(true);
    expect((await inRedis(s.redis, s.keys, audited)).events).toHaveLength(3);

    // Once due again, the changed records go, exported anew with what changed; the pending one stays.
    s.clock.setDay(400);
    const again = await sweepRetention(s.options());
    expect(again.removed).toBe(2);
    expect((await inRedis(s.redis, s.keys, restarted)).record).toBe(true);
    const lines = await readAudit(s.file);
    expect(lines.filter((l) => l.id === patched.id).map((l) => l.events.length)).toEqual([2, 3]);
    expect(lines.filter((l) => l.id === audited.id).at(-1)!.events.map((e) => e.event)).toEqual(["created", "rejected", "late"]);
  });

  it("ok/a superseded attempt is removed like any final record; the current attempt under the same transactionID stays", async () => {
    const s = setup(200);
    const first = await recordOn(s.store, { created: 5, finished: 10, state: "rejected" });
    const archivedId = attemptRecordId(first.profile, first.transactionId, 1);
    const next = sampleTx({
      profile: first.profile, transactionId: first.transactionId, attempt: 2, previousId: archivedId,
      createdAt: day(150).toISOString(), updatedAt: day(150).toISOString(),
    });
    expect(await s.store.supersede(next, first, { actor: "policy", reason: "new CSR" })).toBe(true);
    const r = await sweepRetention(s.options());
    expect(r.removed).toBe(1);
    expect(await inRedis(s.redis, s.keys, { id: archivedId, profile: first.profile })).toEqual({ record: false, events: [], indexes: [] });
    expect((await inRedis(s.redis, s.keys, next)).record).toBe(true);
    const [line] = await readAudit(s.file);
    expect(line).toMatchObject({ id: archivedId, record: { id: archivedId, supersededBy: next.id, attempt: 1, state: "rejected", transactionId: first.transactionId } });
    expect(line!.events.map((e) => e.event)).toEqual(["created", "rejected", "superseded"]);
  });

  it("ok/a crash between the export and the delete: the next sweep exports again, then deletes", async () => {
    const s = setup(200);
    const txs = [await recordOn(s.store, { finished: 10 }), await recordOn(s.store, { finished: 20 })];
    const crashing = sinkThen(s.sink, () => Promise.reject(new Error("killed after fsync")));
    await expect(sweepRetention(s.options({ sink: crashing }))).rejects.toThrow("killed after fsync");
    for (const tx of txs) expect((await inRedis(s.redis, s.keys, tx)).record).toBe(true);
    expect(await readAudit(s.file)).toHaveLength(2);

    const r = await sweepRetention(s.options());
    expect(r.removed).toBe(2);
    for (const tx of txs) expect((await inRedis(s.redis, s.keys, tx)).record).toBe(false);
    const lines = await readAudit(s.file);
    expect(lines.map((l) => l.id)).toEqual([txs[0]!.id, txs[1]!.id, txs[0]!.id, txs[1]!.id]);
    const streamIds = (id: string) => lines.filter((l) => l.id === id).map((l) => l.events.map((e) => e.streamId).join());
    for (const tx of txs) expect(new Set(streamIds(tx.id)).size).toBe(1); // duplicates are recognisable
  });

  it("ok/a torn last line is left alone: the next line starts on a fresh line", async () => {
    const s = setup(200);
    const torn: AuditSink = new AuditFile(s.file);
    await torn.append(['{"kind":"scepgate.transaction.removed","id":"x"}']);
    await appendFile(s.file, '{"kind":"scepgate.trans'); // a crash mid-write
    await recordOn(s.store, { finished: 10 });
    await sweepRetention(s.options());
    const text = readFileSync(s.file, "utf8").split("\n");
    expect(text).toHaveLength(4);
    expect(text[1]).toBe('{"kind":"scepgate.trans');
    expect(JSON.parse(text[2]!)).toMatchObject({ kind: "scepgate.transaction.removed" });
    expect(text[3]).toBe("");
  });

  it("ok/5,000 old records go in bounded batches without holding Redis up", async () => {
    const s = setup(200);
    const ids: string[] = [];
    for (let chunk = 0; chunk < 50; chunk++) {
      const txs = Array.from({ length: 100 }, () => sampleTx({ state: "issued", createdAt: day(1).toISOString(), updatedAt: day(2).toISOString() }));
      await Promise.all(txs.map((tx) => s.store.create(tx, "policy")));
      ids.push(...txs.map((t) => t.id));
    }
    const probe = env.connection("probe");
    // µs. One script deleting all 5,000 would hold Redis ~250 ms; one record's delete takes ~50 µs.
    // 100 ms leaves room for a loaded CI box descheduling redis-server mid-command.
    await probe.config("SET", "slowlog-log-slower-than", "100000");
    await probe.slowlog("RESET");
    await probe.config("RESETSTAT");
    let worstPingMs = 0;
    let pings = 0;
    let sweeping = true;
    const pinger = (async () => {
      while (sweeping) {
        const t = performance.now();
        await probe.ping();
        worstPingMs = Math.max(worstPingMs, performance.now() - t);
        pings++;
      }
    })();
    const r = await sweepRetention(s.options({ batchSize: 100 }));
    sweeping = false;
    await pinger;
    const slow = (await probe.slowlog("GET", 128)) as unknown[][];
    await probe.config("SET", "slowlog-log-slower-than", "10000");
    const stats = await probe.info("commandstats");
    const evalsha = /cmdstat_evalsha:calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/.exec(stats);
    const evals = /cmdstat_eval:calls=(\d+)/.exec(stats); // ioredis sends a script as EVAL once per connection
    process.stdout.write(`retention: removed ${r.removed} records in ${r.durationMs} ms, ${r.batches} batches; worst PING meanwhile ${worstPingMs.toFixed(1)} ms over ${pings} pings (same process); delete script ${evalsha?.[2]} µs per call\n`);
    expect(r).toMatchObject({ removed: 5000, exported: 5000, complete: true });
    expect(r.batches).toBeGreaterThanOrEqual(50);
    expect(slow.map((entry) => entry[3])).toEqual([]); // no single command of the sweep held Redis up
    expect(Number(evalsha?.[1]) + Number(evals?.[1] ?? 0)).toBe(5000); // one script per record
    expect(Number(evalsha?.[2])).toBeLessThan(2000);
    expect(worstPingMs).toBeLessThan(2000); // loose: this process shares its event loop (and 2 cores) with the sweep
    expect(await s.redis.zcard(s.keys.indexAll())).toBe(0);
    expect(new Set((await readAudit(s.file)).map((l) => l.id))).toEqual(new Set(ids));
  });

  it("ok/maxPerSweep bounds one sweep; the next goes on", async () => {
    const s = setup(200);
    await Promise.all(Array.from({ length: 250 }, () => recordOn(s.store, { finished: 3 })));
    const first = await sweepRetention(s.options({ batchSize: 40, maxPerSweep: 100 }));
    expect(first).toMatchObject({ removed: 100, complete: false });
    const second = await sweepRetention(s.options({ batchSize: 40, maxPerSweep: 1000 }));
    expect(second).toMatchObject({ removed: 150, complete: true });
  });

  it("ok/the global audit stream is trimmed to the longest retention", async () => {
    const policy: RetentionPolicy = { profiles: { default: 90 * DAY, long: 120 * DAY }, defaultMs: 90 * DAY };
    const s = setup(200, policy);
    const stream = s.keys.auditStream();
    const horizon = day(200).getTime() - 120 * DAY;
    const old = Array.from({ length: 1500 }, (_, i) => `${horizon - 1500 + i}-0`);
    for (let i = 0; i < old.length; i += 500) {
      const pipe = s.redis.pipeline();
      for (const id of old.slice(i, i + 500)) pipe.xadd(stream, id, "event", "old");
      await pipe.exec();
    }
    await s.redis.xadd(stream, `${horizon}-0`, "event", "at the horizon");
    await s.redis.xadd(stream, `${horizon + 5}-0`, "event", "recent");
    const r = await sweepRetention(s.options());
    expect(r.trimmed).toBe(1500);
    expect((await s.redis.xrange(stream, "-", "+")).map(([id]) => id)).toEqual([`${horizon}-0`, `${horizon + 5}-0`]);
  });
});

function pairs(fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}
