/** What the web page's route groups share, built once by createAdminUiApp. */
import type { Context, MiddlewareHandler } from "hono";
import { may, type OperatorAccount, type OperatorAccounts } from "../operator-accounts.js";
import type { EdgeLogger } from "../types.js";
import type { UiEnv } from "./guards.js";
import type { Session, SessionKeeper } from "./session.js";
import type { SignInLimiter } from "./sign-in-limiter.js";
import type { AdminUiOperator } from "./ui-actions.js";

export interface UiContext {
  /** Where the page is mounted (`/admin/ui`): every link and redirect starts with it. */
  base: string;
  operator: AdminUiOperator;
  /** Who may sign in: the operators and their tokens' digests (and `admin.token`). */
  accounts: OperatorAccounts;
  /** Approvals a manual request of `profile` needs (four eyes: 2). */
  approvals(profile: string): number;
  keeper: SessionKeeper;
  limiter: SignInLimiter;
  logger: EdgeLogger;
  trustProxy: boolean;
  profiles: readonly string[];
  /** The CSRF check of a POST; `needsSession` false for the sign-in form (origin only). */
  guard(needsSession: boolean): MiddlewareHandler<UiEnv>;
}

/** The signed-in operator of the request's session; a session of an operator no longer configured is a viewer with no name. */
export function operatorOf(ctx: UiContext, c: Context<UiEnv>): OperatorAccount {
  const name = (c.get("session") as Session).operator;
  return ctx.accounts.byName(name) ?? { name, role: "viewer" };
}

/** True when the signed-in operator may approve and reject. */
export function canDecide(ctx: UiContext, c: Context<UiEnv>): boolean {
  return may(operatorOf(ctx, c).role, "decide");
}

/** The CSRF token of the request's session (only on routes that require one). */
export function csrfOf(ctx: UiContext, c: Context<UiEnv>): string {
  return ctx.keeper.csrfToken(c.get("session") as Session);
}
