/**
 * `/metrics` of real scepgate processes, read with a strict exposition
 * parser (prom-client has none), while real clients enroll:
 *
 * - the front (`scepgate serve`, embedded CA, static challenge, real Redis):
 *   strongSwan `pki --scep` enrolls, micromdm scepclient is refused for a
 *   wrong challenge, undecodable bodies get 400. The counters go up by
 *   exactly the requests made (counted independently in the access log),
 *   with SUCCESS, FAILURE:badRequest and http_4xx where each belongs; the
 *   histogram counts the same; the transactions gauge equals the records in
 *   Redis by state.
 * - a front without workers and a `scepgate worker` with
 *   `workers.metricsPort`, in front of a micromdm scepserver: a request
 *   waits in the forward queue while no worker runs (depth and oldest age on
 *   the front), then the worker forwards it and its own /metrics shows the
 *   queue, the upstream exchange and the upstream up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../src/protocol/index.js";
import { forwardQueueName } from "../../src/queue/queue-names.js";
import { enrollPki, enrollScepclient, randomSuffix } from "../harness/clients.js";
import { freePort } from "../harness/ports.js";
import { sleep, type ManagedProcess } from "../harness/process.js";
import { startRedis, type RedisHandle } from "../harness/redis.js";
import { startScepgate, type Scepgate } from "../harness/scepgate.js";
import { startScepgateWorker, tail } from "../harness/scepgate-cli.js";
import { startScepServer, type ScepServer } from "../harness/upstream-ca.js";
import { sampleValue, samplesOf, scrape, type Exposition } from "../support/prom-text.js";
import { Device, pollUntilDone } from "./pipeline/device.js";
import { recordReader, type RecordReader } from "./support/redis-records.js";

const CHALLENGE = "metrics-s3cret-42";
const REQUESTS = "scepgate_scep_requests_total";
const DURATION_COUNT = "scepgate_scep_request_duration_seconds_count";

/** The access log's SCEP lines in `text` (pino JSON), counted per operation. */
function accessLog(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.includes('"msg":"request"')) continue;
    const op = String((JSON.parse(line) as { operation?: string }).operation ?? "none");
    counts.set(op, (counts.get(op) ?? 0) + 1);
  }
  return counts;
}

/** Sum of the samples of `name` with `labels`. */
function total(e: Exposition, name: string, labels: Record<string, string>): number {
  return samplesOf(e, name, labels).reduce((n, s) => n + s.value, 0);
}

/** Waits until the process's output has not grown for 300 ms (pino writes asynchronously). */
async function settled(gate: Scepgate): Promise<string> {
  let last = -1;
  while (gate.output().length !== last) {
    last = gate.output().length;
    await sleep(300);
  }
  return gate.output();
}

describe("metrics of a front while real clients enroll", () => {
  let redis: RedisHandle;
  let gate: Scepgate;
  let records: RecordReader;
  let metricsUrl: string;

  beforeAll(async () => {
    redis = await startRedis();
    gate = await startScepgate({ redis, config: { profiles: { default: { challenge: { mode: "static", value: CHALLENGE } } } } });
    records = recordReader(redis.url, gate.keyPrefix);
    metricsUrl = `${gate.baseUrl}/metrics`;
  });

  afterAll(async () => {
    await records?.close();
    await gate?.stop();
    await redis?.stop();
  });

  /** Runs `action`; returns the scrapes before and after and the access log of the requests it made. */
  async function measured(action: () => Promise<void>): Promise<{ before: Exposition; after: Exposition; log: Map<string, number> }> {
    const before = await scrape(metricsUrl);
    const mark = (await settled(gate)).length;
    await action();
    const log = accessLog((await settled(gate)).slice(mark));
    return { before, after: await scrape(metricsUrl), log };
  }

  function expectCountsMatchLog(m: { before: Exposition; after: Exposition; log: Map<string, number> }): void {
    expect(m.log.size).toBeGreaterThan(0);
    for (const [operation, n] of m.log) {
      const d = total(m.after, REQUESTS, { profile: "default", operation }) - total(m.before, REQUESTS, { profile: "default", operation });
      expect(d, `${operation}: counted vs access log`).toBe(n);
    }
    const all = total(m.after, REQUESTS, {}) - total(m.before, REQUESTS, {});
    expect(all).toBe([...m.log.values()].reduce((a, b) => a + b, 0));
  }

  const delta = (m: { before: Exposition; after: Exposition }, name: string, labels: Record<string, string>) =>
    (sampleValue(m.after, name, labels) ?? 0) - (sampleValue(m.before, name, labels) ?? 0);

  it("ok/pki --scep enrolls: PKCSReq SUCCESS +1, every request counted once and timed", async () => {
    const cn = `metrics-pki-${randomSuffix()}`;
    let ok = false;
    const m = await measured(async () => {
      const r = await enrollPki(gate.url, { cn, challenge: CHALLENGE, cipher: "aes", digest: "sha256", interval: 1, maxPollTime: 10 });
      expect(r.ok, `${r.log}\n${tail(gate.output())}`).toBe(true);
      ok = !r.pending;
    });
    expect(ok).toBe(true);
    const pkcsreq = { profile: "default", operation: "PKIOperation", message_type: "PKCSReq" };
    expect(delta(m, REQUESTS, { ...pkcsreq, outcome: "SUCCESS" })).toBe(1);
    expect(delta(m, DURATION_COUNT, pkcsreq)).toBe(1);
    expect(delta(m, "scepgate_scep_request_duration_seconds_bucket", { ...pkcsreq, le: "+Inf" })).toBe(1);
    expect(m.log.get("PKIOperation")).toBe(1);
    expect(delta(m, REQUESTS, { profile: "default", operation: "GetCACaps", message_type: "none", outcome: "SUCCESS" })).toBe(m.log.get("GetCACaps") ?? 0);
    expectCountsMatchLog(m);
  });

  it("fail/scepclient with a wrong challenge: FAILURE:badRequest +1", async () => {
    const cn = `metrics-wrong-${randomSuffix()}`;
    const m = await measured(async () => {
      const r = await enrollScepclient(gate.url, { cn, challenge: "not-the-secret", timeoutMs: 30_000 });
      expect(r.ok).toBe(false);
      expect(r.log).toMatch(/failInfo: badRequest/);
    });
    expect(delta(m, REQUESTS, { profile: "default", operation: "PKIOperation", message_type: "PKCSReq", outcome: "FAILURE:badRequest" })).toBe(1);
    expect(delta(m, REQUESTS, { profile: "default", operation: "PKIOperation", message_type: "PKCSReq", outcome: "SUCCESS" })).toBe(0);
    expect(samplesOf(m.after, REQUESTS).every((s) => !JSON.stringify(s.labels).includes(cn))).toBe(true);
    expectCountsMatchLog(m);
  });

  it("fail/a body that is no pkiMessage and a message that is no base64: http_4xx +2", async () => {
    const m = await measured(async () => {
      expect((await fetch(`${gate.url}?operation=PKIOperation`, { method: "POST", body: "not a pkiMessage" })).status).toBe(400);
      expect((await fetch(`${gate.url}?operation=PKIOperation&message=%25%25`)).status).toBe(400);
    });
    expect(delta(m, REQUESTS, { profile: "default", operation: "PKIOperation", message_type: "unknown", outcome: "http_4xx" })).toBe(2);
    expectCountsMatchLog(m);
  });

  it("ok/the transactions gauge equals the records in Redis, state by state", async () => {
    const e = await scrape(metricsUrl);
    const byState = new Map<string, number>();
    for (const tx of await records.records("default")) byState.set(tx.state, (byState.get(tx.state) ?? 0) + 1);
    expect(byState.get("issued")).toBeGreaterThanOrEqual(1);
    expect(byState.get("rejected")).toBeGreaterThanOrEqual(1);
    const gauge = samplesOf(e, "scepgate_transactions", { profile: "default" });
    expect(gauge.map((s) => s.labels["state"]).sort()).toEqual(["approved", "failed", "forwarding", "issued", "pending_approval", "received", "rejected", "upstream_pending"]);
    for (const s of gauge) expect(s.value, s.labels["state"]).toBe(byState.get(s.labels["state"]!) ?? 0);
    expect(sampleValue(e, "scepgate_upstream_up", { profile: "default" })).toBe(1); // the embedded CA
    expect(sampleValue(e, "scepgate_certificate_expiry_seconds", { profile: "default", cert: "ra-signer" })).toBeGreaterThan(86_400);
    expect(sampleValue(e, "scepgate_certificate_expiry_seconds", { profile: "default", cert: "ca" })).toBeGreaterThan(86_400);
    expect(e.types.get("scepgate_process_resident_memory_bytes")).toBe("gauge");
  });
});

describe("metrics of the forward queue and the upstream: a front and a scepgate worker", () => {
  let redis: RedisHandle;
  let ca: ScepServer;
  let front: Scepgate;
  let worker: ManagedProcess | undefined;
  let workerMetrics: string;

  beforeAll(async () => {
    [redis, ca] = await Promise.all([startRedis(), startScepServer()]);
    const metricsPort = await freePort();
    workerMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    front = await startScepgate({
      redis,
      args: ["--no-workers"],
      config: { workers: { metricsPort }, profiles: { default: { approval: "auto", syncWaitMs: 300, upstream: { url: ca.url, maxConcurrent: 1 } } } },
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await front?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
  });

  it("ok/a job waits while no worker runs; the worker forwards it and serves the queue and upstream metrics on workers.metricsPort", { timeout: 120_000 }, async () => {
    const queue = forwardQueueName(ca.url);
    const device = await Device.create(front.url, `metrics-q-${randomSuffix()}`);
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING); // no worker: the sync wait runs out
    await sleep(1_200);
    const waiting = await scrape(`${front.baseUrl}/metrics`);
    expect(sampleValue(waiting, "scepgate_forward_queue_depth", { queue, state: "waiting" })).toBe(1);
    expect(sampleValue(waiting, "scepgate_forward_queue_oldest_job_age_seconds", { queue })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(waiting, "scepgate_transactions", { profile: "default", state: "approved" })).toBe(1);
    await expect(fetch(workerMetrics)).rejects.toThrow(); // nothing listens before the worker starts

    worker = await startScepgateWorker(front, { name: "metrics-worker" });
    const done = await pollUntilDone(device, { intervalMs: 250, timeoutMs: 60_000 });
    expect(done.rep.status, done.rep.failInfoText).toBe(PkiStatus.SUCCESS);

    const e = await scrape(workerMetrics);
    expect(sampleValue(e, "scepgate_forward_queue_depth", { queue, state: "completed" })).toBe(1);
    for (const state of ["waiting", "active", "delayed", "failed"]) expect(sampleValue(e, "scepgate_forward_queue_depth", { queue, state }), state).toBe(0);
    expect(sampleValue(e, "scepgate_forward_queue_oldest_job_age_seconds", { queue })).toBe(0);
    expect(sampleValue(e, "scepgate_upstream_requests_total", { profile: "default", operation: "PKCSReq", outcome: "SUCCESS" })).toBe(1);
    expect(sampleValue(e, "scepgate_upstream_request_duration_seconds_count", { profile: "default", operation: "PKCSReq" })).toBe(1);
    expect(sampleValue(e, "scepgate_upstream_up", { profile: "default" })).toBe(1);
    expect(sampleValue(e, "scepgate_transactions", { profile: "default", state: "issued" })).toBe(1);
    expect(samplesOf(e, "scepgate_scep_requests_total")).toEqual([]); // the worker answers no SCEP
    expect((await fetch(workerMetrics.replace("/metrics", "/healthz"))).status).toBe(200);
    expect((await fetch(workerMetrics.replace("/metrics", "/scep?operation=GetCACaps"))).status).toBe(404);
    expect(worker.output()).toMatch(/"msg":"worker metrics listening"/);

    const f = await scrape(`${front.baseUrl}/metrics`);
    expect(sampleValue(f, "scepgate_forward_queue_depth", { queue, state: "completed" })).toBe(1);
    expect(sampleValue(f, REQUESTS, { profile: "default", operation: "PKIOperation", message_type: "PKCSReq", outcome: "PENDING" })).toBe(1);
    expect(total(f, REQUESTS, { profile: "default", operation: "PKIOperation", message_type: "CertPoll", outcome: "SUCCESS" })).toBe(1);
  });
});
