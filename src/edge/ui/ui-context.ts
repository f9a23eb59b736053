/** What the web page's route groups share, built once by createAdminUiApp. */
import type { Context, MiddlewareHandler } from "hono";
import type { EdgeLogger } from "../types.js";
import type { UiEnv } from "./guards.js";
import type { Session, SessionKeeper } from "./session.js";
import type { SignInLimiter } from "./sign-in-limiter.js";
import type { AdminUiOperator } from "./ui-actions.js";

export interface UiContext {
  /** Where the page is mounted (`/admin/ui`): every link and redirect starts with it. */
  base: string;
  operator: AdminUiOperator;
  /** The admin token operators sign in with. */
  token: string;
  keeper: SessionKeeper;
  limiter: SignInLimiter;
  logger: EdgeLogger;
  trustProxy: boolean;
  profiles: readonly string[];
  /** The CSRF check of a POST; `needsSession` false for the sign-in form (origin only). */
  guard(needsSession: boolean): MiddlewareHandler<UiEnv>;
}

/** The CSRF token of the request's session (only on routes that require one). */
export function csrfOf(ctx: UiContext, c: Context<UiEnv>): string {
  return ctx.keeper.csrfToken(c.get("session") as Session);
}
