/**
 * CSR attributes are a SET OF Attribute with one entry per type (RFC 2985
 * §5.4.1 challengePassword: single-valued, one attribute): a CSR carrying two
 * challengePasswords would let the RA check one while the CA reads the other.
 */
import { describe, expect, it } from "vitest";
import { buildCsr, buildName, children, ctx, DerError, generateKey, Oid, oid, parseCsr, parseDer, printable, raw, seq, setOf } from "../../../src/crypto/index.js";

/** The CSR of `buildCsr` with its attributes replaced by `attrs` (the signature no longer matches: parsing does not check it). */
async function csrWithAttributes(...attrs: Uint8Array[]): Promise<Uint8Array> {
  const der = buildCsr({ subject: buildName("CN=attrs, O=lab"), key: await generateKey("rsa-2048") });
  const [info, alg, sig] = children(parseDer(der));
  const [version, subject, spki] = children(info!);
  return seq(seq(raw(version!), raw(subject!), raw(spki!), ctx(0, ...attrs)), raw(alg!), raw(sig!));
}

const password = (value: string): Uint8Array => seq(oid(Oid.challengePassword), setOf(printable(value)));

describe("CSR attributes", () => {
  it("ok/one challengePassword is read", async () => {
    expect(parseCsr(await csrWithAttributes(password("one"))).challengePassword).toBe("one");
  });

  it("fail/two challengePassword attributes are refused (a DerError naming the type)", async () => {
    const der = await csrWithAttributes(password("checked-by-the-ra"), password("read-by-the-ca"));
    expect(() => parseCsr(der)).toThrow(DerError);
    expect(() => parseCsr(der)).toThrow(`attribute ${Oid.challengePassword} appears twice`);
  });
});
