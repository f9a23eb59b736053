/**
 * The metrics registry (src/observability/metrics.ts): names and labels as
 * documented, the exposition parses strictly, scrape-time sources fill the
 * gauges, and a failing or hanging source leaves its gauges empty and is
 * counted instead of failing (or stalling) the scrape.
 */
import { describe, expect, it, vi } from "vitest";
import { ScepgateMetrics, SCEP_DURATION_BUCKETS, type ForwardQueueSnapshot } from "../../../src/observability/metrics.js";
import { SOURCE_TIMEOUT_MS } from "../../../src/observability/scrape-gauges.js";
import { parseExposition, sampleValue, samplesOf } from "../../support/prom-text.js";

const NOW = Date.parse("2026-01-01T00:00:00Z");

async function scrape(m: ScepgateMetrics) {
  return parseExposition(await m.text());
}

describe("ScepgateMetrics", () => {
  it("ok/counts and times SCEP requests under profile, operation, message_type and outcome", async () => {
    const m = new ScepgateMetrics({ defaultMetrics: false });
    const labels = { profile: "default", operation: "PKIOperation", message_type: "PKCSReq" };
    m.scepRequest(labels, "SUCCESS", 0.004);
    m.scepRequest(labels, "SUCCESS", 0.02);
    m.scepRequest(labels, "FAILURE:badRequest", 0.003);
    m.scepRequest({ ...labels, message_type: "unknown" }, "http_4xx");
    const e = await scrape(m);
    expect(e.types.get("scepgate_scep_requests_total")).toBe("counter");
    expect(e.types.get("scepgate_scep_request_duration_seconds")).toBe("histogram");
    expect(sampleValue(e, "scepgate_scep_requests_total", { ...labels, outcome: "SUCCESS" })).toBe(2);
    expect(sampleValue(e, "scepgate_scep_requests_total", { ...labels, outcome: "FAILURE:badRequest" })).toBe(1);
    expect(sampleValue(e, "scepgate_scep_requests_total", { ...labels, message_type: "unknown", outcome: "http_4xx" })).toBe(1);
    // Refusals by the edge carry no duration: only the three timed requests are in the histogram.
    expect(sampleValue(e, "scepgate_scep_request_duration_seconds_count", labels)).toBe(3);
    expect(sampleValue(e, "scepgate_scep_request_duration_seconds_count", { ...labels, message_type: "unknown" })).toBeUndefined();
    expect(sampleValue(e, "scepgate_scep_request_duration_seconds_bucket", { ...labels, le: "0.005" })).toBe(2);
    expect(sampleValue(e, "scepgate_scep_request_duration_seconds_bucket", { ...labels, le: "0.025" })).toBe(3);
    const les = samplesOf(e, "scepgate_scep_request_duration_seconds_bucket", labels).map((s) => s.labels["le"]);
    expect(les).toEqual([...SCEP_DURATION_BUCKETS.map(String), "+Inf"]);
    expect(SCEP_DURATION_BUCKETS[0]).toBe(0.001);
    expect(SCEP_DURATION_BUCKETS.at(-1)).toBe(10);
  });

  it("ok/upstream exchanges and retention removals are counted", async () => {
    const m = new ScepgateMetrics({ defaultMetrics: false });
    m.upstreamRequest("default", "PKCSReq", "SUCCESS", 0.05);
    m.upstreamRequest("default", "PKCSReq", "unreachable", 0.001);
    m.retentionSwept({ default: 3, vpn: 0 });
    m.retentionSwept({ default: 2 });
    const e = await scrape(m);
    expect(sampleValue(e, "scepgate_upstream_requests_total", { profile: "default", operation: "PKCSReq", outcome: "SUCCESS" })).toBe(1);
    expect(sampleValue(e, "scepgate_upstream_requests_total", { profile: "default", operation: "PKCSReq", outcome: "unreachable" })).toBe(1);
    expect(sampleValue(e, "scepgate_upstream_request_duration_seconds_count", { profile: "default", operation: "PKCSReq" })).toBe(2);
    expect(sampleValue(e, "scepgate_retention_removed_total", { profile: "default" })).toBe(5);
    expect(sampleValue(e, "scepgate_retention_removed_total", { profile: "vpn" })).toBeUndefined();
  });

  it("ok/the scrape-time gauges come from their sources, each read once per scrape", async () => {
    const m = new ScepgateMetrics({ defaultMetrics: false, now: () => NOW });
    const queues = vi.fn(async (): Promise<ForwardQueueSnapshot[]> => [{ queue: "forward-abc", counts: { waiting: 2, delayed: 1, completed: 7 }, oldestJobAgeSeconds: 42 }, { queue: "forward-def", counts: { waiting: 0 } }]);
    m.useSources({
      transactions: async () => [{ profile: "default", state: "issued", count: 5 }, { profile: "default", state: "pending_approval", count: 1 }],
      forwardQueues: queues,
      certificates: async () => [{ profile: "default", cert: "ra-signer", notAfter: new Date(NOW + 86_400_000) }, { profile: "default", cert: "ca", notAfter: new Date(NOW - 1000) }],
      upstreams: async () => [{ profile: "default", up: true }, { profile: "vpn", up: false }],
    });
    const e = await scrape(m);
    expect(sampleValue(e, "scepgate_transactions", { profile: "default", state: "issued" })).toBe(5);
    expect(sampleValue(e, "scepgate_transactions", { profile: "default", state: "pending_approval" })).toBe(1);
    expect(sampleValue(e, "scepgate_forward_queue_depth", { queue: "forward-abc", state: "waiting" })).toBe(2);
    expect(sampleValue(e, "scepgate_forward_queue_depth", { queue: "forward-abc", state: "completed" })).toBe(7);
    expect(sampleValue(e, "scepgate_forward_queue_oldest_job_age_seconds", { queue: "forward-abc" })).toBe(42);
    expect(sampleValue(e, "scepgate_forward_queue_oldest_job_age_seconds", { queue: "forward-def" })).toBe(0);
    expect(queues).toHaveBeenCalledTimes(1); // depth and oldest age share one snapshot
    expect(sampleValue(e, "scepgate_certificate_expiry_seconds", { profile: "default", cert: "ra-signer" })).toBe(86_400);
    expect(sampleValue(e, "scepgate_certificate_expiry_seconds", { profile: "default", cert: "ca" })).toBe(-1);
    expect(sampleValue(e, "scepgate_upstream_up", { profile: "default" })).toBe(1);
    expect(sampleValue(e, "scepgate_upstream_up", { profile: "vpn" })).toBe(0);
  });

  it("ok/a gauge shows the current state only: a row gone from the source is gone from the scrape", async () => {
    const m = new ScepgateMetrics({ defaultMetrics: false, now: () => NOW });
    let rows = [{ profile: "default", state: "issued", count: 1 }, { profile: "old", state: "issued", count: 9 }];
    m.useSources({ transactions: async () => rows });
    expect(sampleValue(await scrape(m), "scepgate_transactions", { profile: "old", state: "issued" })).toBe(9);
    rows = [{ profile: "default", state: "issued", count: 2 }];
    await new Promise((r) => setTimeout(r, 1_100)); // past the per-scrape sharing window
    const e = await scrape(m);
    expect(sampleValue(e, "scepgate_transactions", { profile: "old", state: "issued" })).toBeUndefined();
    expect(sampleValue(e, "scepgate_transactions", { profile: "default", state: "issued" })).toBe(2);
  });

  it("fail/a failing source empties its gauge and is counted; the other gauges are still served", async () => {
    const m = new ScepgateMetrics({ defaultMetrics: false, now: () => NOW });
    m.useSources({
      transactions: async () => Promise.reject(new Error("redis down")),
      upstreams: async () => [{ profile: "default", up: true }],
    });
    const e = await scrape(m);
    expect(samplesOf(e, "scepgate_transactions")).toEqual([]);
    expect(sampleValue(e, "scepgate_upstream_up", { profile: "default" })).toBe(1);
    expect(sampleValue(e, "scepgate_metrics_source_errors_total", { source: "transactions" })).toBe(1);
  });

  it("fail/a source that never answers does not stall the scrape beyond the source timeout", async () => {
    const m = new ScepgateMetrics({ defaultMetrics: false, now: () => NOW });
    m.useSources({ forwardQueues: () => new Promise(() => undefined) });
    const started = Date.now();
    const e = await scrape(m);
    expect(Date.now() - started).toBeLessThan(SOURCE_TIMEOUT_MS + 1_000);
    expect(samplesOf(e, "scepgate_forward_queue_depth")).toEqual([]);
    expect(sampleValue(e, "scepgate_metrics_source_errors_total", { source: "forwardQueues" })).toBe(1);
  }, 10_000);

  it("ok/prom-client's process metrics carry the scepgate_ prefix; seriesNames lists histogram parts", async () => {
    const m = new ScepgateMetrics();
    const e = await scrape(m);
    expect(e.types.get("scepgate_process_cpu_seconds_total")).toBe("counter");
    expect(e.types.get("scepgate_nodejs_eventloop_lag_seconds")).toBe("gauge");
    expect([...e.types.keys()].filter((n) => !n.startsWith("scepgate_"))).toEqual([]);
    const names = await m.seriesNames();
    expect(names).toEqual(expect.arrayContaining([
      "scepgate_scep_requests_total", "scepgate_scep_request_duration_seconds_bucket", "scepgate_scep_request_duration_seconds_count",
      "scepgate_transactions", "scepgate_forward_queue_depth", "scepgate_forward_queue_oldest_job_age_seconds",
      "scepgate_upstream_requests_total", "scepgate_upstream_request_duration_seconds_bucket", "scepgate_upstream_up",
      "scepgate_certificate_expiry_seconds", "scepgate_retention_removed_total", "scepgate_process_resident_memory_bytes",
    ]));
  });
});
