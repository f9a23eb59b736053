/**
 * The child side of `serve --processes N` (see cluster-supervisor.ts): wait
 * for the role the supervisor assigns, say when listening, and stop when the
 * supervisor is gone (the listening socket is the supervisor's: an orphaned
 * child could serve nothing new).
 */
import cluster from "node:cluster";
import type { ChildReady, ChildRole, MetricsAnswer, MetricsRequest, RoleRequest } from "./cluster-supervisor.js";

/** True in a process forked by the serve supervisor. */
export function isServeChild(): boolean {
  return cluster.isWorker;
}

/** The role the supervisor sends right after the fork. */
export function roleFromSupervisor(): Promise<ChildRole> {
  return new Promise((resolve) => {
    const onMessage = (m: Partial<ChildRole>): void => {
      if (m?.type !== "scepgate-role") return;
      process.off("message", onMessage);
      resolve(m as ChildRole);
    };
    process.on("message", onMessage);
    const ask: RoleRequest = { type: "scepgate-role-request" };
    process.send?.(ask);
  });
}

export function reportReady(url: string): void {
  const m: ChildReady = { type: "scepgate-ready", url };
  process.send?.(m);
}

/** Calls `stop` when the IPC channel to the supervisor closes (it died or was killed). */
export function stopWhenOrphaned(stop: () => void): void {
  process.once("disconnect", stop);
}

/** Longest a scrape waits for the supervisor's aggregation (prom-client's own per-child timeout is 5 s). */
const CLUSTER_SCRAPE_TIMEOUT_MS = 8_000;
let nextScrape = 0;
const scrapes = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();

/**
 * `/metrics` of a child: the whole cluster's metrics, aggregated by the
 * supervisor (a scrape lands on whichever child the connection was handed
 * to, so a child's own counters would be a random share).
 */
export function clusterMetricsText(): Promise<string> {
  if (scrapes.size === 0) process.on("message", onMetricsAnswer);
  const id = nextScrape++;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => settle(id, new Error(`the supervisor did not aggregate the metrics within ${CLUSTER_SCRAPE_TIMEOUT_MS} ms`)), CLUSTER_SCRAPE_TIMEOUT_MS);
    timer.unref();
    scrapes.set(id, {
      resolve: (text) => (clearTimeout(timer), resolve(text)),
      reject: (err) => (clearTimeout(timer), reject(err)),
    });
    const ask: MetricsRequest = { type: "scepgate-metrics-request", id };
    process.send?.(ask);
  });
}

function onMetricsAnswer(m: Partial<MetricsAnswer>): void {
  if (m?.type !== "scepgate-metrics" || typeof m.id !== "number") return;
  settle(m.id, m.text ?? new Error(m.error ?? "no metrics"));
}

function settle(id: number, result: string | Error): void {
  const waiting = scrapes.get(id);
  if (!waiting) return;
  scrapes.delete(id);
  if (scrapes.size === 0) process.off("message", onMetricsAnswer);
  if (typeof result === "string") waiting.resolve(result);
  else waiting.reject(result);
}
