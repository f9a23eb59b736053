/** `scepgate serve`: the HTTP front and, unless told otherwise, the forward workers in one process. */
import { createAdminApp, createAdminUiApp, createEdgeApp, startHttpServer, type HttpServer } from "../edge/index.js";
import { unredactedChild } from "../observability/logger.js";
import { pingRedis } from "../store/index.js";
import { MeteredScepService } from "./metered-scep-service.js";
import { retentionMetrics } from "./metrics-wiring.js";
import { approvalsByProfile, operatorAccounts, sessionKeyOf } from "./admin-operators.js";
import { readListenerIdentity } from "./tls-files.js";
import type { Runtime } from "./runtime.js";
import { startWorkers, type WorkersHandle } from "./workers.js";

export interface Serving {
  server: HttpServer;
  url: string;
  /** What SIGHUP does: re-reads `listen.tls` (new connections get it; a bad one is logged and the current one kept). */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServeOptions {
  workers: boolean;
  /** What `/metrics` answers instead of this process's registry (a cluster child: the supervisor's aggregate). */
  metricsText?: () => Promise<string>;
}

export async function serve(rt: Runtime, opts: ServeOptions = { workers: true }): Promise<Serving> {
  const { config } = rt.loaded;
  const metrics = rt.metrics;
  const admin = await adminApp(rt);
  const app = createEdgeApp({
    scep: metrics ? new MeteredScepService(rt.service, metrics) : rt.service,
    bodyLimitBytes: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    logger: rt.logger,
    accessLogger: unredactedChild(rt.logger),
    ready: () => pingRedis(rt.redis.redis),
    metrics: metrics ? (opts.metricsText ?? (() => metrics.text())) : undefined,
    admin,
  });
  const workers: WorkersHandle | undefined = opts.workers ? await startWorkers(rt, retentionMetrics(metrics)) : undefined;
  let server: HttpServer;
  try {
    const tls = config.listen.tls && (await readListenerIdentity(config.listen.tls));
    if (tls) rt.logger.info(tls.summary, "HTTPS listener certificate");
    server = await startHttpServer(app, { host: config.listen.host, port: config.listen.port, tls: tls?.pem });
  } catch (err) {
    await workers?.close();
    throw err;
  }
  const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  const origin = `${server.secure ? "https" : "http"}://${host}:${server.port}`;
  const url = `${origin}/scep`;
  rt.logger.info(
    { url, profiles: rt.profiles.map((p) => p.name), redis: rt.redis.description, config: rt.loaded.source },
    "scepgate listening",
  );
  if (!admin && rt.loaded.source === "defaults") {
    rt.logger.info({}, `the operator page is off: set admin.token (or SCEPGATE_ADMIN_TOKEN, 16+ characters) and open ${origin}/admin/ui`);
  }
  return {
    server,
    url,
    reload: async () => {
      if (!config.listen.tls) {
        rt.logger.info({}, "SIGHUP: nothing to reload (listen.tls is not set)");
        return;
      }
      try {
        const tls = await readListenerIdentity(config.listen.tls);
        server.setTlsIdentity(tls.pem);
        rt.logger.info(tls.summary, "SIGHUP: HTTPS listener certificate reloaded");
      } catch (err) {
        rt.logger.error({ err: (err as Error).message }, "SIGHUP: HTTPS listener certificate not reloaded, the current one stays");
      }
    },
    stop: async () => {
      await server.close();
      await workers?.close(); // lets active forward steps finish: none is lost or sent twice
      await rt.close();
    },
  };
}

/** The admin API at /admin with the operator web page at /admin/ui (both behind `admin.token` / `admin.operators`); undefined when neither is set. */
async function adminApp(rt: Runtime): Promise<ReturnType<typeof createAdminApp> | undefined> {
  const { config } = rt.loaded;
  const accounts = operatorAccounts(config);
  if (!accounts) return undefined;
  const ui = createAdminUiApp({
    operator: rt.operator,
    ...(await sessionKeyOf(rt)),
    accounts,
    approvals: approvalsByProfile(config),
    logger: rt.logger,
    trustProxy: config.http.trustProxy,
    profiles: rt.profiles.map((p) => p.name),
  });
  return createAdminApp({ operator: rt.operator, accounts, logger: rt.logger, ui });
}
