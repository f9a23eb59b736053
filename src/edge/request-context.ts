/** Who is asking: client address and User-Agent, for the RA and the access log. */
import type { Context } from "hono";
import type { RequestContext } from "../ra/ports.js";
import { printable } from "./errors.js";
import type { EdgeEnv } from "./types.js";

/**
 * The client's address: the first X-Forwarded-For entry when `trustProxy`
 * (the edge sits behind a reverse proxy that sets it), else the socket's
 * remote address. Undefined when neither is known (e.g. `app.request()` in
 * tests). Read from the socket directly, as `getConnInfo` from
 * @hono/node-server/conninfo does, minus its object and its throw when there
 * is no socket.
 */
export function clientAddress(c: Context<EdgeEnv>, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const xff = c.req.header("x-forwarded-for");
    if (xff) {
      const comma = xff.indexOf(",");
      const first = (comma < 0 ? xff : xff.slice(0, comma)).trim();
      if (first) return printable(first, 64);
    }
  }
  return c.env?.incoming?.socket?.remoteAddress;
}

/** The RequestContext handed to ScepService.pkiOperation. */
export function requestContext(c: Context<EdgeEnv>, trustProxy: boolean): RequestContext {
  const context: RequestContext = {};
  const address = clientAddress(c, trustProxy);
  if (address !== undefined) context.clientAddress = address;
  const ua = c.req.header("user-agent");
  if (ua) context.userAgent = printable(ua, 256);
  return context;
}
