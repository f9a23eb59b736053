/**
 * The pieces behind the web page's views: the rows a filter shows
 * (list-query.ts), the notices after an action, the chart, the CSR details
 * (ra/request-details.ts) and the counts (ra/request-stats.ts).
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildCsr, buildName, encodeKeyUsage, extKeyUsage, ExtKeyUsage, Oid, subjectAltName, basicConstraints } from "../../../src/crypto/index.js";
import { LIST_ROWS, loadRows, matchesSearch } from "../../../src/edge/ui/list-query.js";
import { noticeText } from "../../../src/edge/ui/notices.js";
import { chartSummary, requestsChart } from "../../../src/edge/ui/views/chart.js";
import { requestDetails } from "../../../src/ra/request-details.js";
import { emptyCounts, lastDayQuery, requestStats, statsFromTransactions } from "../../../src/ra/request-stats.js";
import type { Transaction, TransactionFilter, TransactionStore } from "../../../src/ra/ports.js";
import { sampleTx } from "../cli/fake-operator.js";

const HOUR = 3_600_000;

function source(txs: Transaction[]) {
  const calls: TransactionFilter[] = [];
  return {
    calls,
    async list(f: TransactionFilter): Promise<Transaction[]> {
      calls.push(f);
      return txs
        .filter((t) => (!f.state || t.state === f.state) && (!f.profile || t.profile === f.profile))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, f.limit);
    },
  };
}

describe("list rows", () => {
  it("ok/every pending request comes first, even one older than the newest page of others", async () => {
    const old = sampleTx({ id: "oldpendingaa", createdAt: "2020-01-01T00:00:00.000Z" });
    const others = Array.from({ length: LIST_ROWS + 5 }, (_, i) =>
      sampleTx({ id: `x${i}`, state: "issued", createdAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString() }));
    const { rows, more } = await loadRows(source([old, ...others]), {});
    expect(rows[0]!.id).toBe("oldpendingaa");
    expect(rows).toHaveLength(LIST_ROWS);
    expect(more).toBe(true);
    expect(rows[1]!.createdAt > rows[2]!.createdAt).toBe(true);
  });

  it("ok/a state filter asks the store for that state only; a search scans and matches subject, SANs, ids", async () => {
    const txs = [sampleTx({ id: "aaaaaaaaaaaa", transactionId: "ABCDEF0123", sans: ["DNS:gw.example"] }), sampleTx({ id: "bbbbbbbbbbbb" })];
    const src = source(txs);
    await loadRows(src, { state: "issued", profile: "vpn" });
    expect(src.calls).toEqual([{ state: "issued", profile: "vpn", limit: LIST_ROWS + 1 }]);
    expect((await loadRows(src, { q: "cdef01" })).rows.map((t) => t.id)).toEqual(["aaaaaaaaaaaa"]);
    expect(matchesSearch(txs[0]!, "GW.EXAMPLE")).toBe(true);
    expect(matchesSearch(txs[0]!, "nothing")).toBe(false);
  });
});

describe("notices", () => {
  const rows = [sampleTx({ id: "aaaaaaaaaaaa", commonName: "router-9" })];

  it("ok/fixed texts for fixed codes, naming a request only by its row", () => {
    expect(noticeText({ notice: "approved", id: "aaaaaaaaaaaa" }, rows)).toBe("Approved the request of router-9.");
    expect(noticeText({ notice: "rejected", id: "unknownunkno" }, rows)).toBe("Rejected the request.");
    expect(noticeText({ notice: "bulk", ok: "1", failed: "0" }, rows)).toBe("Approved 1 request.");
    expect(noticeText({}, rows)).toBeUndefined();
  });

  it("fail/a crafted link cannot make the page say something else", () => {
    expect(noticeText({ notice: "<b>hacked</b>" }, rows)).toBeUndefined();
    expect(noticeText({ notice: "bulk", ok: "call 555-0100", failed: "x" }, rows)).toBe("Approved 0 requests.");
  });
});

describe("chart", () => {
  const since = new Date(Date.UTC(2025, 0, 1, 0));
  const stats = { counts: emptyCounts(), perBucket: [0, 3, 0, 9, ...new Array<number>(20).fill(0)], since: since.toISOString(), bucketMs: HOUR };

  it("ok/one bar per hour with its own title, the peak on the axis, a summary in words", async () => {
    const svg = String(await requestsChart(stats));
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(24);
    expect(svg).toContain("<title>03:00–04:00 UTC: 9 requests</title>");
    expect(svg).toContain('text-anchor="end">9</text>');
    expect(svg).toContain('role="img" aria-labelledby="chart-title" aria-describedby="chart-summary"');
    expect(svg).not.toMatch(/style=/);
    expect(chartSummary(stats)).toBe("12 requests in the last 24 hours; busiest hour 03:00–04:00 UTC with 9.");
    expect(chartSummary({ ...stats, perBucket: new Array<number>(24).fill(0) })).toBe("No requests in the last 24 hours.");
  });
});

describe("request details (ra/request-details.ts)", () => {
  it("ok/signature algorithm and the requested extensions in words", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const csr = buildCsr({
      subject: buildName("CN=gw-1"),
      key: privateKey,
      digest: "sha384",
      extensions: [
        { oid: Oid.subjectAltName, value: subjectAltName({ dns: ["gw-1.example"], ip: ["2001:db8::1"] }) },
        { oid: Oid.keyUsage, critical: true, value: encodeKeyUsage({ digitalSignature: true }) },
        { oid: Oid.extKeyUsage, value: extKeyUsage([ExtKeyUsage.serverAuth, "1.3.6.1.5.5.7.3.17"]) },
        { oid: Oid.basicConstraints, critical: true, value: basicConstraints(false) },
        { oid: "1.3.6.1.4.1.311.20.2", value: Uint8Array.of(0x1e, 0x00) },
      ],
    });
    const d = await requestDetails({ csr: Buffer.from(csr).toString("base64") });
    expect(d.signatureAlgorithm).toBe("ecdsa-with-SHA384");
    expect(d.extensions).toEqual([
      { oid: Oid.subjectAltName, name: "subjectAltName", critical: false, value: "DNS:gw-1.example, IP:2001:db8::1" },
      { oid: Oid.keyUsage, name: "keyUsage", critical: true, value: "digitalSignature" },
      { oid: Oid.extKeyUsage, name: "extKeyUsage", critical: false, value: "serverAuth, ipsecIKE" },
      { oid: Oid.basicConstraints, name: "basicConstraints", critical: true, value: "CA: no" },
      { oid: "1.3.6.1.4.1.311.20.2", name: "Microsoft certificate template name", critical: false, value: "2 bytes" },
    ]);
  });

  it("fail/a stored CSR that does not parse is reported, not thrown", async () => {
    const d = await requestDetails({ csr: "bm90IGEgY3Ny" });
    expect(d).toMatchObject({ signatureAlgorithm: "", extensions: [] });
    expect(d.error).toMatch(/^the stored CSR cannot be read: /);
  });
});

describe("request stats (ra/request-stats.ts)", () => {
  it("ok/the last day: 24 hourly windows aligned on the hour, the last one the current hour", () => {
    const q = lastDayQuery(new Date(Date.UTC(2025, 0, 2, 10, 42)), "vpn");
    expect(q).toEqual({ profile: "vpn", since: new Date(Date.UTC(2025, 0, 1, 11)), bucketMs: HOUR, buckets: 24 });
  });

  it("ok/counted from records when the store cannot count; the store's own counts when it can", async () => {
    const q = lastDayQuery(new Date(Date.UTC(2025, 0, 2, 10, 42)));
    const txs = [
      sampleTx({ createdAt: "2025-01-02T10:01:00.000Z" }),
      sampleTx({ state: "issued", createdAt: "2025-01-01T11:59:00.000Z" }),
      sampleTx({ state: "issued", createdAt: "2024-12-01T00:00:00.000Z" }),
    ];
    const stats = statsFromTransactions(txs, q);
    expect(stats.counts).toMatchObject({ pending_approval: 1, issued: 2, rejected: 0 });
    expect(stats.perBucket[0]).toBe(1);
    expect(stats.perBucket[23]).toBe(1);
    expect(stats.perBucket.reduce((a, b) => a + b)).toBe(2);

    const plain = { list: async () => txs } as unknown as TransactionStore;
    expect(await requestStats(plain, q)).toEqual(stats);
    const counting = { ...plain, stats: async () => ({ ...stats, since: "store" }) } as unknown as TransactionStore;
    expect((await requestStats(counting, q)).since).toBe("store");
  });
});
