/**
 * The signed-in part of the web page: the list (and its refreshed parts),
 * one request, and the decisions. Every decision redirects (303) to the
 * list, which then shows the new state; a refused one shows the request
 * again with the reason.
 */
import { Hono, type Context } from "hono";
import { requestDetails } from "../../ra/request-details.js";
import { parseReason } from "../admin-input.js";
import type { UiEnv } from "./guards.js";
import { loadRows, readListFilter } from "./list-query.js";
import { noticeText } from "./notices.js";
import { approveMany, approveOne, rejectOne } from "./ui-actions.js";
import { canDecide, csrfOf, operatorOf, type UiContext } from "./ui-context.js";
import { detailPage } from "./views/detail.js";
import { errorPage } from "./views/layout.js";
import { listPage, liveParts, type ListModel } from "./views/list.js";

async function listModel(ctx: UiContext, c: Context<UiEnv>): Promise<ListModel> {
  const filter = readListFilter(c);
  const [{ rows, more }, stats] = await Promise.all([
    loadRows(ctx.operator, filter),
    ctx.operator.stats(filter.profile === undefined ? {} : { profile: filter.profile }),
  ]);
  const model: ListModel = {
    base: ctx.base, csrf: csrfOf(ctx, c), filter, profiles: ctx.profiles, rows, more, stats,
    approvals: (profile) => ctx.approvals(profile), canDecide: canDecide(ctx, c),
  };
  const notice = noticeText(c.req.query(), rows);
  if (notice !== undefined) model.notice = notice;
  return model;
}

async function detail(ctx: UiContext, c: Context<UiEnv>, id: string, error?: { text: string; status: 400 | 409 }): Promise<Response> {
  const { tx, history } = await ctx.operator.show(id);
  const model = {
    base: ctx.base, csrf: csrfOf(ctx, c), tx, history, details: await requestDetails(tx), ...(error ? { error: error.text } : {}),
    approvals: ctx.approvals(tx.profile), operator: operatorOf(ctx, c).name, canDecide: canDecide(ctx, c),
  };
  return c.html(detailPage(model), error?.status ?? 200);
}

/** `GET /live` (401 when signed out), then, behind a session: the pages and the decisions. */
export function createRequestRoutes(ctx: UiContext): Hono<UiEnv> {
  const { base } = ctx;
  const app = new Hono<UiEnv>();

  app.get("/live", async function liveList(c) {
    if (!c.get("session")) return c.text("signed out", 401);
    return c.html(liveParts(await listModel(ctx, c)));
  });
  app.use("*", async function requireSession(c, next) {
    if (!c.get("session") && c.req.method === "GET") return c.redirect(`${base}/sign-in`, 303);
    await next();
  });

  app.get("/", async (c) => c.html(listPage(await listModel(ctx, c))));
  app.post("*", async function requireDecider(c, next) {
    if (c.get("session") && !canDecide(ctx, c)) {
      const { name, role } = operatorOf(ctx, c);
      ctx.logger.warn({ operator: name, role, path: c.req.path }, "admin web page decision refused: role");
      return c.html(errorPage({ base, title: "Refused", text: `Operator ${name} (${role}) may not approve or reject requests.`, csrf: csrfOf(ctx, c) }), 403);
    }
    await next();
  });
  app.get("/requests/:id", (c) => detail(ctx, c, c.req.param("id")));
  app.post("/requests/approve", ctx.guard(true), async function bulkApprove(c) {
    const { ok, failed } = await approveMany(ctx.operator, c.get("form")?.["id"], operatorOf(ctx, c).name, ctx.logger);
    return c.redirect(`${base}/?notice=${ok + failed === 0 ? "none-selected" : `bulk&ok=${ok}&failed=${failed}`}`, 303);
  });
  app.post("/requests/:id/approve", ctx.guard(true), async function approve(c) {
    const id = c.req.param("id");
    const done = await approveOne(ctx.operator, id, operatorOf(ctx, c).name);
    if (done.ok) return c.redirect(`${base}/?notice=approved&id=${encodeURIComponent(id)}`, 303);
    return detail(ctx, c, id, { text: done.error, status: done.status });
  });
  app.post("/requests/:id/reject", ctx.guard(true), async function reject(c) {
    const id = c.req.param("id");
    const done = await rejectOne(ctx.operator, id, operatorOf(ctx, c).name, () => parseReason(c.get("form")?.["reason"]));
    if (done.ok) return c.redirect(`${base}/?notice=rejected&id=${encodeURIComponent(id)}`, 303);
    return detail(ctx, c, id, { text: done.error, status: done.status });
  });
  return app;
}
