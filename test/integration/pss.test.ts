/**
 * RSASSA-PSS requests against a real scepgate process (embedded development
 * CA, a spawned redis-server), issue 10:
 * - strongSwan `pki --scep --rsa-padding pss` 5.9.8 with `--cipher aes` and
 *   `--cipher des3`, with the machine's strongSwan plugins, then with the RSA
 *   key pinned in each RSA plugin installed (openssl, gcrypt, gmp: see
 *   RsaBackend in test/harness/clients/pki.ts);
 * - a CSR signed with PSS by `openssl req`, in a pkiMessage crafted here (its
 *   signerInfo PKCS#1 v1.5, then PSS too);
 * - a PSS request with a malformed trailerField, answered FAILURE badAlg.
 *
 * Every issued certificate must carry the client's key and verify with
 * `openssl verify` against GetCACert's chain. A recording proxy in front of
 * scepgate keeps pki's PKCSReqs, so the test also checks that pki really
 * signed with PSS (signerInfo and CSR), not with PKCS#1 v1.5.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { implicitRejectionSecret, Oid, parseCsr, parsePssParams, parseSignedData, toPem, type PssParams } from "../../src/crypto/index.js";
import { FailInfo, PkiStatus, readScepAttributes } from "../../src/protocol/index.js";
import { randomSuffix, type EnrollResult } from "../harness/clients.js";
import { enrollPki, hasStrongswanPlugin, type RsaBackend } from "../harness/clients/pki.js";
import { fetchCaChain, sameKey, verifyCert, type CaChain } from "../harness/openssl.js";
import { startRedis, type RedisHandle } from "../harness/redis.js";
import { startScepgate, type Scepgate } from "../harness/scepgate.js";
import { resignWithPss } from "../support/craft.js";
import { openssl, scratchDir } from "../support/openssl-cms.js";
import { selfSignedDeviceCert } from "../support/pki.js";
import { fetchRaView, postPkiOperation, readCertRep, request, type Device, type RaView } from "./support/craft-http.js";
import { recordReader, type RecordReader } from "./support/redis-records.js";

/** What pki 5.9.8 writes for `--digest sha256 --rsa-padding pss`: MGF1 with the same hash, salt = hash length. */
const PKI_SHA256: PssParams = { hash: "sha256", mgf1Hash: "sha256", saltLength: 32 };

/** A pass-through proxy in front of scepgate that keeps every PKIOperation POST body. */
interface Recorder {
  url: string;
  bodies: Buffer[];
  stop(): Promise<void>;
}

async function startRecorder(target: string): Promise<Recorder> {
  const bodies: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.method === "POST") bodies.push(body);
      const to = new URL(req.url ?? "/", target);
      fetch(to, { method: req.method, body: req.method === "POST" ? body : undefined, signal: AbortSignal.timeout(30_000) })
        .then(async (r) => {
          res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/octet-stream" });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/scep`,
    bodies,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const summaries: string[] = [];
function record(line: string): void {
  summaries.push(line);
  console.log(`[enroll] ${line}`);
}

describe("RSASSA-PSS: real clients enroll against the running process", () => {
  let redis: RedisHandle;
  let gate: Scepgate;
  let chain: CaChain;
  let recorder: Recorder;
  let records: RecordReader;
  let raView: RaView;

  beforeAll(async () => {
    redis = await startRedis();
    gate = await startScepgate({ redis });
    chain = await fetchCaChain(gate.url);
    raView = await fetchRaView(gate.url);
    recorder = await startRecorder(gate.baseUrl);
    records = recordReader(redis.url, gate.keyPrefix);
  });

  afterAll(async () => {
    await records?.close();
    await recorder?.stop();
    await gate?.stop();
    await redis?.stop();
    if (summaries.length > 0) console.log(["[enroll] summary:", ...summaries.map((s) => `  ${s}`)].join("\n"));
  });

  /** Issued for the client's key, with the CN, and verifies against GetCACert's chain. */
  async function expectIssued(certPem: string | undefined, keyPem: string, cn: string, why: string): Promise<void> {
    expect(certPem, `${why}\n--- scepgate:\n${gate.output().slice(-3000)}`).toBeDefined();
    expect(sameKey(certPem!, keyPem)).toBe(true);
    expect(new X509Certificate(certPem!).subject).toContain(`CN=${cn}`);
    const verified = await verifyCert(certPem!, { roots: chain.roots, untrusted: chain.others });
    expect(verified.ok, verified.output).toBe(true);
  }

  /** pki really signed with PSS: the signerInfo of its PKCSReq (as recorded) and the CSR scepgate stored. */
  async function expectPkiUsedPss(cn: string): Promise<void> {
    const [tx] = await records.byCommonName(cn);
    expect(tx?.state).toBe("issued");
    const csr = parseCsr(Buffer.from(tx!.csr, "base64"));
    expect(csr.signatureOid).toBe(Oid.rsassaPss);
    expect(parsePssParams(csr.signatureParams!)).toEqual(PKI_SHA256);
    const sent = recorder.bodies.map((b) => parseSignedData(b)).filter((sd) => readScepAttributes(sd.signers[0]!.attributes).transactionId === tx!.transactionId);
    expect(sent.length).toBeGreaterThan(0);
    for (const sd of sent) {
      expect(sd.signers[0]!.signatureOid).toBe(Oid.rsassaPss);
      expect(parsePssParams(sd.signers[0]!.signatureParams!)).toEqual(PKI_SHA256);
    }
  }

  async function enrollWithPss(cipher: "aes" | "des3", rsaBackend?: RsaBackend): Promise<{ r: EnrollResult; cn: string }> {
    const cn = `pki-pss-${cipher}-${rsaBackend ?? "default"}-${randomSuffix()}`;
    const r = await enrollPki(recorder.url, { cn, cipher, digest: "sha256", rsaPadding: "pss", rsaBackend, maxPollTime: 10, interval: 1 });
    record(`client=pki --rsa-padding pss cipher=${cipher} backend=${rsaBackend ?? "machine default"} ok=${r.ok} ms=${r.durationMs}`);
    await expectIssued(r.certPem, r.keyPem, cn, r.log);
    expect(r.pending).toBe(false);
    return { r, cn };
  }

  for (const cipher of ["aes", "des3"] as const) {
    it(`ok/pki --scep --rsa-padding pss --cipher ${cipher} enrolls (the machine's strongSwan plugins)`, async () => {
      const { cn } = await enrollWithPss(cipher);
      await expectPkiUsedPss(cn);
    });
  }

  for (const backend of ["openssl", "gcrypt", "gmp"] as const) {
    it.skipIf(!hasStrongswanPlugin(backend))(`ok/pki --rsa-padding pss with its RSA key in strongSwan's ${backend} plugin enrolls (aes, des3)`, async () => {
      for (const cipher of ["aes", "des3"] as const) {
        const { cn } = await enrollWithPss(cipher, backend);
        await expectPkiUsedPss(cn);
      }
    });
  }

  /** A device whose key and CSR come from openssl (`openssl req -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32`). */
  async function opensslPssDevice(cn: string): Promise<{ device: Device; keyPem: string; csr: Uint8Array }> {
    const key = await openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]);
    expect(key.code, key.stderr).toBe(0);
    const keyPem = key.stdout.toString("utf8");
    const scratch = await scratchDir();
    const sigopts = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"];
    const req = await openssl(["req", "-new", "-key", await scratch.write("k.pem", keyPem), "-subj", `/O=lab/CN=${cn}`, "-sha256", ...sigopts, "-outform", "DER"]);
    await scratch.remove();
    expect(req.code, req.stderr).toBe(0);
    const privateKey = createPrivateKey(keyPem);
    const cert = selfSignedDeviceCert(cn, privateKey);
    return { device: { cn, key: privateKey, cert, decryption: { cert, key: privateKey, rejectionSecret: implicitRejectionSecret(privateKey) } }, keyPem, csr: req.stdout };
  }

  it.each([
    ["PKCS#1 v1.5 signerInfo", false],
    ["RSASSA-PSS signerInfo too", true],
  ])("ok/a CSR signed with PSS by openssl req, in a crafted PKCSReq with a %s, gets SUCCESS", async (what, pssSignerInfo) => {
    const started = Date.now();
    const cn = `openssl-pss-${randomSuffix()}`;
    const { device, keyPem, csr } = await opensslPssDevice(cn);
    expect(parseCsr(csr).signatureOid).toBe(Oid.rsassaPss);
    const req = request({ device, recipient: raView.ra, messageData: csr });
    const der = pssSignerInfo ? resignWithPss(req.der, device.key, { params: PKI_SHA256 }) : req.der;
    const answer = await postPkiOperation(gate.url, der);
    expect(answer.status, answer.text).toBe(200);
    const rep = await readCertRep(answer.body, raView.ra, device, req);
    record(`client=crafted openssl-req-pss (${what}) ok=${rep.status === PkiStatus.SUCCESS} ms=${Date.now() - started}`);
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    await expectIssued(toPem(rep.certificates[0]!), keyPem, cn, rep.failInfoText ?? "");
  });

  it("fail/a PSS request whose parameters say trailerField 2 gets a signed FAILURE badAlg", async () => {
    const cn = `bad-pss-${randomSuffix()}`;
    const { device, csr } = await opensslPssDevice(cn);
    const req = request({ device, recipient: raView.ra, messageData: csr });
    const trailer2 = Uint8Array.of(0x30, 0x05, 0xa3, 0x03, 0x02, 0x01, 0x02);
    const answer = await postPkiOperation(gate.url, resignWithPss(req.der, device.key, { params: PKI_SHA256, written: trailer2 }));
    expect(answer.status, answer.text).toBe(200);
    const rep = await readCertRep(answer.body, raView.ra, device, req);
    expect(rep.status).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo).toBe(FailInfo.badAlg);
    expect(rep.failInfoText).toMatch(/trailerField 2 is not trailerFieldBC/);
  });
});
