/** The HTTP edge: the hono app and its listener. */
export { createEdgeApp } from "./app.js";
export { createMetricsApp, type HealthRouteDeps } from "./health-routes.js";
export { ADMIN_ACTOR, createAdminApp, type AdminAppOptions, type OperatorLike } from "./admin-routes.js";
export { ADMIN_UI_ACTOR, type AdminUiOperator } from "./ui/ui-actions.js";
export { createAdminUiApp, type AdminUiOptions } from "./ui/ui-app.js";
export { startHttpServer, type HttpServer, type HttpServerOptions, type TlsIdentityPem } from "./server.js";
export { decodeMessageParam, parseScepQuery, type MessageParamResult, type ScepQuery } from "./message-param.js";
export { DEFAULT_PROFILE, SCEP_PATHS, type ScepOperation } from "./scep-routes.js";
export type { EdgeEnv, EdgeLogger, EdgeOptions } from "./types.js";
