import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { makeApp } from "./fakes.js";

describe("health, readiness, metrics, admin", () => {
  it("ok//healthz → 200 ok", async () => {
    const { app } = makeApp();
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    expect(await res.text()).toBe("ok");
  });

  it("ok//readyz → ready without a check, else from opts.ready", async () => {
    expect(await (await makeApp().app.request("/readyz")).text()).toBe("ready");
    let ready = false;
    const { app } = makeApp({ ready: async () => ready });
    const not = await app.request("/readyz");
    expect(not.status).toBe(503);
    expect(await not.text()).toBe("not ready");
    ready = true;
    const yes = await app.request("/readyz");
    expect(yes.status).toBe(200);
    expect(await yes.text()).toBe("ready");
  });

  it("fail//readyz check throws → 503 not ready, logged", async () => {
    const { app, entries } = makeApp({
      ready: async () => {
        throw new Error("redis down");
      },
    });
    const res = await app.request("/readyz");
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("not ready");
    expect(entries.some((e) => e.level === "warn")).toBe(true);
  });

  it("ok//metrics from opts.metrics, 404 without", async () => {
    const none = await makeApp().app.request("/metrics");
    expect(none.status).toBe(404);
    const { app } = makeApp({ metrics: () => "scepgate_requests_total 3\n" });
    const res = await app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await res.text()).toBe("scepgate_requests_total 3\n");
  });

  it("ok/health endpoints are not access-logged", async () => {
    const { app, entries } = makeApp();
    await app.request("/healthz");
    await app.request("/readyz");
    expect(entries).toHaveLength(0);
  });

  it("ok/admin sub-app mounted at /admin", async () => {
    const admin = new Hono().get("/requests", (c) => c.json({ items: [] }));
    const { app } = makeApp({ admin });
    const res = await app.request("/admin/requests");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ items: [] });
    expect((await makeApp().app.request("/admin/requests")).status).toBe(404);
  });
});
