/**
 * The metrics decorator around the ScepService (src/app/metered-scep-service.ts),
 * driven through the real edge app: each answer of a known profile is counted
 * once with its outcome and timed; the edge's own refusals count as http_4xx;
 * a throw as http_5xx; label values stay bounded.
 */
import { describe, expect, it } from "vitest";
import { MeteredScepService } from "../../../src/app/metered-scep-service.js";
import { createEdgeApp } from "../../../src/edge/app.js";
import { ScepgateMetrics } from "../../../src/observability/metrics.js";
import type { PkiOperationResult } from "../../../src/ra/service.js";
import { parseExposition, sampleValue, samplesOf, type Exposition } from "../../support/prom-text.js";
import { CERTREP, fakeScep, recordingLogger } from "../edge/fakes.js";

const BODY = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);

function setup(pki?: (profile: string, message: Uint8Array) => Promise<PkiOperationResult>) {
  const metrics = new ScepgateMetrics({ defaultMetrics: false });
  const { scep } = fakeScep(pki);
  const { logger } = recordingLogger();
  const app = createEdgeApp({ scep: new MeteredScepService(scep, metrics), bodyLimitBytes: 1024, trustProxy: false, logger, metrics: () => metrics.text() });
  const scrape = async (): Promise<Exposition> => parseExposition(await (await app.request("/metrics")).text());
  const post = (path: string) => app.request(path, { method: "POST", body: BODY });
  return { app, scrape, post, scep };
}

const PKCSREQ = { profile: "default", operation: "PKIOperation", message_type: "PKCSReq" };
const requests = (e: Exposition, labels: Record<string, string>) => sampleValue(e, "scepgate_scep_requests_total", labels);

describe("MeteredScepService", () => {
  it("ok/GetCACaps and GetCACert count as SUCCESS under message_type none, once per request, and are timed", async () => {
    const { app, scrape } = setup();
    for (let i = 0; i < 3; i++) expect((await app.request("/scep?operation=GetCACaps")).status).toBe(200);
    expect((await app.request("/scep/vpn?operation=GetCACert")).status).toBe(200);
    const e = await scrape();
    expect(requests(e, { profile: "default", operation: "GetCACaps", message_type: "none", outcome: "SUCCESS" })).toBe(3);
    expect(requests(e, { profile: "vpn", operation: "GetCACert", message_type: "none", outcome: "SUCCESS" })).toBe(1);
    expect(sampleValue(e, "scepgate_scep_request_duration_seconds_count", { profile: "default", operation: "GetCACaps", message_type: "none" })).toBe(3);
    expect(samplesOf(e, "scepgate_scep_requests_total")).toHaveLength(2);
  });

  it("ok/a CertRep counts with its messageType and pkiStatus", async () => {
    const statuses: PkiOperationResult[] = [
      { kind: "certrep", body: CERTREP, summary: { messageType: "PKCSReq", pkiStatus: "SUCCESS" } },
      { kind: "certrep", body: CERTREP, summary: { messageType: "PKCSReq", pkiStatus: "PENDING" } },
      { kind: "certrep", body: CERTREP, summary: { messageType: "CertPoll", pkiStatus: "PENDING" } },
    ];
    const { post, scrape } = setup(async () => statuses.shift()!);
    for (let i = 0; i < 3; i++) expect((await post("/scep?operation=PKIOperation")).status).toBe(200);
    const e = await scrape();
    expect(requests(e, { ...PKCSREQ, outcome: "SUCCESS" })).toBe(1);
    expect(requests(e, { ...PKCSREQ, outcome: "PENDING" })).toBe(1);
    expect(requests(e, { ...PKCSREQ, message_type: "CertPoll", outcome: "PENDING" })).toBe(1);
    expect(sampleValue(e, "scepgate_scep_request_duration_seconds_count", PKCSREQ)).toBe(2);
  });

  it("fail/a FAILURE counts under FAILURE:<failInfo name>", async () => {
    const { post, scrape } = setup(async () => ({ kind: "certrep", body: CERTREP, summary: { messageType: "PKCSReq", pkiStatus: "FAILURE", failInfo: "badRequest" } }));
    await post("/scep?operation=PKIOperation");
    await post("/scep?operation=PKIOperation");
    expect(requests(await scrape(), { ...PKCSREQ, outcome: "FAILURE:badRequest" })).toBe(2);
  });

  it("fail/a body that is not a pkiMessage (HTTP 400 from the service) counts as http_4xx", async () => {
    const { post, scrape } = setup(async () => ({ kind: "malformed", reason: "not a SCEP pkiMessage" }));
    expect((await post("/scep?operation=PKIOperation")).status).toBe(400);
    const e = await scrape();
    expect(requests(e, { profile: "default", operation: "PKIOperation", message_type: "unknown", outcome: "http_4xx" })).toBe(1);
    expect(sampleValue(e, "scepgate_scep_request_duration_seconds_count", { profile: "default", operation: "PKIOperation", message_type: "unknown" })).toBe(1);
  });

  it("fail/the edge's own refusals (bad base64, too large, no operation) count as http_4xx of their profile", async () => {
    const { app, scrape, scep } = setup();
    expect((await app.request("/scep?operation=PKIOperation&message=%25%25%25")).status).toBe(400);
    expect((await app.request("/scep/wifi?operation=PKIOperation", { method: "POST", body: new Uint8Array(2048) })).status).toBe(413);
    expect((await app.request("/scep/wifi")).status).toBe(400);
    expect((await app.request("/scep/wifi?operation=Bogus")).status).toBe(400);
    expect((await app.request("/scep/nosuch?operation=GetCACaps")).status).toBe(404); // unknown profile: not a label value
    const e = await scrape();
    expect(requests(e, { profile: "default", operation: "PKIOperation", message_type: "unknown", outcome: "http_4xx" })).toBe(1);
    expect(requests(e, { profile: "wifi", operation: "PKIOperation", message_type: "unknown", outcome: "http_4xx" })).toBe(1);
    expect(requests(e, { profile: "wifi", operation: "unknown", message_type: "none", outcome: "http_4xx" })).toBe(2);
    expect(samplesOf(e, "scepgate_scep_requests_total")).toHaveLength(3);
    expect(samplesOf(e, "scepgate_scep_requests_total", { profile: "nosuch" })).toEqual([]);
    expect(scep.pkiOperation).not.toHaveBeenCalled();
  });

  it("fail/GetNextCACert without a rollover certificate counts as http_4xx, with one as SUCCESS", async () => {
    const { app, scrape } = setup();
    expect((await app.request("/scep?operation=GetNextCACert")).status).toBe(404);
    expect((await app.request("/scep/vpn?operation=GetNextCACert")).status).toBe(200);
    const e = await scrape();
    expect(requests(e, { profile: "default", operation: "GetNextCACert", message_type: "none", outcome: "http_4xx" })).toBe(1);
    expect(requests(e, { profile: "vpn", operation: "GetNextCACert", message_type: "none", outcome: "SUCCESS" })).toBe(1);
  });

  it("fail/a service that throws counts as http_5xx and the edge still answers 500", async () => {
    const { post, scrape } = setup(async () => {
      throw new Error("redis gone");
    });
    expect((await post("/scep?operation=PKIOperation")).status).toBe(500);
    expect(requests(await scrape(), { profile: "default", operation: "PKIOperation", message_type: "unknown", outcome: "http_5xx" })).toBe(1);
  });

  it("ok/answers are passed through unchanged", async () => {
    const { app, post } = setup();
    expect(await (await app.request("/scep?operation=GetCACaps")).text()).toContain("SCEPStandard");
    expect(new Uint8Array(await (await post("/scep?operation=PKIOperation")).arrayBuffer())).toEqual(CERTREP);
  });
});
