/**
 * The metrics decorator around a remote upstream (src/app/metered-upstream.ts):
 * every exchange counted with what was sent and how it ended, `up` from the
 * last exchange, and a GetCACaps probe when nothing was exchanged lately.
 */
import { describe, expect, it, vi } from "vitest";
import { MeteredUpstream, PROBE_AFTER_MS, type ProbedUpstream } from "../../../src/app/metered-upstream.js";
import { ScepgateMetrics } from "../../../src/observability/metrics.js";
import { FailInfo } from "../../../src/protocol/index.js";
import { UpstreamError } from "../../../src/ra/errors.js";
import type { EnrollRequest, UpstreamResult } from "../../../src/ra/ports.js";
import { parseExposition, sampleValue } from "../../support/prom-text.js";

const REQ = { profile: "default", upstreamTransactionId: "t1", messageType: "19" } as unknown as EnrollRequest;

function fakeUpstream(results: Array<UpstreamResult | Error>, probe?: () => Promise<boolean>): ProbedUpstream {
  const next = async (): Promise<UpstreamResult> => {
    const r = results.shift();
    if (r === undefined) throw new Error("no more results");
    if (r instanceof Error) throw r;
    return r;
  };
  return {
    inline: false,
    caChain: async () => [],
    enroll: vi.fn(next),
    poll: vi.fn(next),
    getCert: async () => ({ status: "ok", certificates: [], crls: [] }),
    getCrl: async () => ({ status: "rejected", failInfo: FailInfo.badCertId, reason: "no" }),
    getNextCaCert: async () => undefined,
    ...(probe ? { probe } : {}),
  };
}

function setup(results: Array<UpstreamResult | Error>, probe?: () => Promise<boolean>) {
  const metrics = new ScepgateMetrics({ defaultMetrics: false });
  let now = 1_000_000;
  const upstream = new MeteredUpstream(fakeUpstream(results, probe), "default", metrics, () => now);
  const count = async (operation: string, outcome: string) =>
    sampleValue(parseExposition(await metrics.text()), "scepgate_upstream_requests_total", { profile: "default", operation, outcome });
  return { upstream, metrics, count, advance: (ms: number) => void (now += ms) };
}

describe("MeteredUpstream", () => {
  it("ok/answers count as SUCCESS, PENDING and FAILURE:<failInfo> under the operation sent", async () => {
    const { upstream, count, metrics } = setup([
      { status: "pending" },
      { status: "issued", certificate: new Uint8Array(1), chain: [] },
      { status: "rejected", failInfo: FailInfo.badRequest, reason: "policy" },
    ]);
    expect(await upstream.enroll(REQ)).toEqual({ status: "pending" });
    expect((await upstream.poll(REQ)).status).toBe("issued");
    expect((await upstream.enroll(REQ)).status).toBe("rejected");
    await upstream.getCert({ issuer: new Uint8Array(), serial: new Uint8Array() });
    await upstream.getCrl({ issuer: new Uint8Array(), serial: new Uint8Array() });
    expect(await count("PKCSReq", "PENDING")).toBe(1);
    expect(await count("CertPoll", "SUCCESS")).toBe(1);
    expect(await count("PKCSReq", "FAILURE:badRequest")).toBe(1);
    expect(await count("GetCert", "SUCCESS")).toBe(1);
    expect(await count("GetCRL", "FAILURE:badCertId")).toBe(1);
    const e = parseExposition(await metrics.text());
    expect(sampleValue(e, "scepgate_upstream_request_duration_seconds_count", { profile: "default", operation: "PKCSReq" })).toBe(2);
    expect(await upstream.up()).toBe(true);
  });

  it("fail/errors count by kind, HTTP by status class, and make the upstream down", async () => {
    const { upstream, count } = setup([
      new UpstreamError("refused", "unreachable"),
      new UpstreamError("slow", "timeout"),
      new UpstreamError("HTTP 503", "http", 503),
      new UpstreamError("HTTP 404", "http", 404),
      new UpstreamError("bad signer", "protocol"),
    ]);
    for (let i = 0; i < 5; i++) await expect(upstream.enroll(REQ)).rejects.toBeInstanceOf(UpstreamError);
    for (const outcome of ["unreachable", "timeout", "http_5xx", "http_4xx", "protocol"]) expect(await count("PKCSReq", outcome)).toBe(1);
    expect(await upstream.up()).toBe(false);
  });

  it("fail/an error that is not an UpstreamError (a bug) counts as error and does not change up", async () => {
    const { upstream, count } = setup([{ status: "pending" }, new TypeError("oops")]);
    await upstream.enroll(REQ);
    await expect(upstream.enroll(REQ)).rejects.toBeInstanceOf(TypeError);
    expect(await count("PKCSReq", "error")).toBe(1);
    expect(await upstream.up()).toBe(true);
  });

  it("ok/with no recent exchange, up() probes (once at a time) and reports the probe's result", async () => {
    const probe = vi.fn(async () => true);
    const { upstream, advance } = setup([new UpstreamError("refused", "unreachable")], probe);
    expect(await Promise.all([upstream.up(), upstream.up()])).toEqual([true, true]);
    expect(probe).toHaveBeenCalledTimes(1);
    await expect(upstream.enroll(REQ)).rejects.toThrow();
    expect(await upstream.up()).toBe(false); // the exchange is recent: no probe
    expect(probe).toHaveBeenCalledTimes(1);
    advance(PROBE_AFTER_MS + 1);
    expect(await upstream.up()).toBe(true);
    expect(probe).toHaveBeenCalledTimes(2);
  });

  it("fail/a probe that throws means down; without a probe nothing is known until an exchange", async () => {
    const { upstream } = setup([], async () => Promise.reject(new Error("refused")));
    expect(await upstream.up()).toBe(false);
    const { upstream: noProbe } = setup([{ status: "pending" }]);
    expect(await noProbe.up()).toBeUndefined();
    await noProbe.enroll(REQ);
    expect(await noProbe.up()).toBe(true);
  });
});
