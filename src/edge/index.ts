/** The HTTP edge: the hono app and its listener. */
export { createEdgeApp } from "./app.js";
export { ADMIN_ACTOR, createAdminApp, type AdminAppOptions, type OperatorLike } from "./admin-routes.js";
export { startHttpServer, type HttpServer, type HttpServerOptions } from "./server.js";
export { decodeMessageParam, parseScepQuery, type MessageParamResult, type ScepQuery } from "./message-param.js";
export { DEFAULT_PROFILE, SCEP_PATHS, type ScepOperation } from "./scep-routes.js";
export type { EdgeEnv, EdgeLogger, EdgeOptions } from "./types.js";
