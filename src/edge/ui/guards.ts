/**
 * The web page's middleware: security headers on every response, the session
 * from its cookie, and the CSRF checks of every state-changing request
 * (same origin by Sec-Fetch-Site or Origin, then the session's synchronizer
 * token in the `csrf` form field or the `X-CSRF-Token` header).
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { printable } from "../errors.js";
import type { EdgeEnv, EdgeLogger } from "../types.js";
import type { Session, SessionKeeper } from "./session.js";

/** The web page's hono environment: the edge's, plus the session and the parsed form. */
export interface UiEnv {
  Bindings: EdgeEnv["Bindings"];
  Variables: EdgeEnv["Variables"] & {
    session?: Session;
    /** The urlencoded or multipart body of a POST, parsed once by the CSRF check. */
    form?: Record<string, string | string[]>;
  };
}

/** Name of the session cookie (Path=/admin, so it goes to the page and nowhere else on the host). */
export const SESSION_COOKIE = "scepgate_admin_session";
const COOKIE_PATH = "/admin";

/**
 * The page's Content-Security-Policy: only our own script, style and images,
 * no inline script or style, no framing, forms only to ourselves.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

/** Sets the security headers on every response of the web page, errors included. */
export function securityHeaders(): MiddlewareHandler<UiEnv> {
  return async function uiSecurityHeaders(c, next) {
    await next();
    c.header("content-security-policy", CONTENT_SECURITY_POLICY);
    c.header("x-frame-options", "DENY");
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    c.header("cross-origin-opener-policy", "same-origin");
    c.header("cross-origin-resource-policy", "same-origin");
    c.header("cache-control", "no-store");
  };
}

/** First value of a comma-separated header, trimmed and lower-cased. */
function firstValue(header: string | undefined): string | undefined {
  const v = header?.split(",")[0]?.trim().toLowerCase();
  return v === "" ? undefined : v;
}

/** True when the request came over HTTPS (X-Forwarded-Proto counts only behind a trusted proxy). */
export function isHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  return trustProxy && firstValue(c.req.header("x-forwarded-proto")) === "https";
}

/**
 * True unless the browser says the request comes from another site.
 * Sec-Fetch-Site decides when present (only `same-origin` passes); else an
 * Origin header must name this host; a request with neither (an old browser,
 * curl) passes here and is left to the CSRF token.
 */
export function isSameOrigin(c: Context, trustProxy: boolean): boolean {
  const site = firstValue(c.req.header("sec-fetch-site"));
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("origin");
  if (origin === undefined) return true;
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return false; // includes "null" (sandboxed frames, some redirects)
  }
  const expected = (trustProxy ? firstValue(c.req.header("x-forwarded-host")) : undefined) ?? c.req.header("host") ?? new URL(c.req.url).host;
  return host === expected.toLowerCase();
}

/**
 * Sets the session cookie: HttpOnly, SameSite=Strict, Path=/admin, Secure
 * over HTTPS. A browser-session cookie (no Expires): closing the browser
 * ends it; the signed expiry inside ends it on the server's side anyway.
 */
export function setSessionCookie(c: Context, value: string, trustProxy: boolean): void {
  setCookie(c, SESSION_COOKIE, value, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: isHttps(c, trustProxy) });
}

/** Clears the session cookie. */
export function clearSessionCookie(c: Context, trustProxy: boolean): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: isHttps(c, trustProxy) });
}

/** Puts the session of the request's cookie (if valid) in `c.var.session`. */
export function loadSession(keeper: SessionKeeper): MiddlewareHandler<UiEnv> {
  return async function uiLoadSession(c, next) {
    const session = keeper.verify(getCookie(c, SESSION_COOKIE));
    if (session) c.set("session", session);
    await next();
  };
}

/** The 403 page body of a refused state-changing request. */
export type ForbiddenPage = (c: Context<UiEnv>, reason: string) => Response | Promise<Response>;

/**
 * Guards a POST: same origin, then a session whose CSRF token is in the form
 * (`csrf`) or the `X-CSRF-Token` header; anything else is 403. `needsSession`
 * false (the sign-in form) checks the origin only.
 */
export function csrfCheck(o: { keeper: SessionKeeper; trustProxy: boolean; logger: EdgeLogger; needsSession: boolean; forbidden: ForbiddenPage }): MiddlewareHandler<UiEnv> {
  return async function uiCsrfCheck(c, next) {
    const refuse = (reason: string): Response | Promise<Response> => {
      o.logger.warn({ method: c.req.method, path: printable(c.req.path, 256), reason }, "admin web page request refused");
      return o.forbidden(c, reason);
    };
    if (!isSameOrigin(c, o.trustProxy)) return refuse("cross-origin request");
    const form = await readForm(c);
    c.set("form", form);
    if (o.needsSession) {
      const session = c.get("session");
      if (!session) return refuse("no session");
      const field = form["csrf"];
      const given = typeof field === "string" ? field : c.req.header("x-csrf-token");
      if (!o.keeper.checkCsrf(session, given)) return refuse(given === undefined ? "no CSRF token" : "wrong CSRF token");
    }
    await next();
  };
}

/** The form fields of a urlencoded or multipart body; `{}` for any other body. */
async function readForm(c: Context<UiEnv>): Promise<Record<string, string | string[]>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) return {};
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(body)) {
    const strings = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
    out[key] = strings.length === 1 ? strings[0]! : strings;
  }
  return out;
}
