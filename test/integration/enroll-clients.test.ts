/**
 * The real SCEP clients of this machine enrolling against a real scepgate
 * process (embedded development CA, real Redis): micromdm scepclient,
 * strongSwan `pki --scep` in four cipher × digest combinations, and
 * certmonger's scep-submit; then the same with a static challenge password
 * (right, wrong, missing), and resent PKCSReqs that must give the same
 * certificate and leave one record in the RA's store.
 *
 * Every issued certificate must verify with `openssl verify` against the
 * chain from GetCACert and carry the client's key. Each enrollment prints one
 * summary line (client, cipher, digest, ok, ms).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cipherByOid, digestByOid, parseEnvelope, parseSignedData } from "../../src/crypto/index.js";
import { enrollCertmonger, enrollPki, enrollScepclient, randomSuffix, type EnrollResult } from "../harness/clients.js";
import { certInfo, fetchCaChain, sameKey, verifyCert, type CaChain } from "../harness/openssl.js";
import { startRedis, type RedisHandle } from "../harness/redis.js";
import { startScepgate, type Scepgate } from "../harness/scepgate.js";
import { recordReader, type RecordReader } from "./support/redis-records.js";

const CHALLENGE = "enroll-s3cret-42";

/** What each client prints for a CertRep FAILURE with failInfo badRequest (exit codes: scepclient 1, pki 1, scep-submit 2). */
const REFUSED = {
  scepclient: /PKCSReq \(19\) request failed, failInfo: badRequest \(2\)/,
  pki: /failInfo:\s+badRequest[\s\S]*reply status is not 'SUCCESS'/,
  certmonger: /Transaction either is not permitted or is not supported by server\.[\s\S]*\[harness\] exit 2/,
} as const;

/** One line of the closing summary. */
interface Summary {
  client: string;
  cipher: string;
  digest: string;
  ok: boolean;
  ms: number;
  note: string;
}

const summaries: Summary[] = [];

function record(s: Summary): void {
  summaries.push(s);
  console.log(`[enroll] client=${s.client} cipher=${s.cipher} digest=${s.digest} ok=${s.ok} ms=${s.ms}${s.note ? ` (${s.note})` : ""}`);
}

/** The digest and content cipher of a PKCSReq (PEM or base64 DER), read from the message itself. */
function algorithmsOf(pkcsreqPem: string): { digest: string; cipher: string } {
  const der = Buffer.from(pkcsreqPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const sd = parseSignedData(der);
  const digest = digestByOid(sd.signers[0]?.digestOid ?? "");
  const cipher = cipherByOid(parseEnvelope(sd.content ?? new Uint8Array()).cipherOid);
  return { digest, cipher };
}

async function certmongerAlgorithms(r: EnrollResult): Promise<{ digest: string; cipher: string }> {
  return algorithmsOf(await readFile(join(r.dir, "cm", "cap", "pkcsreq.pem"), "utf8"));
}

describe("scepgate: real clients enroll against the running process", () => {
  let redis: RedisHandle;
  let open: Scepgate;
  let secret: Scepgate;
  let openChain: CaChain;
  let secretChain: CaChain;
  let openRecords: RecordReader;
  let secretRecords: RecordReader;

  beforeAll(async () => {
    redis = await startRedis();
    [open, secret] = await Promise.all([
      startScepgate({ redis }),
      startScepgate({ redis, config: { profiles: { default: { challenge: { mode: "static", value: CHALLENGE } } } } }),
    ]);
    [openChain, secretChain] = await Promise.all([fetchCaChain(open.url), fetchCaChain(secret.url)]);
    openRecords = recordReader(redis.url, open.keyPrefix);
    secretRecords = recordReader(redis.url, secret.keyPrefix);
  });

  afterAll(async () => {
    await openRecords?.close();
    await secretRecords?.close();
    await Promise.all([open?.stop(), secret?.stop()]);
    await redis?.stop();
    if (summaries.length > 0) {
      console.log(["[enroll] summary (client, cipher, digest, ok, ms):", ...summaries.map((s) => `  ${s.client}\t${s.cipher}\t${s.digest}\t${s.ok}\t${s.ms}${s.note ? `\t${s.note}` : ""}`)].join("\n"));
    }
  });

  /** The certificate came back, carries the client's key and the CN, and verifies against GetCACert's chain. */
  async function expectIssued(r: EnrollResult, cn: string, chain: CaChain, gate: Scepgate): Promise<string> {
    expect(r.ok, `${r.log}\n--- scepgate:\n${gate.output().slice(-3000)}`).toBe(true);
    const cert = r.certPem ?? "";
    expect(sameKey(cert, r.keyPem)).toBe(true);
    expect(certInfo(cert).subject).toContain(`CN=${cn}`);
    expect(chain.roots).toHaveLength(1);
    const verified = await verifyCert(cert, { roots: chain.roots, untrusted: chain.others });
    expect(verified.ok, verified.output).toBe(true);
    return cert;
  }

  /** The RA refused: no certificate, the client said so (not a timeout), and the record says rejected. */
  async function expectRefused(r: EnrollResult, cn: string, logText: RegExp, exitCode: number): Promise<void> {
    expect(r.ok, r.log).toBe(false);
    expect(r.certPem).toBeUndefined();
    expect(r.timedOut, r.log).toBe(false);
    expect(r.exitCode, r.log).toBe(exitCode);
    expect(r.log).toMatch(logText);
    const recs = await secretRecords.byCommonName(cn);
    expect(recs.map((t) => [t.state, t.failInfo])).toEqual([["rejected", "2"]]);
  }

  describe("no challenge", () => {
    it("ok/scepclient enrolls (DES-CBC + SHA-1, POST)", async () => {
      const cn = `scepclient-${randomSuffix()}`;
      const r = await enrollScepclient(open.url, { cn, timeoutMs: 30_000 });
      record({ client: "scepclient", cipher: "des", digest: "sha1", ok: r.ok, ms: r.durationMs, note: "fixed by the client" });
      await expectIssued(r, cn, openChain, open);
    });

    const combos = [
      { cipher: "aes", digest: "sha256" },
      { cipher: "aes", digest: "sha1" },
      { cipher: "des3", digest: "sha256" },
      { cipher: "des3", digest: "sha1" },
    ] as const;
    for (const { cipher, digest } of combos) {
      it(`ok/pki --scep --cipher ${cipher} --digest ${digest} enrolls`, async () => {
        const cn = `pki-${cipher}-${digest}-${randomSuffix()}`;
        const r = await enrollPki(open.url, { cn, cipher, digest, maxPollTime: 10, interval: 1 });
        record({ client: "pki", cipher: cipher === "aes" ? "aes128" : cipher, digest, ok: r.ok, ms: r.durationMs, note: "" });
        await expectIssued(r, cn, openChain, open);
        expect(r.pending).toBe(false);
      });
    }

    it("ok/certmonger scep-submit enrolls (GET only)", async () => {
      const cn = `certmonger-${randomSuffix()}`;
      const r = await enrollCertmonger(open.url, { cn, pollMax: 0 });
      const alg = await certmongerAlgorithms(r).catch(() => ({ digest: "?", cipher: "?" }));
      record({ client: "certmonger", ...alg, ok: r.ok, ms: r.durationMs, note: "read from its PKCSReq" });
      await expectIssued(r, cn, openChain, open);
      expect(r.pending).toBe(false);
      expect(alg).toEqual({ digest: "sha256", cipher: "aes256" });
    });
  });

  describe("static challenge", () => {
    it("ok/each client enrolls with the right challenge", async () => {
      const cns = { scepclient: `sc-right-${randomSuffix()}`, pki: `pki-right-${randomSuffix()}`, certmonger: `cm-right-${randomSuffix()}` };
      const [sc, pki, cm] = await Promise.all([
        enrollScepclient(secret.url, { cn: cns.scepclient, challenge: CHALLENGE, timeoutMs: 30_000 }),
        enrollPki(secret.url, { cn: cns.pki, challenge: CHALLENGE, cipher: "aes", digest: "sha256", maxPollTime: 10, interval: 1 }),
        enrollCertmonger(secret.url, { cn: cns.certmonger, challenge: CHALLENGE, pollMax: 0 }),
      ]);
      record({ client: "scepclient+challenge", cipher: "des", digest: "sha1", ok: sc.ok, ms: sc.durationMs, note: "" });
      record({ client: "pki+challenge", cipher: "aes128", digest: "sha256", ok: pki.ok, ms: pki.durationMs, note: "" });
      const alg = await certmongerAlgorithms(cm).catch(() => ({ digest: "?", cipher: "?" }));
      record({ client: "certmonger+challenge", ...alg, ok: cm.ok, ms: cm.durationMs, note: "" });
      await expectIssued(sc, cns.scepclient, secretChain, secret);
      await expectIssued(pki, cns.pki, secretChain, secret);
      await expectIssued(cm, cns.certmonger, secretChain, secret);
      for (const cn of Object.values(cns)) {
        expect((await secretRecords.byCommonName(cn)).map((t) => [t.state, t.challenge])).toEqual([["issued", "valid"]]);
      }
    });

    it("fail/each client is refused with a wrong challenge (FAILURE badRequest)", async () => {
      const cns = { scepclient: `sc-wrong-${randomSuffix()}`, pki: `pki-wrong-${randomSuffix()}`, certmonger: `cm-wrong-${randomSuffix()}` };
      const [sc, pki, cm] = await Promise.all([
        enrollScepclient(secret.url, { cn: cns.scepclient, challenge: "not-the-secret", timeoutMs: 30_000 }),
        enrollPki(secret.url, { cn: cns.pki, challenge: "not-the-secret", cipher: "aes", digest: "sha256", maxPollTime: 10, interval: 1 }),
        enrollCertmonger(secret.url, { cn: cns.certmonger, challenge: "not-the-secret", pollMax: 0 }),
      ]);
      await expectRefused(sc, cns.scepclient, REFUSED.scepclient, 1);
      await expectRefused(pki, cns.pki, REFUSED.pki, 1);
      await expectRefused(cm, cns.certmonger, REFUSED.certmonger, 2);
      expect((await secretRecords.byCommonName(cns.pki))[0]?.challenge).toBe("wrong");
      expect(secret.output()).not.toContain("not-the-secret");
    });

    it("fail/each client is refused without a challenge (FAILURE badRequest)", async () => {
      const cns = { scepclient: `sc-none-${randomSuffix()}`, pki: `pki-none-${randomSuffix()}`, certmonger: `cm-none-${randomSuffix()}` };
      const [sc, pki, cm] = await Promise.all([
        enrollScepclient(secret.url, { cn: cns.scepclient, timeoutMs: 30_000 }),
        enrollPki(secret.url, { cn: cns.pki, cipher: "des3", digest: "sha256", maxPollTime: 10, interval: 1 }),
        enrollCertmonger(secret.url, { cn: cns.certmonger, pollMax: 0 }),
      ]);
      await expectRefused(sc, cns.scepclient, REFUSED.scepclient, 1);
      await expectRefused(pki, cns.pki, REFUSED.pki, 1);
      await expectRefused(cm, cns.certmonger, REFUSED.certmonger, 2);
      expect((await secretRecords.byCommonName(cns.pki))[0]?.challenge).toBe("missing");
    });
  });

  describe("a resent PKCSReq is a poll, never a second certificate", () => {
    it("ok/scepclient rerun() (same key, same transactionID) gets the same serial; one issued record", async () => {
      const cn = `sc-resend-${randomSuffix()}`;
      const first = await enrollScepclient(open.url, { cn, timeoutMs: 30_000 });
      const cert1 = await expectIssued(first, cn, openChain, open);
      const again = await first.rerun();
      record({ client: "scepclient resend", cipher: "des", digest: "sha1", ok: again.ok, ms: again.durationMs, note: "same PKCSReq again" });
      const cert2 = await expectIssued(again, cn, openChain, open);
      expect(again.keyPem).toBe(first.keyPem);
      expect(certInfo(cert2).serial).toBe(certInfo(cert1).serial);
      expect(cert2).toBe(cert1);
      await expectOneIssuedRecord(openRecords, cn, cert1);
    });

    it("ok/certmonger submitting its same PKCSReq twice gets the same certificate; one issued record", async () => {
      const cn = `cm-resend-${randomSuffix()}`;
      const first = await enrollCertmonger(open.url, { cn, pollMax: 0 });
      const cert1 = await expectIssued(first, cn, openChain, open);
      const again = await first.poll({ pollWith: "pkcsreq" });
      record({ client: "certmonger resend", cipher: "aes256", digest: "sha256", ok: again.ok, ms: again.durationMs, note: "same PKCSReq bytes again" });
      const cert2 = await expectIssued(again, cn, openChain, open);
      expect(certInfo(cert2).serial).toBe(certInfo(cert1).serial);
      expect(cert2).toBe(cert1);
      await expectOneIssuedRecord(openRecords, cn, cert1);
    });
  });
});

/** Exactly one record for `cn`, issued, holding this certificate, and one "issued" in its audit. */
async function expectOneIssuedRecord(records: RecordReader, cn: string, certPem: string): Promise<void> {
  const recs = await records.byCommonName(cn);
  expect(recs).toHaveLength(1);
  const tx = recs[0]!;
  expect(tx.state).toBe("issued");
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  expect(tx.certificate).toBe(der.toString("base64"));
  expect(tx.serial?.toUpperCase().replace(/^0+/, "")).toBe(certInfo(certPem).serial);
  const events = (await records.audit(tx.id)).map((e) => e.event);
  expect(events.filter((e) => e === "issued")).toHaveLength(1);
}
