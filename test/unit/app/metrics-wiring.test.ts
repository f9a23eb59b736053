/**
 * The metrics wiring of the composition root (src/app/metrics-wiring.ts):
 * which upstreams get metered, the certificate and upstream sources a scrape
 * reads, the retention sweep's counter, and no worker listener without
 * `workers.metricsPort`.
 */
import { describe, expect, it } from "vitest";
import { MeteredUpstream } from "../../../src/app/metered-upstream.js";
import { certificateExpiries, meterUpstreams, retentionMetrics, startMetricsListener, upstreamStates } from "../../../src/app/metrics-wiring.js";
import type { Config } from "../../../src/config/index.js";
import { ScepgateMetrics } from "../../../src/observability/metrics.js";
import type { Profile } from "../../../src/ra/profile.js";
import type { RetentionSweepResult } from "../../../src/store/index.js";
import { parseExposition, sampleValue } from "../../support/prom-text.js";
import { testPki } from "../../support/pki.js";

async function profile(name: string, o: { inline: boolean; encryption?: boolean; chain?: () => Promise<Uint8Array[]> }): Promise<Profile> {
  const { ca, ra, device } = await testPki();
  const upstream = {
    inline: o.inline,
    caChain: o.chain ?? (async () => [ca.cert.der]),
    probe: async () => true,
    enroll: async () => ({ status: "pending" as const }),
  };
  return {
    name,
    identity: { signer: { cert: ra.cert, key: ra.key }, decryption: [], certificates: o.encryption ? [ra.cert, device.cert] : [ra.cert] },
    upstream,
  } as unknown as Profile;
}

describe("metrics wiring", () => {
  it("ok/only remote upstreams are wrapped; the profiles are otherwise the same", async () => {
    const [inline, remote] = [await profile("dev", { inline: true }), await profile("corp", { inline: false })];
    const metered = meterUpstreams([inline, remote], new ScepgateMetrics({ defaultMetrics: false }));
    expect(metered[0]).toBe(inline);
    expect(metered[1]!.upstream).toBeInstanceOf(MeteredUpstream);
    expect(metered[1]!.upstream.inline).toBe(false);
    expect({ ...metered[1], upstream: undefined }).toEqual({ ...remote, upstream: undefined });
  });

  it("ok/certificate expiry: the RA signer, the separate encryption certificate (else the signer's) and the issuing CA", async () => {
    const { ca, ra, device } = await testPki();
    const rows = await certificateExpiries([await profile("one", { inline: true }), await profile("two", { inline: true, encryption: true })]);
    expect(rows).toEqual([
      { profile: "one", cert: "ra-signer", notAfter: ra.cert.notAfter },
      { profile: "one", cert: "ra-encryption", notAfter: ra.cert.notAfter },
      { profile: "one", cert: "ca", notAfter: ca.cert.notAfter },
      { profile: "two", cert: "ra-signer", notAfter: ra.cert.notAfter },
      { profile: "two", cert: "ra-encryption", notAfter: device.cert.notAfter },
      { profile: "two", cert: "ca", notAfter: ca.cert.notAfter },
    ]);
  });

  it("fail/a CA chain that cannot be fetched leaves only the ca sample out", async () => {
    const down = await profile("down", { inline: false, chain: async () => Promise.reject(new Error("unreachable")) });
    const slow = await profile("slow", { inline: false, chain: () => new Promise(() => undefined) });
    const rows = await certificateExpiries([down, slow]);
    expect(rows.map((r) => `${r.profile}/${r.cert}`)).toEqual(["down/ra-signer", "down/ra-encryption", "slow/ra-signer", "slow/ra-encryption"]);
  });

  it("ok/upstream states: 1 for the embedded CA, the probe for a metered remote one, nothing for an unmetered one", async () => {
    const metrics = new ScepgateMetrics({ defaultMetrics: false });
    const [inline, remote] = meterUpstreams([await profile("dev", { inline: true }), await profile("corp", { inline: false })], metrics);
    const unmetered = await profile("raw", { inline: false });
    expect(await upstreamStates([inline!, remote!, unmetered])).toEqual([{ profile: "dev", up: true }, { profile: "corp", up: true }]);
  });

  it("ok/the retention sweep's result is counted per profile", async () => {
    const metrics = new ScepgateMetrics({ defaultMetrics: false });
    const { retention } = retentionMetrics(metrics);
    retention!.onSweep({ byProfile: { default: 3, vpn: 1 } } as unknown as RetentionSweepResult);
    retention!.onSweep({ byProfile: { default: 2 } } as unknown as RetentionSweepResult);
    const e = parseExposition(await metrics.text());
    expect(sampleValue(e, "scepgate_retention_removed_total", { profile: "default" })).toBe(5);
    expect(sampleValue(e, "scepgate_retention_removed_total", { profile: "vpn" })).toBe(1);
    expect(retentionMetrics(undefined)).toEqual({});
  });

  it("ok/no worker metrics listener without workers.metricsPort", async () => {
    const config = { listen: { host: "127.0.0.1", port: 8080 }, workers: { concurrency: 4 } } as unknown as Config;
    const rt = { loaded: { config }, logger: { info: () => undefined }, redis: { redis: {} }, metrics: new ScepgateMetrics({ defaultMetrics: false }) };
    expect(await startMetricsListener(rt as unknown as Parameters<typeof startMetricsListener>[0])).toBeUndefined();
  });
});
