/**
 * The admin API (mounted at /admin by the caller, only when `admin.token` is
 * configured): list, inspect, approve and reject requests, issue one-time
 * challenge passwords. JSON in, JSON out; every route needs the bearer token
 * of an operator (operator-accounts.ts), whose name is recorded as the actor
 * of its decisions. Roles: viewer lists and shows; approver also approves and
 * rejects; admin also issues one-time passwords; anything else is 403.
 *
 * - `GET  /requests?state=&profile=&limit=&full=1` → `{requests: [...]}`, pending approval first
 * - `GET  /requests/:id?full=1`                    → `{request, history}`
 * - `POST /requests/:id/approve`                   → `{request}` (approver, admin)
 * - `POST /requests/:id/reject`  `{reason}`         → `{request}` (approver, admin)
 * - `POST /otp` `{profile?, ttl?, subject?}`       → `{password, expiresAt, profile, subject?}` (admin)
 *
 * `/ui/…` is the operator web page when `ui` is given (its own auth: see ui/ui-app.ts).
 *
 * Errors are `{error}`: 400 bad input, 401 no or wrong token, 403 the role
 * may not, 404 unknown request or profile, 409 not in a state that allows it
 * (or, four eyes, already approved by this operator), 500 our fault.
 */
import { Hono, type Context, type ErrorHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { OperatorError } from "../ra/errors.js";
import type { AuditEvent, Transaction, TransactionFilter } from "../ra/ports.js";
import { createAdminAuth, requireRole, type AdminEnv } from "./admin-auth.js";
import {
  DEFAULT_OTP_TTL_MS, InputError, parseLimit, parseProfileName, parseReason, parseStateFilter, parseSubjectCn, parseTtl,
} from "./admin-input.js";
import { transactionView } from "./admin-view.js";
import { nextRequestId, printable } from "./errors.js";
import { OperatorAccounts } from "./operator-accounts.js";
import type { EdgeLogger } from "./types.js";

/** The operator use-cases the admin API calls (ra/operator.ts's Operator has them). */
export interface OperatorLike {
  list(filter: TransactionFilter): Promise<Transaction[]>;
  show(id: string): Promise<{ tx: Transaction; history: AuditEvent[] }>;
  approve(id: string, actor: string): Promise<Transaction>;
  reject(id: string, actor: string, reason: string): Promise<Transaction>;
  issueOtp(profile: string, ttlMs: number, subjectCn?: string): Promise<{ password: string; expiresAt: Date }>;
}

/** What {@link createAdminApp} needs. */
export interface AdminAppOptions {
  operator: OperatorLike;
  /** The single bearer token (`admin.token`, operator "admin", role admin); never logged. */
  token?: string | undefined;
  /** The named operators (`admin.operators`), with `token` if set; default: `token` alone. */
  accounts?: OperatorAccounts;
  logger: EdgeLogger;
  /**
   * The operator web page (ui/ui-app.ts), mounted at /ui ahead of the bearer
   * check: the page has its own sign-in and session cookie.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any sub-app, whatever its Env
  ui?: Hono<any, any, any>;
}

/**
 * Actor the admin API recorded before named operators (`admin-api`); now
 * the actor is the operator's name (`admin` for `admin.token`).
 */
export const ADMIN_ACTOR = "admin-api";

/** Largest JSON body the admin API reads. */
const BODY_LIMIT_BYTES = 16 * 1024;

/** The admin sub-app; the caller mounts it with `app.route("/admin", …)`. */
export function createAdminApp(o: AdminAppOptions): Hono<AdminEnv> {
  const { operator } = o;
  const app = new Hono<AdminEnv>();
  const decide = requireRole("decide", o.logger);
  app.onError(createAdminErrorHandler(o.logger));
  // Before the bearer check: the page's routes answer every /ui path themselves (its own 404 included).
  if (o.ui) app.route("/ui", o.ui);
  app.use("*", createAdminAuth(o.accounts ?? new OperatorAccounts({ token: o.token }), o.logger), async function noStore(c, next) {
    await next();
    c.header("cache-control", "no-store");
  });
  app.use("*", bodyLimit({ maxSize: BODY_LIMIT_BYTES, onError: (c) => c.json({ error: "request body too large" }, 413) }));

  app.get("/requests", async function listRequests(c) {
    const txs = await operator.list(listFilter(c));
    const full = wantsFull(c);
    return c.json({ requests: txs.map((tx) => transactionView(tx, full)) });
  });
  app.get("/requests/:id", async function showRequest(c) {
    const { tx, history } = await operator.show(c.req.param("id"));
    return c.json({ request: transactionView(tx, wantsFull(c)), history });
  });
  app.post("/requests/:id/approve", decide, async function approveRequest(c) {
    await jsonBody(c);
    const tx = await operator.approve(c.req.param("id"), actorOf(c));
    return c.json({ request: transactionView(tx, wantsFull(c)) });
  });
  app.post("/requests/:id/reject", decide, async function rejectRequest(c) {
    const body = await jsonBody(c);
    const reason = parseReason(body["reason"]);
    const tx = await operator.reject(c.req.param("id"), actorOf(c), reason);
    return c.json({ request: transactionView(tx, wantsFull(c)) });
  });
  app.post("/otp", requireRole("otp", o.logger), async function issueOtp(c) {
    const body = await jsonBody(c);
    const profile = body["profile"] === undefined ? "default" : parseProfileName(body["profile"]);
    const ttlMs = body["ttl"] === undefined ? DEFAULT_OTP_TTL_MS : parseTtl(body["ttl"]);
    const subject = body["subject"] === undefined ? undefined : parseSubjectCn(body["subject"]);
    const { password, expiresAt } = await operator.issueOtp(profile, ttlMs, subject);
    return c.json({ password, expiresAt: expiresAt.toISOString(), profile, ...(subject === undefined ? {} : { subject }) });
  });
  app.all("*", function adminNotFound(c) {
    return c.json({ error: "not found" }, 404);
  });
  return app;
}

function listFilter(c: Context<AdminEnv>): TransactionFilter {
  const filter: TransactionFilter = {};
  const state = c.req.query("state");
  const profile = c.req.query("profile");
  const limit = c.req.query("limit");
  if (state !== undefined && state !== "") filter.state = parseStateFilter(state);
  if (profile !== undefined && profile !== "") filter.profile = parseProfileName(profile);
  if (limit !== undefined && limit !== "") filter.limit = parseLimit(limit);
  return filter;
}

function wantsFull(c: Context<AdminEnv>): boolean {
  const full = c.req.query("full");
  return full === "1" || full === "true" || full === "yes";
}

/** The signed-in operator's name: the actor of its decisions (a body's `actor` no longer changes it). */
function actorOf(c: Context<AdminEnv>): string {
  const operator = c.get("operator");
  if (!operator) throw new Error("admin API: no operator after the bearer check");
  return operator.name;
}

/** The JSON object of the request body; an empty body is `{}`. */
async function jsonBody(c: Context<AdminEnv>): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError("body: not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InputError("body: expected a JSON object");
  return value as Record<string, unknown>;
}

/**
 * The admin API's errors as JSON `{error}`: bad input 400, unknown request or
 * profile 404, wrong state 409; anything else is our fault: 500 with a
 * request id, the detail only in the log.
 */
function createAdminErrorHandler(logger: EdgeLogger): ErrorHandler<AdminEnv> {
  return function onAdminError(err, c) {
    if (err instanceof InputError) return c.json({ error: err.message }, 400);
    if (err instanceof OperatorError) return c.json({ error: err.message }, err.code === "not-found" ? 404 : 409);
    if (err instanceof HTTPException && err.status < 500) {
      return c.json({ error: printable(err.message || "bad request", 200) }, err.status as ContentfulStatusCode);
    }
    const requestId = nextRequestId();
    c.set("requestId", requestId);
    logger.error({ err, requestId, method: c.req.method, path: printable(c.req.path, 256) }, "admin API internal error");
    return c.json({ error: "internal error", requestId }, 500, { "x-request-id": requestId });
  };
}
