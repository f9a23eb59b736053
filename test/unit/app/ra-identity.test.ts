/**
 * Building a profile's RA identity from its files, and the zero-config
 * development identity issued by the embedded CA.
 */
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bootstrapDevRaIdentity, loadRaIdentity } from "../../../src/app/ra-identity.js";
import type { RaConfig } from "../../../src/config/index.js";
import { buildPkcs12, KeyError, parseCertificate, pemCertificates, privateKeyPem, toPem } from "../../../src/crypto/index.js";
import { EmbeddedCa } from "../../../src/upstream/embedded-ca.js";
import { makeIdentity, testPki, type TestIdentity } from "../../support/pki.js";

let dir: string;
let ca: TestIdentity;
let ra: TestIdentity;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "scepgate-ra-"));
  ({ ca, ra } = await testPki());
});

/** Writes `data` to a fresh file in the temp dir and returns its absolute path. */
async function file(name: string, data: string | Uint8Array): Promise<string> {
  const p = path.join(dir, `${n++}-${name}`);
  await writeFile(p, data);
  return p;
}

async function pemPair(id: TestIdentity, opts: { chain?: TestIdentity[]; first?: TestIdentity[]; passphrase?: string } = {}): Promise<RaConfig> {
  const certs = [...(opts.first ?? []), id, ...(opts.chain ?? [])].map((i) => toPem(i.cert.der)).join("");
  return {
    cert: await file("ra.crt", certs),
    key: await file("ra.key", privateKeyPem(id.key, opts.passphrase)),
    ...(opts.passphrase ? { keyPassphrase: opts.passphrase } : {}),
  };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof Error)) throw new Error("expected a rejection");
  return err;
}

describe("loadRaIdentity", () => {
  it("ok/PEM cert + key: signer decrypts too, no warnings", async () => {
    const { identity, chain, warnings } = await loadRaIdentity(await pemPair(ra), "default");
    expect(identity.signer.cert.fingerprint256()).toBe(ra.cert.fingerprint256());
    expect(identity.decryption.map((d) => d.cert.fingerprint256())).toEqual([ra.cert.fingerprint256()]);
    expect(identity.decryption[0]!.rejectionSecret).toHaveLength(32);
    expect(identity.certificates.map((c) => c.fingerprint256())).toEqual([ra.cert.fingerprint256()]);
    expect(chain).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("ok/encrypted PEM key with its passphrase", async () => {
    const { identity } = await loadRaIdentity(await pemPair(ra, { passphrase: "pa55" }), "default");
    expect(identity.signer.key.asymmetricKeyType).toBe("rsa");
  });

  it("fail/encrypted PEM key with a wrong passphrase names the profile and the file", async () => {
    const cfg = await pemPair(ra, { passphrase: "pa55" });
    const err = await failure(loadRaIdentity({ ...cfg, keyPassphrase: "nope" }, "lab"));
    expect(err).toBeInstanceOf(KeyError);
    expect(err.message).toContain('profile "lab": ra.key');
    expect(err.message).toContain(cfg.key!);
  });

  it("ok/chain in the cert file, RA certificate not first: the key picks it, the rest is the chain", async () => {
    const { identity, chain } = await loadRaIdentity(await pemPair(ra, { first: [ca] }), "default");
    expect(identity.signer.cert.fingerprint256()).toBe(ra.cert.fingerprint256());
    expect(chain.map((c) => parseCertificate(c).fingerprint256())).toEqual([ca.cert.fingerprint256()]);
  });

  it("ok/PKCS#12 with passphrase", async () => {
    const p12 = await file("ra.p12", await buildPkcs12({ key: ra.key, cert: ra.cert.der, chain: [ca.cert.der], passphrase: "pw" }));
    const { identity, chain } = await loadRaIdentity({ p12, p12Passphrase: "pw" }, "default");
    expect(identity.signer.cert.fingerprint256()).toBe(ra.cert.fingerprint256());
    expect(chain.map((c) => parseCertificate(c).fingerprint256())).toEqual([ca.cert.fingerprint256()]);
  });

  it("fail/PKCS#12 with a wrong passphrase names the file", async () => {
    const p12 = await file("ra.p12", await buildPkcs12({ key: ra.key, cert: ra.cert.der, chain: [], passphrase: "pw" }));
    const err = await failure(loadRaIdentity({ p12, p12Passphrase: "wrong" }, "default"));
    expect(err.message).toContain(p12);
    expect(err.message).toContain("wrong passphrase");
  });

  it("fail/a key that matches no certificate names the profile and both files", async () => {
    const cfg = { cert: (await pemPair(ra)).cert, key: (await pemPair(ca)).key };
    const err = await failure(loadRaIdentity(cfg, "routers"));
    expect(err).toBeInstanceOf(KeyError);
    expect(err.message).toContain('profile "routers"');
    expect(err.message).toContain(cfg.key!);
    expect(err.message).toContain(cfg.cert!);
    expect(err.message).toContain("does not match");
  });

  it("fail/a missing file is named", async () => {
    const err = await failure(loadRaIdentity({ cert: path.join(dir, "absent.crt"), key: path.join(dir, "absent.key") }, "default"));
    expect(err.message).toMatch(/profile "default": ra\.cert: cannot read .*absent\.crt \(ENOENT\)/);
  });

  it("fail/EC RA key and no encryption identity: the decryption key must be RSA", async () => {
    const ec = await makeIdentity("CN=EC RA", "ec-p256", { issuer: ca, keyUsage: { digitalSignature: true } });
    const cfg = await pemPair(ec);
    const err = await failure(loadRaIdentity(cfg, "default"));
    expect(err.message).toContain("the decryption key must be RSA, not EC P-256");
    expect(err.message).toContain(cfg.cert!);
  });

  it("fail/EC encryption identity", async () => {
    const ec = await makeIdentity("CN=EC enc", "ec-p256", { issuer: ca, keyUsage: { keyAgreement: true } });
    const enc = await pemPair(ec);
    const err = await failure(loadRaIdentity({ ...(await pemPair(ra)), encryption: enc }, "default"));
    expect(err.message).toContain('profile "default": ra.encryption');
    expect(err.message).toContain("must be RSA");
    expect(err.message).toContain(enc.cert!);
  });

  it("fail/a signing certificate without digitalSignature", async () => {
    const encOnly = await makeIdentity("CN=enc only", "rsa-2048", { issuer: ca, keyUsage: { keyEncipherment: true } });
    const err = await failure(loadRaIdentity(await pemPair(encOnly), "default"));
    expect(err.message).toContain("lacks keyUsage digitalSignature");
  });

  it("fail/an encryption certificate without keyEncipherment", async () => {
    const sigOnly = await makeIdentity("CN=sig only 2", "rsa-2048", { issuer: ca, keyUsage: { digitalSignature: true } });
    const err = await failure(loadRaIdentity({ ...(await pemPair(ra)), encryption: await pemPair(sigOnly) }, "default"));
    expect(err.message).toContain("lacks keyUsage keyEncipherment");
  });

  it("ok/a signing-only RSA certificate as the only identity is a warning (NOTE(client): micromdm issues digitalSignature only)", async () => {
    const sigOnly = await makeIdentity("CN=sig only", "rsa-2048", { issuer: ca, keyUsage: { digitalSignature: true } });
    const { identity, warnings } = await loadRaIdentity(await pemPair(sigOnly), "default");
    expect(identity.decryption).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("clients that pick the recipient by keyUsage (iOS, Windows) need keyEncipherment");
  });

  it("ok/separate encryption identity: it decrypts first, then the RSA signer; certificates = [signer, encryption]", async () => {
    const signer = await makeIdentity("CN=RA signer", "rsa-2048", { issuer: ca, keyUsage: { digitalSignature: true } });
    const enc = await makeIdentity("CN=RA encryption", "rsa-2048", { issuer: ca, keyUsage: { keyEncipherment: true } });
    const { identity, warnings } = await loadRaIdentity({ ...(await pemPair(signer)), encryption: await pemPair(enc, { chain: [ca] }) }, "default");
    expect(identity.decryption.map((d) => d.cert.subjectText())).toEqual(["CN=RA encryption", "CN=RA signer"]);
    expect(identity.certificates.map((c) => c.subjectText())).toEqual(["CN=RA signer", "CN=RA encryption"]);
    expect(warnings).toEqual([]);
  });

  it("ok/EC signer with an RSA encryption identity: only the encryption key decrypts", async () => {
    const ecSigner = await makeIdentity("CN=EC signer", "ec-p256", { issuer: ca, keyUsage: { digitalSignature: true } });
    const { identity } = await loadRaIdentity({ ...(await pemPair(ecSigner)), encryption: await pemPair(ra) }, "default");
    expect(identity.decryption.map((d) => d.cert.fingerprint256())).toEqual([ra.cert.fingerprint256()]);
    expect(identity.signer.key.asymmetricKeyType).toBe("ec");
  });
});

describe("bootstrapDevRaIdentity", () => {
  let caDir: string;
  let embedded: EmbeddedCa;
  beforeAll(async () => {
    caDir = await mkdtemp(path.join(tmpdir(), "scepgate-devra-"));
    embedded = await EmbeddedCa.open(path.join(caDir, "ca"), { clock: { now: () => new Date() }, validityDays: 30 });
  });

  it("ok/creates a 0600 key and a certificate from the embedded CA, then reuses them", async () => {
    const raDir = path.join(caDir, "profiles", "default");
    const first = await bootstrapDevRaIdentity(raDir, embedded, "default");
    expect((await stat(path.join(raDir, "ra.key"))).mode & 0o777).toBe(0o600);
    const cert = first.identity.signer.cert;
    expect(cert.subjectText()).toBe("CN=scepgate RA (default), O=scepgate");
    expect(cert.keyUsage).toMatchObject({ digitalSignature: true, keyEncipherment: true });
    expect(first.identity.decryption).toHaveLength(1);
    expect(first.warnings).toEqual([]);
    const onDisk = pemCertificates(await readFile(path.join(raDir, "ra.crt"), "utf8"))[0]!;
    expect(parseCertificate(onDisk).fingerprint256()).toBe(cert.fingerprint256());

    const second = await bootstrapDevRaIdentity(raDir, embedded, "default");
    expect(second.identity.signer.cert.fingerprint256()).toBe(cert.fingerprint256());
    expect(Buffer.from(second.identity.signer.cert.spki)).toEqual(Buffer.from(cert.spki));
  });

  it("ok/reissues the certificate (same key) when another CA issued it", async () => {
    const raDir = path.join(caDir, "profiles", "other-ca");
    const first = await bootstrapDevRaIdentity(raDir, embedded, "other-ca");
    const newCa = await EmbeddedCa.open(path.join(caDir, "ca2"), { clock: { now: () => new Date() }, validityDays: 30 });
    const second = await bootstrapDevRaIdentity(raDir, newCa, "other-ca");
    expect(second.identity.signer.cert.fingerprint256()).not.toBe(first.identity.signer.cert.fingerprint256());
    expect(Buffer.from(second.identity.signer.cert.spki)).toEqual(Buffer.from(first.identity.signer.cert.spki));
    expect(Buffer.from(second.identity.signer.cert.issuer)).toEqual(Buffer.from(newCa.certificate.subject));
  });

  it("ok/reissues a certificate that expires within 30 days", async () => {
    const raDir = path.join(caDir, "profiles", "expiring");
    const first = await bootstrapDevRaIdentity(raDir, embedded, "expiring");
    // The same CA, two years minus 20 days from now: the certificate has < 30 days left.
    const future = new Date(Date.now() + (730 - 20) * 86_400_000);
    const aged = await EmbeddedCa.open(path.join(caDir, "ca"), { clock: { now: () => future }, validityDays: 30 });
    const second = await bootstrapDevRaIdentity(raDir, aged, "expiring");
    expect(second.identity.signer.cert.fingerprint256()).not.toBe(first.identity.signer.cert.fingerprint256());
    expect(second.identity.signer.cert.notAfter.getTime()).toBeGreaterThan(future.getTime());
  });

  it("ok/concurrent bootstraps end with one key", async () => {
    const raDir = path.join(caDir, "profiles", "racy");
    const all = await Promise.all(Array.from({ length: 5 }, () => bootstrapDevRaIdentity(raDir, embedded, "racy")));
    expect(new Set(all.map((r) => Buffer.from(r.identity.signer.cert.spki).toString("hex"))).size).toBe(1);
    expect(new Set(all.map((r) => r.identity.signer.cert.fingerprint256())).size).toBe(1);
  });
});
