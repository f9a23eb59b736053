/**
 * `scepgate batch` with the embedded development CA (no upstream): issued
 * inline, as an operator's approve does, without forward workers. EC keys
 * (P-256, P-384) and RSA mixed; the bundles verify against the embedded CA.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchDir } from "../../../src/app/batch-files.js";
import { batchEnv, EC_MIX, PASSPHRASE, expectedSans, inParallel, jsonLines, makeDevices, openP12, opensslSans, verifyAll, type BatchEnv } from "./batch-support.js";

let env: BatchEnv;
beforeAll(async () => {
  env = await batchEnv({ embedded: true });
});
afterAll(async () => {
  await env?.close();
});

describe("scepgate batch with the embedded CA (inline)", () => {
  it(
    "ok/EC and RSA devices issued inline; bundles open, match, carry the SANs and verify against the embedded CA; a rerun is a no-op",
    async () => {
      const rows = makeDevices(40, "emb", EC_MIX);
      const out = join(env.dir, "out");
      const csv = env.csv("devices", rows);
      const r = await env.batch([csv, "--out", out, "--key", "ec-p256"]);
      expect(r.code, r.stderr).toBe(0);
      expect(jsonLines(r.stdout).find((l) => l["type"] === "summary")).toMatchObject({ total: 40, issued: 40, failed: 0 });
      await inParallel(rows, 4, async (row) => {
        const { cert } = await openP12(out, row.name);
        expect(cert.publicKey.asymmetricKeyType).toBe(row.key?.startsWith("rsa") ? "rsa" : "ec");
        expect(await opensslSans(join(out, `${row.name}.crt.pem`))).toEqual(expectedSans(row));
      });
      const caFile = join(env.dir, "embedded-ca.pem");
      writeFileSync(caFile, readFileSync(join(env.dir, "data", "embedded-ca", "ca.crt")));
      expect(await verifyAll(caFile, rows.map((x) => join(out, `${x.name}.crt.pem`)))).toEqual([]);
      const txs = await env.records.records();
      expect(txs.every((t) => t.source === "batch" && t.state === "issued")).toBe(true);
      expect(txs).toHaveLength(40);

      const again = await env.batch([csv, "--out", out, "--key", "ec-p256"]);
      expect(again.code, again.stderr).toBe(0);
      expect(jsonLines(again.stdout).find((l) => l["type"] === "summary")).toMatchObject({ skipped: 40, issued: 0 });
      expect(await env.records.records()).toHaveLength(40);
    },
    180_000,
  );

  it("fail/a device whose key on disk is not the type the list asks for: reported, its key kept, the others issued, exit 1", async () => {
    const out = join(env.dir, "out-change");
    const rows = makeDevices(2, "chg", () => "ec-p384");
    const dir = new BatchDir(out, PASSPHRASE);
    await dir.create();
    await dir.loadOrCreateKey(rows[0]!.name, "ec-p256"); // as a killed earlier run with another list left it
    const key = readFileSync(dir.keyFile(rows[0]!.name));
    const r = await env.batch([env.csv("chg", rows), "--out", out]);
    expect(r.code).toBe(1);
    const devices = jsonLines(r.stdout).filter((l) => l["type"] === "device");
    expect(devices.map((d) => [d["name"], d["status"]])).toEqual([[rows[0]!.name, "failed"], [rows[1]!.name, "issued"]]);
    expect(String(devices[0]!["error"])).toMatch(/holds a key of type ec-p256 but the device list asks for ec-p384/);
    expect(readFileSync(dir.keyFile(rows[0]!.name)).equals(key)).toBe(true);
    expect(r.stderr).toMatch(/2 devices: 1 issued, 1 failed/);
  });
});
