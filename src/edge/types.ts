/** Types shared by the edge's modules (kept apart so no module imports app.ts). */
import type { IncomingMessage } from "node:http";
import type { Hono } from "hono";
import type { ScepService } from "../ra/service.js";

/** pino-compatible logger: object first, message second. */
export interface EdgeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What {@link createEdgeApp} needs. */
export interface EdgeOptions {
  scep: ScepService;
  /** Largest PKIOperation message, POST body or decoded GET `message` (64 KiB is plenty). */
  bodyLimitBytes: number;
  /** Take the client address from the first X-Forwarded-For entry (behind a reverse proxy only). */
  trustProxy: boolean;
  logger: EdgeLogger;
  /** Where the access log goes (default `logger`). Its fields are fixed and never secret, so it may skip redaction. */
  accessLogger?: Pick<EdgeLogger, "info">;
  /** /readyz: true when the edge can serve (Redis reachable...). Absent: always ready. */
  ready?: () => Promise<boolean>;
  /** /metrics body (Prometheus text format; may collect first). Absent: /metrics is 404. */
  metrics?: () => string | Promise<string>;
  /** Sub-app mounted at /admin. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any sub-app, whatever its Env
  admin?: Hono<any, any, any>;
}

/**
 * Hono environment of the edge. `incoming` is there when served by
 * @hono/node-server; `app.request()` in tests may leave env out entirely.
 */
export interface EdgeEnv {
  Bindings: { incoming?: Pick<IncomingMessage, "socket"> };
  Variables: {
    /** The canonical SCEP operation, once known (for the access log). */
    operation?: string;
    /** Set when a 500 was logged under this id. */
    requestId?: string;
  };
}
