/**
 * Sorting what an upstream's GetCACert serves: the CA path, its RA
 * certificates, the certificate requests are encrypted to, who may sign
 * CertReps, and the fingerprint pin.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Certificate } from "../../../src/crypto/index.js";
import { matchesPin, pinnedCaCertificate, sortServedCertificates } from "../../../src/upstream/upstream-certs.js";
import { makeIdentity, type TestIdentity } from "../../support/pki.js";

const names = (certs: readonly Certificate[]): string[] => certs.map((c) => c.subjectText());

describe("sortServedCertificates", () => {
  let root: TestIdentity;
  let issuing: TestIdentity;
  let raBoth: TestIdentity;
  let raSign: TestIdentity;
  let raEnc: TestIdentity;
  let raNoKu: TestIdentity;
  let stranger: TestIdentity;

  beforeAll(async () => {
    root = await makeIdentity("CN=Root CA", "rsa-2048", { ca: true, keyUsage: { keyCertSign: true, cRLSign: true } });
    issuing = await makeIdentity("CN=Issuing CA", "rsa-2048", { ca: true, issuer: root, keyUsage: { keyCertSign: true, cRLSign: true } });
    raBoth = await makeIdentity("CN=RA both", "rsa-2048", { issuer: issuing, keyUsage: { digitalSignature: true, keyEncipherment: true } });
    raSign = await makeIdentity("CN=RA signing", "rsa-2048", { issuer: issuing, keyUsage: { digitalSignature: true } });
    raEnc = await makeIdentity("CN=RA encryption", "rsa-2048", { issuer: issuing, keyUsage: { keyEncipherment: true } });
    raNoKu = await makeIdentity("CN=RA unrestricted", "rsa-2048", { issuer: issuing });
    const other = await makeIdentity("CN=Other CA", "rsa-2048", { ca: true });
    stranger = await makeIdentity("CN=Stranger", "rsa-2048", { issuer: other, keyUsage: { digitalSignature: true, keyEncipherment: true } });
  });

  it("ok/CA only (micromdm): requests go to the CA certificate", () => {
    const s = sortServedCertificates([root.cert]);
    expect(s.recipient).toBe(root.cert);
    expect(names(s.caPath)).toEqual(["CN=Root CA"]);
    expect(s.ra).toEqual([]);
    expect(names(s.trustedSigners)).toEqual(["CN=Root CA"]);
  });

  it("ok/an RA with keyEncipherment and its CA chain (scepgate): requests go to the RA certificate", () => {
    const s = sortServedCertificates([raBoth.cert, issuing.cert, root.cert]);
    expect(s.recipient).toBe(raBoth.cert);
    expect(names(s.caPath)).toEqual(["CN=Issuing CA", "CN=Root CA"]);
    expect(names(s.trustedSigners)).toEqual(["CN=RA both", "CN=Issuing CA", "CN=Root CA"]);
  });

  it("ok/a signing-only RA, an encryption RA and the CA (NDES): requests go to the encryption RA", () => {
    const s = sortServedCertificates([raSign.cert, raEnc.cert, issuing.cert]);
    expect(s.recipient).toBe(raEnc.cert);
    expect(names(s.ra)).toEqual(["CN=RA signing", "CN=RA encryption"]);
    expect(names(s.caPath)).toEqual(["CN=Issuing CA"]);
  });

  it("ok/served in any order, the path still runs issuing CA first, root last", () => {
    const s = sortServedCertificates([root.cert, raBoth.cert, issuing.cert]);
    expect(names(s.caPath)).toEqual(["CN=Issuing CA", "CN=Root CA"]);
    expect(sortServedCertificates([root.cert, issuing.cert]).caPath.map((c) => c.subjectText())).toEqual(["CN=Issuing CA", "CN=Root CA"]);
  });

  it("ok/an RA certificate without keyUsage may receive; explicit keyEncipherment is preferred", () => {
    expect(sortServedCertificates([raNoKu.cert, issuing.cert]).recipient).toBe(raNoKu.cert);
    expect(sortServedCertificates([raNoKu.cert, raEnc.cert, issuing.cert]).recipient).toBe(raEnc.cert);
  });

  it("ok/a signing-only RA alone is still the recipient: the RA decrypts, not its CA (scepgate enrolled from micromdm)", () => {
    const s = sortServedCertificates([raSign.cert, issuing.cert, root.cert]);
    expect(s.recipient).toBe(raSign.cert);
    expect(names(s.ra)).toEqual(["CN=RA signing"]);
  });

  it("ok/a signing-only RA beside an encryption RA: the encryption RA receives", () => {
    expect(sortServedCertificates([raSign.cert, raEnc.cert, issuing.cert]).recipient).toBe(raEnc.cert);
  });

  it("fail/a certificate not issued by the CA path is ignored: neither recipient nor trusted signer", () => {
    const s = sortServedCertificates([stranger.cert, issuing.cert, root.cert]);
    expect(s.recipient).toBe(issuing.cert);
    expect(names(s.ignored)).toEqual(["CN=Stranger"]);
    expect(s.trustedSigners).not.toContain(stranger.cert);
  });

  it("ok/the pin: the root when served, else the issuing CA; any certificate of the path matches", () => {
    const full = sortServedCertificates([raBoth.cert, issuing.cert, root.cert]);
    expect(pinnedCaCertificate(full)).toBe(root.cert);
    expect(matchesPin(full, root.cert.fingerprint256())).toBe(true);
    expect(matchesPin(full, issuing.cert.fingerprint256().toUpperCase())).toBe(true);
    expect(matchesPin(full, raBoth.cert.fingerprint256())).toBe(false);
    const noRoot = sortServedCertificates([raBoth.cert, issuing.cert]);
    expect(pinnedCaCertificate(noRoot)).toBe(issuing.cert);
    expect(matchesPin(noRoot, root.cert.fingerprint256())).toBe(false);
  });

  it("fail/nothing served", () => {
    expect(() => sortServedCertificates([])).toThrow(/no certificate/);
  });
});
