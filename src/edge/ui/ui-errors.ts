/**
 * The web page's errors as pages: 400 bad input, 403 refused (no session or
 * no CSRF token), 404 unknown request or path, 409 not in a state that
 * allows it; anything else 500 with a request id, the detail only in the log.
 */
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { OperatorError } from "../../ra/errors.js";
import { InputError } from "../admin-input.js";
import { nextRequestId, printable } from "../errors.js";
import type { EdgeLogger } from "../types.js";
import type { UiEnv } from "./guards.js";
import type { Session } from "./session.js";
import { errorPage } from "./views/layout.js";

const TITLES: Partial<Record<number, string>> = { 400: "Bad request", 403: "Refused", 404: "Not found", 409: "Not possible now", 413: "Too large" };

function page(c: Context<UiEnv>, status: ContentfulStatusCode, text: string, base: string, csrf?: string): Response | Promise<Response> {
  const title = TITLES[status] ?? "Error";
  return c.html(errorPage({ base, title, text, ...(csrf === undefined ? {} : { csrf }) }), status);
}

/** The 403 page of a POST refused by the CSRF check. */
export function forbiddenPage(base: string) {
  return function uiForbidden(c: Context<UiEnv>): Response | Promise<Response> {
    const text = "This request was refused: it did not come from this page with a valid session. Reload the page (or sign in again) and retry.";
    return page(c, 403, text, base);
  };
}

/** The 404 page of every path the page does not serve. */
export function notFoundPage(base: string) {
  return function uiNotFound(c: Context<UiEnv>): Response | Promise<Response> {
    return page(c, 404, "There is no such page here.", base);
  };
}

export function createUiErrorHandler(base: string, logger: EdgeLogger, csrfFor: (s: Session) => string): ErrorHandler<UiEnv> {
  return function onUiError(err, c) {
    const session = c.get("session");
    const csrf = session ? csrfFor(session) : undefined;
    if (err instanceof InputError) return page(c, 400, err.message, base, csrf);
    if (err instanceof OperatorError) return page(c, err.code === "not-found" ? 404 : 409, err.message, base, csrf);
    if (err instanceof HTTPException && err.status < 500) return page(c, err.status as ContentfulStatusCode, printable(err.message || "bad request", 200), base, csrf);
    const requestId = nextRequestId();
    c.set("requestId", requestId);
    logger.error({ err, requestId, method: c.req.method, path: printable(c.req.path, 256) }, "admin web page internal error");
    c.header("x-request-id", requestId);
    return page(c, 500, `Something went wrong on our side (request ${requestId}; the details are in the log).`, base, csrf);
  };
}
