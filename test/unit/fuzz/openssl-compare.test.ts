/** The openssl sample's verdicts (test/fuzz/openssl-compare.ts): which differences pass, which fail. */
import { describe, expect, it } from "vitest";
import { judgeOpenssl } from "../../fuzz/openssl-compare.js";
import { normaliseIp, type OpensslOutcome } from "../../fuzz/openssl-reference.js";
import type { Outcome } from "../../fuzz/ours.js";

const SPKI = "3015300d06092a864886f70d0101010500030400aabbcc";
/** The same key with the RSA NULL parameters left out (openssl writes them back). */
const SPKI_NO_NULL = "3013300b06092a864886f70d010101030400aabbcc";

const ours = (view: Record<string, unknown>): Outcome => ({ ok: true, view: { subject: [["2.5.4.3", "device"]], spki: SPKI, sans: undefined, ...view } });
const openssl = (view: Record<string, unknown>): OpensslOutcome => ({ ok: true, ms: 1, view: { subject: [["2.5.4.3", "device"]], spki: SPKI, ...view } });
const refused = (error: string): OpensslOutcome => ({ ok: false, ms: 1, error });

describe("openssl sample verdicts (issue 12)", () => {
  it("ok/same subject and key: ok, also when openssl writes the RSA NULL parameters back", () => {
    expect(judgeOpenssl("cert", ours({}), openssl({})).verdict.kind).toBe("ok");
    expect(judgeOpenssl("cert", ours({ spki: SPKI_NO_NULL }), openssl({})).verdict.kind).toBe("ok");
  });

  it("fail/a subject value or key bits that differ are a disagreement", () => {
    expect(judgeOpenssl("cert", ours({}), openssl({ subject: [["2.5.4.3", "other"]] })).verdict.kind).toBe("disagreement");
    expect(judgeOpenssl("cert", ours({}), openssl({ spki: SPKI.replace(/cc$/, "cd") })).verdict.kind).toBe("disagreement");
    expect(judgeOpenssl("cert", ours({ spki: "30ff" }), openssl({ spki: "3000" })).verdict.kind).toBe("disagreement");
  });

  it("ok/a subject that is not plain ASCII is not compared, and says so", () => {
    const v = judgeOpenssl("cert", ours({ subject: [["2.5.4.3", "a\nb"]] }), openssl({ subject: [["2.5.4.3", "a"]] }));
    expect(v.verdict.kind).toBe("ok");
    expect(v.notes).toContain("subject not plain ASCII: not compared");
  });

  it("ok/openssl refusing a non-minimal serial INTEGER is a documented openssl strictness", () => {
    const v = judgeOpenssl("cert", ours({}), refused("openssl x509 exit 1: unsupported [d2i: illegal padding (c2i_ibuf) < Field=serialNumber,Type=X509_CINF]"));
    expect(v.verdict).toEqual({ kind: "lenient", reason: expect.stringContaining("INTEGER not minimal") });
  });

  it("fail/openssl refusing for a reason no rule names is a disagreement", () => {
    expect(judgeOpenssl("csr", ours({}), refused("openssl req exit 1: sequence length mismatch < Type=X509_REQ_INFO")).verdict.kind).toBe("disagreement");
  });

  it("ok/our refusal of a constructed BIT STRING signature is documented (openssl takes BER there)", () => {
    const mine: Outcome = { ok: false, typed: true, error: "DerError: signature: expected tag 0x3, got 0x23" };
    expect(judgeOpenssl("csr", mine, openssl({})).verdict.kind).toBe("stricter");
    expect(judgeOpenssl("csr", { ok: false, typed: true, error: "DerError: something new" }, openssl({})).verdict.kind).toBe("disagreement");
  });

  it("fail/an untyped error of ours is a crash whatever openssl says", () => {
    expect(judgeOpenssl("cert", { ok: false, typed: false, error: "TypeError: x" }, refused("any")).verdict.kind).toBe("crash");
  });

  it("ok/IPv6 SANs in openssl's uncompressed upper-case form match ours", () => {
    expect(normaliseIp("2001:DB8:0:0:0:0:0:1")).toBe(normaliseIp("2001:db8::1"));
    expect(normaliseIp("192.0.2.7")).toBe("192.0.2.7");
  });
});
