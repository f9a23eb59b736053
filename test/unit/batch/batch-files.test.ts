/** The output directory of `scepgate batch`: keys written before use and reused, bundles, the manifest, the lock. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BatchConflictError, BatchUsageError } from "../../../src/app/batch-errors.js";
import { BatchDir, keySpecOf } from "../../../src/app/batch-files.js";
import { readBatchPassphrase } from "../../../src/app/batch-input.js";
import { BatchManifest } from "../../../src/app/batch-manifest.js";
import { buildName, generateKey, issueCertificate, parseCertificate, spkiOf } from "../../../src/crypto/index.js";
import { DirLockedError, lockDir } from "../../../src/fsutil/dir-lock.js";

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "batch-unit-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("BatchDir", () => {
  it("ok/a new key is written encrypted with mode 0600 and found again; a key of another type is refused", async () => {
    const d = new BatchDir(tmp(), "pass phrase");
    const first = await d.loadOrCreateKey("r1", "ec-p256");
    expect(first.created).toBe(true);
    const pem = readFileSync(d.keyFile("r1"), "utf8");
    expect(pem).toContain("BEGIN ENCRYPTED PRIVATE KEY");
    expect(statSync(d.keyFile("r1")).mode & 0o777).toBe(0o600);
    const again = await d.loadOrCreateKey("r1", "ec-p256");
    expect(again.created).toBe(false);
    expect(Buffer.compare(spkiOf(again.key), spkiOf(first.key))).toBe(0);
    await expect(d.loadOrCreateKey("r1", "rsa-2048")).rejects.toThrow(/holds a key of type ec-p256 but the device list asks for rsa-2048/);
    await expect(new BatchDir(d.dir, "wrong").checkPassphrase()).rejects.toBeInstanceOf(BatchUsageError);
    await new BatchDir(d.dir, "pass phrase").checkPassphrase();
  });

  it("ok/key specs", async () => {
    expect(keySpecOf(await generateKey("ec-p384"))).toBe("ec-p384");
    expect(keySpecOf(await generateKey("rsa-2048"))).toBe("rsa-2048");
  });

  it("ok/a bundle is valid only when NAME.p12 opens and holds the pair; a missing NAME.crt.pem is written again", async () => {
    const d = new BatchDir(tmp(), "pw");
    const { key } = await d.loadOrCreateKey("r1", "ec-p256");
    const cert = parseCertificate(issueCertificate({ subject: buildName("CN=r1"), spki: spkiOf(key), serial: Uint8Array.of(1), notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000), issuerKey: key, extensions: [] }));
    expect(await d.readBundle("r1")).toBeUndefined();
    await d.writeBundle("r1", { key, cert, chain: [] }, false);
    expect(statSync(d.p12File("r1")).mode & 0o777).toBe(0o600);
    rmSync(d.certFile("r1"));
    expect((await d.readBundle("r1"))?.cert.serialHex).toBe("01");
    expect(readFileSync(d.certFile("r1"), "utf8")).toContain("BEGIN CERTIFICATE");
    expect(await new BatchDir(d.dir, "other").readBundle("r1")).toBeUndefined();
    writeFileSync(d.p12File("r1"), "garbage");
    expect(await d.readBundle("r1")).toBeUndefined();
  });

  it("ok/leftover temporary files of a killed run are removed", async () => {
    const d = new BatchDir(tmp(), "pw");
    writeFileSync(join(d.dir, ".r1.p12.123.abc.tmp"), "x");
    writeFileSync(join(d.dir, "keep.txt"), "x");
    await d.removeLeftovers();
    expect(() => statSync(join(d.dir, ".r1.p12.123.abc.tmp"))).toThrow();
    expect(statSync(join(d.dir, "keep.txt")).isFile()).toBe(true);
  });
});

describe("BatchManifest", () => {
  it("ok/entries in listing order, every change saved; reopened as it was", async () => {
    const file = join(tmp(), "manifest.json");
    const m = await BatchManifest.open(file, "default", "enroll");
    m.include(["b", "a"], new Date());
    await Promise.all([m.set({ name: "a", status: "issued", serial: "01", updatedAt: "t" }), m.set({ name: "b", status: "failed", error: "no", updatedAt: "t" })]);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    expect(doc).toMatchObject({ version: 1, profile: "default", mode: "enroll" });
    expect(doc.devices.map((x: { name: string; status: string }) => [x.name, x.status])).toEqual([["b", "failed"], ["a", "issued"]]);
    expect((await BatchManifest.open(file, "default", "enroll")).get("a")?.serial).toBe("01");
  });

  it("ok/many quick changes: the last state is what is on disk", async () => {
    const file = join(tmp(), "manifest.json");
    const m = await BatchManifest.open(file, "p", "enroll");
    await Promise.all(Array.from({ length: 50 }, (_, i) => m.set({ name: `d${i}`, status: "issued", updatedAt: "t" })));
    expect(JSON.parse(readFileSync(file, "utf8")).devices).toHaveLength(50);
  });

  it("fail/another profile or mode, or not a manifest", async () => {
    const file = join(tmp(), "manifest.json");
    await (await BatchManifest.open(file, "default", "enroll")).save();
    await expect(BatchManifest.open(file, "other", "enroll")).rejects.toThrow(BatchConflictError);
    await expect(BatchManifest.open(file, "default", "requests-only")).rejects.toThrow(/mixing both could enroll a device twice/);
    writeFileSync(file, "{");
    await expect(BatchManifest.open(file, "default", "enroll")).rejects.toThrow(/not JSON/);
  });
});

describe("lockDir", () => {
  it("fail/a live holder; ok/a dead holder's lock is taken over", async () => {
    const file = join(tmp(), ".batch.lock");
    const lock = await lockDir(file);
    await expect(lockDir(file)).rejects.toBeInstanceOf(DirLockedError);
    await lock.release();
    writeFileSync(file, "999999999\n"); // no such process
    const again = await lockDir(file);
    expect(readFileSync(file, "utf8").trim()).toBe(String(process.pid));
    await again.release();
  });
});

describe("readBatchPassphrase", () => {
  it("ok/the file's first line, else SCEPGATE_BATCH_PASS; fail/none at all or an empty file", async () => {
    const d = tmp();
    writeFileSync(join(d, "pass"), "s3cret\nignored\n", { mode: 0o644 });
    const warnings: string[] = [];
    expect(await readBatchPassphrase(join(d, "pass"), { SCEPGATE_BATCH_PASS: "env" }, (w) => warnings.push(w))).toBe("s3cret");
    expect(warnings).toEqual([expect.stringMatching(/readable by other users/)]);
    expect(await readBatchPassphrase(undefined, { SCEPGATE_BATCH_PASS: "env" }, () => undefined)).toBe("env");
    await expect(readBatchPassphrase(undefined, {}, () => undefined)).rejects.toThrow(/never on the command line/);
    writeFileSync(join(d, "empty"), "\n");
    await expect(readBatchPassphrase(join(d, "empty"), {}, () => undefined)).rejects.toThrow(/is empty/);
  });
});
