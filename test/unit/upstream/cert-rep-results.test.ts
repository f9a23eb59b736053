/** Upstream CertReps as port results: which certificate is "the issued one", the chain, rejections. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Certificate } from "../../../src/crypto/index.js";
import { FailInfo, PkiStatus, type CertRep } from "../../../src/protocol/index.js";
import { UpstreamError } from "../../../src/ra/errors.js";
import { chooseAlgorithms } from "../../../src/upstream/algorithm-choice.js";
import { enrollmentResult, queryResult } from "../../../src/upstream/cert-rep-results.js";
import { sortServedCertificates } from "../../../src/upstream/upstream-certs.js";
import type { UpstreamInfo } from "../../../src/upstream/upstream-directory.js";
import { bodyExcerpt } from "../../../src/upstream/upstream-http.js";
import { makeIdentity, type TestIdentity } from "../../support/pki.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function infoFor(served: Certificate[]): UpstreamInfo {
  const sorted = sortServedCertificates(served);
  return { ...sorted, caps: new Set(), algorithms: chooseAlgorithms(new Set()), caChain: sorted.caPath.map((c) => c.der), next: [] };
}

function rep(status: CertRep["status"], extra: Partial<CertRep> = {}): CertRep {
  return { status, transactionId: "t", signer: undefined as unknown as Certificate, digest: "sha1", certificates: [], crls: [], ...extra };
}

describe("enrollmentResult", () => {
  let root: TestIdentity;
  let issuing: TestIdentity;
  let device: TestIdentity;
  let other: TestIdentity;
  let info: UpstreamInfo;

  beforeAll(async () => {
    root = await makeIdentity("CN=Root CA", "rsa-2048", { ca: true });
    issuing = await makeIdentity("CN=Issuing CA", "rsa-2048", { ca: true, issuer: root });
    device = await makeIdentity("CN=device", "rsa-2048", { issuer: issuing });
    other = await makeIdentity("CN=someone else", "rsa-2048", { issuer: issuing });
    info = infoFor([issuing.cert, root.cert]);
  });

  it("ok/picks the certificate for the CSR's key, not the first of the bundle; chain issuing CA first", () => {
    const r = enrollmentResult(rep(PkiStatus.SUCCESS, { certificates: [root.cert.der, other.cert.der, device.cert.der] }), device.cert.spki, info, "PKCSReq");
    expect(r.status).toBe("issued");
    if (r.status !== "issued") return;
    expect(hex(r.certificate)).toBe(hex(device.cert.der));
    expect(r.chain.map(hex)).toEqual([hex(issuing.cert.der), hex(root.cert.der)]);
  });

  it("ok/the chain may come from the bundle alone (an upstream that serves only its RA certificate)", () => {
    const raOnly = infoFor([root.cert]);
    const r = enrollmentResult(rep(PkiStatus.SUCCESS, { certificates: [device.cert.der, issuing.cert.der] }), device.cert.spki, raOnly, "PKCSReq");
    expect(r.status === "issued" && r.chain.map(hex)).toEqual([hex(issuing.cert.der), hex(root.cert.der)]);
  });

  it("fail/SUCCESS without a certificate for the requested key is a protocol error", () => {
    const call = () => enrollmentResult(rep(PkiStatus.SUCCESS, { certificates: [other.cert.der] }), device.cert.spki, info, "PKCSReq");
    expect(call).toThrow(UpstreamError);
    expect(call).toThrow(/without a certificate for the requested key/);
  });

  it("fail/a certificate for the key not issued by any known CA is a protocol error", async () => {
    const selfMade = await makeIdentity("CN=device", "rsa-2048");
    const call = () => enrollmentResult(rep(PkiStatus.SUCCESS, { certificates: [selfMade.cert.der] }), selfMade.cert.spki, info, "PKCSReq");
    expect(call).toThrow(/neither in the bundle nor the upstream's CA/);
  });

  it("ok/PENDING and FAILURE", () => {
    expect(enrollmentResult(rep(PkiStatus.PENDING), device.cert.spki, info, "CertPoll")).toEqual({ status: "pending" });
    expect(enrollmentResult(rep(PkiStatus.FAILURE, { failInfo: FailInfo.badRequest, failInfoText: "DN already exists" }), device.cert.spki, info, "PKCSReq")).toEqual({
      status: "rejected", failInfo: FailInfo.badRequest, reason: "DN already exists",
    });
    expect(enrollmentResult(rep(PkiStatus.FAILURE, { failInfo: FailInfo.badCertId }), device.cert.spki, info, "PKCSReq")).toEqual({
      status: "rejected", failInfo: FailInfo.badCertId, reason: "badCertId",
    });
    expect(enrollmentResult(rep(PkiStatus.FAILURE), device.cert.spki, info, "PKCSReq")).toMatchObject({ status: "rejected", failInfo: FailInfo.badRequest });
  });

  it("ok/queries return the bundle as is", () => {
    expect(queryResult(rep(PkiStatus.SUCCESS, { certificates: [device.cert.der], crls: [Uint8Array.of(1)] }))).toEqual({ status: "ok", certificates: [device.cert.der], crls: [Uint8Array.of(1)] });
    expect(queryResult(rep(PkiStatus.FAILURE, { failInfo: FailInfo.badCertId }))).toMatchObject({ status: "rejected", failInfo: FailInfo.badCertId });
  });
});

describe("bodyExcerpt", () => {
  it("ok/one printable line, at most ~200 characters", () => {
    expect(bodyExcerpt(Buffer.from("not implemented\n"))).toBe("not implemented");
    expect(bodyExcerpt(Buffer.from("a\r\nb\x00\x1b[31mc\td"))).toBe("a b [31mc d");
    const long = bodyExcerpt(Buffer.from("y".repeat(1000)));
    expect(long).toBe(`${"y".repeat(200)}…`);
    expect(bodyExcerpt(new Uint8Array(0))).toBe("");
  });
});
