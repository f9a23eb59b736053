/**
 * Signing in and out of the web page. The sign-in form posts an operator's
 * token (or the admin token); a right one gets a signed session cookie naming
 * the operator (session.ts), a wrong one
 * the form again with 401, and too many wrong ones from one address 429.
 */
import { Hono } from "hono";
import { clientAddress } from "../request-context.js";
import { clearSessionCookie, setSessionCookie, type UiEnv } from "./guards.js";
import type { Session } from "./session.js";
import type { UiContext } from "./ui-context.js";
import { signInPage } from "./views/layout.js";

/** `GET /sign-in`, `POST /sign-in`, `POST /sign-out`. */
export function createSessionRoutes(ctx: UiContext): Hono<UiEnv> {
  const { base } = ctx;
  const app = new Hono<UiEnv>();

  app.get("/sign-in", function showSignIn(c) {
    if (c.get("session")) return c.redirect(`${base}/`, 303);
    return c.html(signInPage({ base, ...(c.req.query("signed-out") === "1" ? { notice: "You have signed out." } : {}) }));
  });

  app.post("/sign-in", ctx.guard(false), async function signIn(c) {
    const address = clientAddress(c, ctx.trustProxy) ?? "unknown";
    const waitMs = ctx.limiter.retryAfterMs(address);
    if (waitMs > 0) {
      const minutes = Math.ceil(waitMs / 60_000);
      c.header("retry-after", String(Math.ceil(waitMs / 1000)));
      const error = `Too many wrong tokens from your address. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
      return c.html(signInPage({ base, error }), 429);
    }
    const token = c.get("form")?.["token"];
    const operator = typeof token === "string" ? ctx.accounts.authenticate(token) : undefined;
    if (operator === undefined) {
      ctx.limiter.fail(address);
      ctx.logger.warn({ client: address }, "admin web page sign-in refused: wrong token");
      return c.html(signInPage({ base, error: "Wrong token. Use your operator token (or admin.token) and try again." }), 401);
    }
    ctx.limiter.succeed(address);
    setSessionCookie(c, ctx.keeper.issue(operator.name).cookie, ctx.trustProxy);
    ctx.logger.info({ client: address, operator: operator.name, role: operator.role }, "admin web page sign-in");
    return c.redirect(`${base}/`, 303);
  });

  app.post("/sign-out", ctx.guard(true), function signOut(c) {
    ctx.keeper.revoke(c.get("session") as Session);
    clearSessionCookie(c, ctx.trustProxy);
    return c.redirect(`${base}/sign-in?signed-out=1`, 303);
  });
  return app;
}
