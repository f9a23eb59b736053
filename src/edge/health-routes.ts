/** Liveness, readiness and metrics endpoints for orchestrators and Prometheus. */
import { Hono } from "hono";
import { createErrorHandler, notFound, textLine } from "./errors.js";
import type { EdgeEnv, EdgeLogger } from "./types.js";

/** Prometheus text exposition format, version 0.0.4. */
const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

export interface HealthRouteDeps {
  logger: EdgeLogger;
  ready?: () => Promise<boolean>;
  /** The Prometheus text (may collect first); absent: /metrics is 404. */
  metrics?: () => string | Promise<string>;
}

/**
 * `/healthz` 200 `ok` while the process answers; `/readyz` 200 `ready` or 503
 * `not ready` (also when the check throws); `/metrics` the metrics text, or
 * 404 when there are none.
 */
export function createHealthRoutes(deps: HealthRouteDeps): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  const { ready, metrics, logger } = deps;
  app.get("/healthz", function healthz(c) {
    return textLine(c, 200, "ok");
  });
  app.get("/readyz", async function readyz(c) {
    let isReady = true;
    if (ready) {
      try {
        isReady = await ready();
      } catch (err) {
        logger.warn({ err }, "readiness check failed");
        isReady = false;
      }
    }
    return isReady ? textLine(c, 200, "ready") : textLine(c, 503, "not ready");
  });
  app.get("/metrics", async function metricsText(c) {
    if (!metrics) return textLine(c, 404, "not found");
    return c.body(await metrics(), 200, { "content-type": PROMETHEUS_TEXT });
  });
  return app;
}

/**
 * The HTTP app of a process that serves no SCEP (`scepgate worker` on
 * `workers.metricsPort`): `/metrics`, `/healthz` and `/readyz` only;
 * everything else is 404.
 */
export function createMetricsApp(deps: HealthRouteDeps): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>({ strict: false });
  app.onError(createErrorHandler(deps.logger));
  app.notFound(notFound);
  app.route("/", createHealthRoutes(deps));
  return app;
}
