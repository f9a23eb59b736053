/**
 * `enrollRaIdentity` (scepgate ra init) against a real micromdm scepserver:
 * key file, certificate file, the keyUsage warning, key reuse, refusal; and
 * the enrolled identity then forwarding a device request as the RA.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { implicitRejectionSecret, loadPrivateKey, parseCertificate, pemCertificates } from "../../../src/crypto/index.js";
import { FailInfo } from "../../../src/protocol/index.js";
import type { RaIdentity } from "../../../src/ra/identity.js";
import { enrollRaIdentity, RaEnrollmentError, type RaEnrollOptions } from "../../../src/upstream/ra-enroll.js";
import { ScepUpstream } from "../../../src/upstream/scep-upstream.js";
import { keyUsage, sameKey, verifyCert } from "../../harness/openssl.js";
import { makeTempDir } from "../../harness/tmp.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { clock, deviceCsr, recordingLogger, uniqueCn } from "./upstream-support.js";

const CHALLENGE = "ra-init-s3cret";

describe("enrollRaIdentity against micromdm scepserver", () => {
  let ca: ScepServer;
  let dir: string;
  let first: { certPem: string; warnings: string[] };
  let keyPemAfterFirst: string;

  const options = (o: Partial<RaEnrollOptions> = {}): RaEnrollOptions => ({
    url: ca.url,
    caFingerprint: createHash("sha256").update(pemCertificates(ca.caCertPem)[0]!).digest("hex"),
    challenge: CHALLENGE,
    subject: `CN=${uniqueCn("scepgate-ra")}, O=scepgate tests`,
    keyFile: path.join(dir, "ra", "ra.key"),
    certFile: path.join(dir, "ra", "ra.crt"),
    timeoutMs: 10_000,
    pollIntervalMs: 200,
    maxWaitMs: 2_000,
    logger: recordingLogger(),
    clock,
    ...o,
  });

  beforeAll(async () => {
    ca = await startScepServer({ challenge: CHALLENGE });
    dir = makeTempDir("ra-enroll-");
  });
  afterAll(async () => {
    await ca?.stop();
  });

  it("ok/makes a 0600 key and writes the certificate then the CA, issued by micromdm", async () => {
    const logger = recordingLogger();
    first = await enrollRaIdentity(options({ logger }));
    const o = options();
    expect((await stat(o.keyFile)).mode & 0o777).toBe(0o600);
    keyPemAfterFirst = await readFile(o.keyFile, "utf8");
    const certText = await readFile(o.certFile, "utf8");
    expect(certText).toBe(first.certPem);
    const [cert, caDer, ...rest] = pemCertificates(certText);
    expect(rest).toHaveLength(0);
    expect(Buffer.from(caDer!).equals(pemCertificates(ca.caCertPem)[0]!)).toBe(true);
    const certPem = certText.slice(0, certText.indexOf("-----END CERTIFICATE-----") + 26);
    expect(sameKey(certPem, keyPemAfterFirst)).toBe(true);
    expect((await verifyCert(certPem, { roots: ca.caCertPem })).ok).toBe(true);
    // NOTE(micromdm): the subject comes back re-encoded in Go's pkix.Name order (O before CN).
    expect(parseCertificate(cert!).subjectText()).toMatch(/^O=scepgate tests, CN=scepgate-ra-/);
    expect(logger.text()).not.toContain(CHALLENGE);
  });

  it("ok/warns that micromdm's certificate lacks keyEncipherment (it issues digitalSignature only)", async () => {
    expect(await keyUsage(first.certPem)).toEqual(["Digital Signature"]);
    expect(first.warnings).toHaveLength(1);
    expect(first.warnings[0]).toMatch(/no keyUsage keyEncipherment: clients that pick the recipient by keyUsage \(iOS, Windows\) need it/);
  });

  it("ok/a second run reuses the key and gets a new certificate for it", async () => {
    const again = await enrollRaIdentity(options());
    expect(await readFile(options().keyFile, "utf8")).toBe(keyPemAfterFirst);
    expect(again.certPem).not.toBe(first.certPem);
    expect(sameKey(again.certPem, keyPemAfterFirst)).toBe(true);
  });

  it("ok/the enrolled RA identity forwards a device request through ScepUpstream", async () => {
    const o = options();
    const key = loadPrivateKey(await readFile(o.keyFile, "utf8"));
    const cert = parseCertificate(pemCertificates(await readFile(o.certFile, "utf8"))[0]!);
    const identity: RaIdentity = { signer: { cert, key }, decryption: [{ cert, key, rejectionSecret: implicitRejectionSecret(key) }], certificates: [cert] };
    const up = new ScepUpstream({ url: ca.url, challenge: CHALLENGE, timeoutMs: 10_000, capsRefreshMs: 60_000, identity, clock, logger: recordingLogger() });
    const csr = await deviceCsr(uniqueCn("via-enrolled-ra"));
    const result = await up.enroll({ profile: "default", upstreamTransactionId: "tx-ra-1", csr, messageType: "19" });
    expect(result.status).toBe("issued");
  });

  it("fail/a wrong challenge is a rejection (badRequest) and writes no certificate", async () => {
    const o = options({ challenge: "wrong", certFile: path.join(dir, "other", "ra.crt"), keyFile: path.join(dir, "other", "ra.key") });
    const err = await enrollRaIdentity(o).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RaEnrollmentError);
    expect(err).toMatchObject({ outcome: "rejected", failInfo: FailInfo.badRequest });
    await expect(stat(o.certFile)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
