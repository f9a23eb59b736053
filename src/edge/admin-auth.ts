/**
 * Bearer-token authentication of the admin API (RFC 6750 §2.1: the
 * `Authorization: Bearer TOKEN` header only; never a query parameter, which
 * would end up in access logs) as one of the operators, and their roles. The
 * token is compared in constant time and never logged, neither when right
 * nor when wrong.
 */
import type { Context, MiddlewareHandler } from "hono";
import { printable } from "./errors.js";
import { may, OperatorAccounts, type OperatorAccount, type OperatorAction } from "./operator-accounts.js";
import type { EdgeEnv, EdgeLogger } from "./types.js";

/** RFC 6750 §2.1: `Bearer` then one or more spaces then the token (b64token characters). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The bearer token of an Authorization header, or undefined when there is none (or another scheme). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

/** 401 `{"error":"unauthorized"}` with `WWW-Authenticate: Bearer` (RFC 6750 §3). */
export function unauthorized(c: Context<EdgeEnv>): Response {
  return c.json({ error: "unauthorized" }, 401, { "www-authenticate": "Bearer" });
}

/** The admin API's hono environment: the edge's, plus the signed-in operator. */
export interface AdminEnv {
  Bindings: EdgeEnv["Bindings"];
  Variables: EdgeEnv["Variables"] & { operator?: OperatorAccount };
}

/**
 * Middleware letting through only requests carrying the token of an
 * operator (`accounts`, or the single token), whom it puts in
 * `c.var.operator`. The presented token is hashed (SHA-256) and compared with
 * timingSafeEqual against every operator's digest (see OperatorAccounts), so
 * neither its content nor its length nor which operator it is leaks through
 * the time taken.
 */
export function createAdminAuth(accounts: OperatorAccounts | string, logger: EdgeLogger): MiddlewareHandler<AdminEnv> {
  const operators = typeof accounts === "string" ? new OperatorAccounts({ token: accounts }) : accounts;
  if (operators.size === 0) throw new Error("admin API: no operator and no token");
  return async function adminAuth(c, next) {
    const given = bearerToken(c.req.header("authorization"));
    const operator = given === undefined ? undefined : operators.authenticate(given);
    if (operator === undefined) {
      logger.warn(
        { method: c.req.method, path: printable(c.req.path, 256), reason: given === undefined ? "no bearer token" : "wrong bearer token" },
        "admin request refused",
      );
      return unauthorized(c);
    }
    c.set("operator", operator);
    await next();
  };
}

/**
 * Middleware refusing (403 `{error}`) an operator whose role may not do
 * `action`; after {@link createAdminAuth}.
 */
export function requireRole(action: OperatorAction, logger: EdgeLogger): MiddlewareHandler<AdminEnv> {
  return async function adminRole(c, next) {
    const operator = c.get("operator");
    if (!operator || !may(operator.role, action)) {
      const who = operator ? `operator ${operator.name} (${operator.role})` : "no operator";
      logger.warn({ method: c.req.method, path: printable(c.req.path, 256), operator: operator?.name, role: operator?.role }, "admin request forbidden");
      return c.json({ error: `forbidden: ${who} may not ${ACTION_TEXT[action]}` }, 403);
    }
    await next();
  };
}

const ACTION_TEXT: Record<OperatorAction, string> = { view: "view requests", decide: "approve or reject requests", otp: "issue one-time passwords" };
