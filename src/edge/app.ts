/**
 * The hono front of scepgate: SCEP paths, health endpoints, /admin. Built
 * once per process; all per-request work is in the handlers.
 */
import { performance } from "node:perf_hooks";
import { Hono, type MiddlewareHandler } from "hono";
import { createErrorHandler, notFound, printable } from "./errors.js";
import { createHealthRoutes } from "./health-routes.js";
import { clientAddress } from "./request-context.js";
import { createScepRoutes, SCEP_PATHS } from "./scep-routes.js";
import type { EdgeEnv, EdgeLogger, EdgeOptions } from "./types.js";

/**
 * Build the edge app. Routing is not strict, so `/scep/` and
 * `/certsrv/mscep/mscep.dll/` are the same as without the slash.
 */
export function createEdgeApp(opts: EdgeOptions): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>({ strict: false });
  app.onError(createErrorHandler(opts.logger));
  app.notFound(notFound);

  const log = accessLog(opts.accessLogger ?? opts.logger, opts.trustProxy);
  for (const path of SCEP_PATHS) app.use(path, log);
  app.route("/", createScepRoutes({ scep: opts.scep, bodyLimitBytes: opts.bodyLimitBytes, trustProxy: opts.trustProxy }));
  app.route("/", createHealthRoutes({ logger: opts.logger, ready: opts.ready, metrics: opts.metrics }));
  if (opts.admin) {
    app.use("/admin/*", log);
    app.route("/admin", opts.admin);
  }
  return app;
}

/**
 * One info line per request: method, path, operation, status, duration and
 * client address. Never the query string or the body (a PKIOperation message
 * carries an encrypted challenge password; keep logs lean anyway).
 */
function accessLog(logger: Pick<EdgeLogger, "info">, trustProxy: boolean): MiddlewareHandler<EdgeEnv> {
  return async function accessLog(c, next) {
    const start = performance.now();
    await next();
    logger.info(
      {
        method: c.req.method,
        path: printable(c.req.path, 256),
        operation: c.get("operation"),
        status: c.res.status,
        ms: Math.round((performance.now() - start) * 10) / 10,
        client: clientAddress(c, trustProxy),
        requestId: c.get("requestId"),
      },
      "request",
    );
  };
}
