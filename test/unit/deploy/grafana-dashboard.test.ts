/**
 * deploy/grafana/scepgate.json, checked against what scepgate really
 * exports (kept beside deploy-files.test.ts, which is long enough): the
 * file is a Grafana dashboard, and every metric its PromQL queries names is
 * a series of src/observability/metrics.ts (histograms with their parts,
 * prom-client's process metrics with the scepgate_ prefix), so a renamed
 * metric cannot leave a silently empty panel behind.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ScepgateMetrics } from "../../../src/observability/metrics.js";
import { REPO_ROOT } from "../../harness/scepgate.js";

const FILE = path.join(REPO_ROOT, "deploy", "grafana", "scepgate.json");

/** PromQL functions, aggregations and keywords the dashboard may use (anything else that looks like a name is a metric). */
const PROMQL_WORDS = new Set([
  "sum", "min", "max", "avg", "count", "topk", "bottomk", "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset",
  "rate", "irate", "increase", "delta", "deriv", "histogram_quantile", "clamp_min", "clamp_max", "abs", "time", "vector", "scalar", "label_values",
  "max_over_time", "min_over_time", "avg_over_time", "absent", "changes", "resets",
]);

interface Panel {
  type: string;
  title: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** The metric names a PromQL expression selects: identifiers outside strings, label matchers, `by (…)` lists and ranges. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/\blabel_values\(([^,()]+),\s*\w+\)/g, "$1") // Grafana's label_values(metric, label): the label is no metric
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\$\w+/g, "");
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return names.filter((n) => !PROMQL_WORDS.has(n) && !/^\d/.test(n));
}

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

describe("deploy/grafana/scepgate.json", () => {
  const dashboard = JSON.parse(readFileSync(FILE, "utf8")) as { title: string; uid: string; panels: Panel[]; templating: { list: { query?: unknown }[] } };
  const panels = allPanels(dashboard.panels).filter((p) => p.type !== "row");
  const exprs = [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? "")),
    ...dashboard.templating.list.map((v) => (typeof v.query === "object" && v.query !== null ? String((v.query as { query?: unknown }).query ?? "") : "")),
  ].filter((e) => e !== "" && e !== "prometheus");

  it("ok/parses as a dashboard whose panels each query something", () => {
    expect(dashboard.uid).toBe("scepgate");
    expect(panels.length).toBeGreaterThanOrEqual(10);
    for (const p of panels) expect((p.targets ?? []).length, p.title).toBeGreaterThan(0);
  });

  it("ok/every metric it queries is one scepgate exports", async () => {
    const exported = new Set(await new ScepgateMetrics().seriesNames());
    const queried = [...new Set(exprs.flatMap(metricNamesIn))];
    expect(queried.length).toBeGreaterThan(8);
    expect(queried.filter((n) => !exported.has(n))).toEqual([]);
  });

  it("ok/it covers requests by outcome, latency, transactions, queues, the upstream and certificate expiry", () => {
    const queried = new Set(exprs.flatMap(metricNamesIn));
    for (const name of [
      "scepgate_scep_requests_total", "scepgate_scep_request_duration_seconds_bucket", "scepgate_transactions",
      "scepgate_forward_queue_depth", "scepgate_forward_queue_oldest_job_age_seconds", "scepgate_upstream_up",
      "scepgate_upstream_request_duration_seconds_bucket", "scepgate_upstream_requests_total", "scepgate_certificate_expiry_seconds",
    ]) expect(queried.has(name), name).toBe(true);
    expect(exprs.some((e) => /histogram_quantile\(0\.99,/.test(e) && e.includes("scepgate_scep_request_duration_seconds_bucket"))).toBe(true);
    expect(exprs.some((e) => /histogram_quantile\(0\.5,/.test(e) && e.includes("scepgate_scep_request_duration_seconds_bucket"))).toBe(true);
    expect(exprs.some((e) => /by \(outcome\)/.test(e) && e.includes("scepgate_scep_requests_total"))).toBe(true);
  });

  it("fail/the name check itself catches a metric scepgate does not export", async () => {
    const exported = new Set(await new ScepgateMetrics({ defaultMetrics: false }).seriesNames());
    expect(metricNamesIn('sum by (le) (rate(scepgate_scep_request_duration_seconds_bucket{profile=~"$profile"}[$__rate_interval]))')).toEqual(["scepgate_scep_request_duration_seconds_bucket"]);
    expect(metricNamesIn("max by (state) (scepgate_transaction_count)").filter((n) => !exported.has(n))).toEqual(["scepgate_transaction_count"]);
  });
});
