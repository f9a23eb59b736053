/**
 * `scepgate batch` end to end against micromdm scepserver (upstream
 * maxConcurrent 1) and a real Redis, as a real process: a bad device list
 * submits nothing; 200 devices with mixed key types and SANs give bundles
 * that openssl opens and verifies, matching the request and the manifest;
 * a second run is a no-op; --legacy-p12 bundles open too.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../harness/process.js";
import { childEnv, SCEPGATE_BIN } from "../../harness/scepgate.js";
import {
  batchEnv, expectedSans, inParallel, jsonLines, makeDevices, openP12, opensslSans, PASSPHRASE, verifyAll, type BatchEnv, type DeviceRow,
} from "./batch-support.js";

const N = 200;
let env: BatchEnv;

beforeAll(async () => {
  env = await batchEnv();
});
afterAll(async () => {
  await env?.close();
});

describe("scepgate batch (micromdm upstream, maxConcurrent 1)", () => {
  it("fail/a device list with a duplicate name, a missing cn and a bad IP: every problem with its line, exit 2, nothing submitted", async () => {
    const csv = join(env.dir, "bad.csv");
    writeFileSync(csv, ["name,cn,ip", "ok-1,ok-1.example,192.0.2.1", "ok-1,again,", "no-cn,,192.0.2.2", "bad-ip,bad-ip.example,192.0.2.300", ""].join("\n"));
    const out = join(env.dir, "bad-out");
    const r = await env.batch([csv, "--out", out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("3 problems, nothing was submitted");
    expect(r.stderr).toContain('line 3: name "ok-1" is already used on line 2');
    expect(r.stderr).toContain("line 4: cn is required");
    expect(r.stderr).toContain('line 5: ip "192.0.2.300" is not an IPv4 or IPv6 address');
    expect(r.stdout).toBe("");
    expect(await env.ca.issued()).toEqual([]); // not even the RA certificate: nothing was started
    expect(await env.records.records()).toEqual([]);
    expect(() => readdirSync(out)).toThrow(); // no directory, no key
  });

  it("fail/no passphrase: exit 2, nothing submitted", async () => {
    const csv = env.csv("one", makeDevices(1, "nopass"));
    const r = await run(process.execPath, [SCEPGATE_BIN, "batch", csv, "--out", join(env.dir, "nopass"), "--config", env.configFile], { cwd: env.dir, env: childEnv(), timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a passphrase is required .*--pass-file FILE or SCEPGATE_BATCH_PASS/);
    expect(await env.ca.issued()).toEqual([]);
  });

  describe(`${N} devices`, () => {
    let rows: DeviceRow[];
    const out = (): string => join(env.dir, "out");

    it(
      "ok/every device issued once; stdout has one JSON line per device and a summary",
      async () => {
        rows = makeDevices(N, "dev");
        const r = await env.batch([env.csv("devices", rows), "--out", out(), "--key", "rsa-2048"]);
        expect(r.code, `${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
        const lines = jsonLines(r.stdout);
        const devices = lines.filter((l) => l["type"] === "device");
        expect(devices).toHaveLength(N);
        expect(devices.every((d) => d["status"] === "issued" && d["skipped"] === false)).toBe(true);
        const summary = lines.find((l) => l["type"] === "summary")!;
        expect(summary).toMatchObject({ total: N, issued: N, skipped: 0, failed: 0, pending: 0 });
        console.log(`batch of ${N}: ${(r.durationMs / 1000).toFixed(1)} s wall, ${(summary["devicesPerSecond"] as number).toFixed(1)} devices/s (${r.stderr.trim().split("\n").pop()})`);
        const depot = await env.depot("dev-");
        expect(depot).toHaveLength(N);
        expect(new Set(depot.map((c) => c.serial)).size).toBe(N);
      },
      300_000,
    );

    it(
      "ok/every .p12 opens with openssl and the passphrase, key and certificate match, SANs and subject as requested, the certificate verifies against the upstream chain",
      async () => {
        const caFile = join(env.dir, "upstream-ca.pem");
        writeFileSync(caFile, env.ca.caCertPem);
        const certs = await inParallel(rows, 4, async (row) => {
          const { cert } = await openP12(out(), row.name);
          expect(await opensslSans(join(out(), `${row.name}.crt.pem`)), row.name).toEqual(expectedSans(row));
          expect(cert.subject).toContain(`CN=${row.cn}`);
          if (row.o) expect(cert.subject.split("\n")).toEqual(["C=DE", "O=Example\\, Inc.", "OU=Field Devices", `CN=${row.cn}`]);
          const want = row.key ?? "rsa-2048";
          const kind = cert.publicKey.asymmetricKeyType === "rsa" ? `rsa-${cert.publicKey.asymmetricKeyDetails?.modulusLength}` : `ec-${cert.publicKey.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "p384" : "p256"}`;
          expect(kind, row.name).toBe(want);
          const keyPem = readFileSync(join(out(), `${row.name}.key.pem`), "utf8");
          expect(keyPem).toContain("BEGIN ENCRYPTED PRIVATE KEY");
          return cert;
        });
        expect(await verifyAll(caFile, rows.map((r) => join(out(), `${r.name}.crt.pem`)))).toEqual([]);
        // The chain in each bundle is the upstream CA.
        const chainPem = readFileSync(join(out(), `${rows[0]!.name}.crt.pem`), "utf8").split("-----END CERTIFICATE-----\n")[1];
        expect(new X509Certificate(`${chainPem}-----END CERTIFICATE-----\n`).raw.equals(new X509Certificate(env.ca.caCertPem).raw)).toBe(true);
        // The manifest agrees.
        const manifest = JSON.parse(readFileSync(join(out(), "manifest.json"), "utf8"));
        expect(manifest).toMatchObject({ version: 1, profile: "default", mode: "enroll" });
        expect(manifest.devices.map((d: { name: string }) => d.name)).toEqual(rows.map((r) => r.name));
        rows.forEach((row, i) => {
          const m = manifest.devices[i];
          const c = certs[i]!;
          expect(m, row.name).toMatchObject({ status: "issued", key: row.key ?? "rsa-2048" });
          expect(m.serial.toUpperCase().replace(/^0+/, "")).toBe(c.serialNumber.replace(/^0+/, ""));
          expect(m.sha256).toBe(c.fingerprint256.replaceAll(":", "").toLowerCase());
          expect(new Date(m.notAfter).getTime()).toBe(new Date(c.validTo).getTime());
          expect(m.error).toBeUndefined();
        });
      },
      240_000,
    );

    it(
      "ok/the records are pre-approved batch requests, audited as actor batch, one issued event each",
      async () => {
        const txs = await env.records.records();
        expect(txs).toHaveLength(N);
        expect(txs.every((t) => t.source === "batch" && t.state === "issued" && t.decidedBy === "batch" && t.challenge === "not-required")).toBe(true);
        for (const tx of txs.slice(0, 20)) {
          const audit = await env.records.audit(tx.id);
          expect([audit[0]?.event, audit[0]?.actor, audit[0]?.to]).toEqual(["created", "batch", "approved"]);
          expect(audit.filter((e) => e.event === "issued").map((e) => e.actor)).toEqual(["upstream"]);
        }
      },
      60_000,
    );

    it(
      "ok/a second run is a no-op: every device skipped, no new certificate in the depot, files unchanged",
      async () => {
        const before = await env.ca.issuedSerials();
        const p12 = readFileSync(join(out(), `${rows[5]!.name}.p12`));
        const r = await env.batch([join(env.dir, "devices.csv"), "--out", out(), "--key", "rsa-2048"]);
        expect(r.code, r.stderr).toBe(0);
        const devices = jsonLines(r.stdout).filter((l) => l["type"] === "device");
        expect(devices).toHaveLength(N);
        expect(devices.every((d) => d["skipped"] === true && d["status"] === "issued")).toBe(true);
        expect(await env.ca.issuedSerials()).toEqual(before);
        expect(readFileSync(join(out(), `${rows[5]!.name}.p12`)).equals(p12)).toBe(true);
      },
      240_000,
    );
  });

  it(
    "ok/--legacy-p12: 3DES/SHA-1 bundles that openssl opens without -legacy",
    async () => {
      const rows = makeDevices(5, "legacy");
      const out = join(env.dir, "legacy-out");
      const r = await env.batch([env.csv("legacy", rows), "--out", out, "--key", "rsa-2048", "--legacy-p12"]);
      expect(r.code, r.stderr).toBe(0);
      for (const row of rows) {
        await openP12(out, row.name);
        const info = await run("openssl", ["pkcs12", "-in", join(out, `${row.name}.p12`), "-passin", `pass:${PASSPHRASE}`, "-info", "-noout"], { timeoutMs: 10_000 });
        expect(`${info.stdout}${info.stderr}`).toMatch(/pbeWithSHA1And3-KeyTripleDES-CBC/);
        expect(`${info.stdout}${info.stderr}`).toMatch(/MAC: sha1/);
      }
    },
    120_000,
  );
});
