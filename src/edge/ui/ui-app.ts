/**
 * The operator web page (mounted at /admin/ui inside the admin API, only when
 * an operator is configured): sign in with an operator token (or the admin
 * token), see the requests, approve and reject them (approvers and admins). Server-rendered HTML, one small script, one
 * stylesheet; every POST is CSRF-checked (see guards.ts).
 *
 * - `GET  /assets/admin-ui.js|css`                the script and stylesheet
 * - `GET  /sign-in`, `POST /sign-in` `token`     the session cookie (session-routes.ts)
 * - `POST /sign-out` `csrf`
 * - `GET  /?state=&profile=&q=`                   the list; `GET /live?…` its refreshed parts
 * - `GET  /requests/:id`                          one request
 * - `POST /requests/:id/approve` `csrf`           → 303 to the list
 * - `POST /requests/:id/reject` `csrf, reason`    → 303 to the list
 * - `POST /requests/approve` `csrf, id…`          bulk approve → 303 to the list
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { OperatorAccounts } from "../operator-accounts.js";
import type { EdgeLogger } from "../types.js";
import { loadAssets } from "./assets.js";
import { csrfCheck, loadSession, securityHeaders, type UiEnv } from "./guards.js";
import { createRequestRoutes } from "./request-routes.js";
import { createSessionRoutes } from "./session-routes.js";
import { SessionKeeper } from "./session.js";
import { SignInLimiter } from "./sign-in-limiter.js";
import type { AdminUiOperator } from "./ui-actions.js";
import type { UiContext } from "./ui-context.js";
import { createUiErrorHandler, forbiddenPage, notFoundPage } from "./ui-errors.js";

/** What {@link createAdminUiApp} needs. */
export interface AdminUiOptions {
  operator: AdminUiOperator;
  /** The admin token (`admin.token`, operator "admin"): never logged, never in a cookie. */
  token?: string | undefined;
  /** The named operators (with `token` if set); default: `token` alone. */
  accounts?: OperatorAccounts;
  /** What session cookies are signed with when there is no `token` (shared by the fronts: uiSessionSecret). */
  sessionSecret?: Uint8Array;
  /** Approvals a manual request of a profile needs (default 1). */
  approvals?: (profile: string) => number;
  logger: EdgeLogger;
  /** Behind a reverse proxy: client address from X-Forwarded-For, HTTPS from X-Forwarded-Proto. */
  trustProxy: boolean;
  /** Profile names, for the profile filter. */
  profiles: readonly string[];
  /** Where the page is mounted (default `/admin/ui`). */
  base?: string;
  sessionLifetimeMs?: number;
  limiter?: SignInLimiter;
}

const BODY_LIMIT_BYTES = 64 * 1024;

function uiContext(o: AdminUiOptions): UiContext {
  const base = o.base ?? "/admin/ui";
  const accounts = o.accounts ?? new OperatorAccounts({ token: o.token });
  const keeper = new SessionKeeper({
    token: o.token,
    secret: o.token === undefined ? o.sessionSecret : undefined,
    binding: (name) => accounts.byName(name)?.tokenSha256,
    ...(o.sessionLifetimeMs === undefined ? {} : { lifetimeMs: o.sessionLifetimeMs }),
  });
  const forbidden = forbiddenPage(base);
  return {
    base,
    operator: o.operator,
    accounts,
    approvals: o.approvals ?? (() => 1),
    keeper,
    limiter: o.limiter ?? new SignInLimiter(),
    logger: o.logger,
    trustProxy: o.trustProxy,
    profiles: o.profiles,
    guard: (needsSession) => csrfCheck({ keeper, trustProxy: o.trustProxy, logger: o.logger, needsSession, forbidden }),
  };
}

/** The web page's sub-app; the admin API mounts it at /ui. */
export function createAdminUiApp(o: AdminUiOptions): Hono<UiEnv> {
  const ctx = uiContext(o);
  const assets = loadAssets();
  const notFound = notFoundPage(ctx.base);
  const app = new Hono<UiEnv>();
  app.onError(createUiErrorHandler(ctx.base, o.logger, (s) => ctx.keeper.csrfToken(s)));
  app.use("*", securityHeaders(), loadSession(ctx.keeper));
  app.use("*", bodyLimit({ maxSize: BODY_LIMIT_BYTES, onError: (c) => c.text("request body too large", 413) }));
  app.get("/assets/:name", function uiAsset(c) {
    const asset = assets.get(c.req.param("name"));
    return asset ? c.body(asset.body, 200, { "content-type": asset.contentType }) : notFound(c);
  });
  // Order matters: the sign-in routes answer without a session; the request routes then require one.
  app.route("/", createSessionRoutes(ctx));
  app.route("/", createRequestRoutes(ctx));
  app.all("*", notFound);
  return app;
}
