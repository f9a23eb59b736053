/**
 * Bearer-token authentication of the admin API (RFC 6750 §2.1: the
 * `Authorization: Bearer TOKEN` header only; never a query parameter, which
 * would end up in access logs). The token is compared in constant time and
 * never logged, neither when right nor when wrong.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { printable } from "./errors.js";
import type { EdgeEnv, EdgeLogger } from "./types.js";

/** RFC 6750 §2.1: `Bearer` then one or more spaces then the token (b64token characters). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** The bearer token of an Authorization header, or undefined when there is none (or another scheme). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

/** 401 `{"error":"unauthorized"}` with `WWW-Authenticate: Bearer` (RFC 6750 §3). */
export function unauthorized(c: Context<EdgeEnv>): Response {
  return c.json({ error: "unauthorized" }, 401, { "www-authenticate": "Bearer" });
}

/**
 * Middleware letting through only requests carrying `token`. Both sides are
 * hashed (SHA-256) before timingSafeEqual, so neither the content nor the
 * length of the token leaks through the time a comparison takes.
 */
export function createAdminAuth(token: string, logger: EdgeLogger): MiddlewareHandler<EdgeEnv> {
  if (token === "") throw new Error("admin API: the token must not be empty");
  const expected = sha256(token);
  return async function adminAuth(c, next) {
    const given = bearerToken(c.req.header("authorization"));
    if (given === undefined || !timingSafeEqual(sha256(given), expected)) {
      logger.warn(
        { method: c.req.method, path: printable(c.req.path, 256), reason: given === undefined ? "no bearer token" : "wrong bearer token" },
        "admin request refused",
      );
      return unauthorized(c);
    }
    await next();
  };
}
