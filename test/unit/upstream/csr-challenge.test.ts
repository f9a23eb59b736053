/**
 * The CSR challengePassword rewrite for `upstream.challenge`: the attribute is
 * replaced or added, everything else keeps its exact encoding, and both our
 * parser and OpenSSL still read the result.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildCsr, buildName, children, ctx, encodeKeyUsage, Oid, oidValue, parseCsr, parseDer, raw, seq, Tag,
} from "../../../src/crypto/index.js";
import { withChallengePassword } from "../../../src/upstream/csr-challenge.js";
import { testPki } from "../../support/pki.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The parts of a CSR as encoded: info fields, attributes (by OID), signature algorithm and value. */
function parts(der: Uint8Array) {
  const [info, sigAlg, sig] = children(parseDer(der));
  const [version, subject, spki, attrs] = children(info!);
  const attributes = attrs ? children(attrs).map((a) => ({ type: oidValue(children(a)[0]!), der: hex(raw(a)) })) : [];
  return { version: hex(raw(version!)), subject: hex(raw(subject!)), spki: hex(raw(spki!)), attrsTag: attrs?.tag, attributes, sigAlg: hex(raw(sigAlg!)), sig: hex(raw(sig!)) };
}

function opensslText(der: Uint8Array): string {
  const dir = mkdtempSync(path.join(tmpdir(), "scepgate-csr-"));
  try {
    writeFileSync(path.join(dir, "req.der"), der);
    return execFileSync("openssl", ["req", "-inform", "DER", "-in", path.join(dir, "req.der"), "-noout", "-text"], { encoding: "utf8" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function csrWith(challengePassword?: string): Promise<Uint8Array> {
  const { device } = await testPki();
  return buildCsr({
    subject: buildName("CN=device-7, O=lab"),
    key: device.key,
    challengePassword,
    extensions: [{ oid: Oid.keyUsage, critical: true, value: encodeKeyUsage({ digitalSignature: true, keyEncipherment: true }) }],
  });
}

describe("withChallengePassword", () => {
  it("ok/replaces the device's challengePassword; every other element keeps its encoding", async () => {
    const original = await csrWith("device-secret-for-the-ra");
    const rewritten = withChallengePassword(original, "upstream-secret");
    const before = parts(original);
    const after = parts(rewritten);
    expect(after).toMatchObject({ version: before.version, subject: before.subject, spki: before.spki, sigAlg: before.sigAlg, sig: before.sig, attrsTag: 0xa0 });
    const others = (p: typeof before) => p.attributes.filter((a) => a.type !== Oid.challengePassword);
    expect(others(after)).toEqual(others(before));
    expect(after.attributes.filter((a) => a.type === Oid.challengePassword)).toHaveLength(1);

    const csr = parseCsr(rewritten);
    expect(csr.challengePassword).toBe("upstream-secret");
    expect(csr.subjectText).toBe("CN=device-7, O=lab");
    expect([...csr.extensions.keys()]).toEqual([Oid.keyUsage]);
    // Documented: the device's signature stays, so it no longer verifies.
    expect(parseCsr(original).verify()).toBe(true);
    expect(csr.verify()).toBe(false);
  });

  it("ok/adds the attribute when the CSR has none (and keeps the extensionRequest)", async () => {
    const original = await csrWith(undefined);
    const rewritten = withChallengePassword(original, "upstream-secret");
    expect(parseCsr(original).challengePassword).toBeUndefined();
    const csr = parseCsr(rewritten);
    expect(csr.challengePassword).toBe("upstream-secret");
    expect(csr.extensions.has(Oid.keyUsage)).toBe(true);
    expect(parts(rewritten).attributes.map((a) => a.type).sort()).toEqual([Oid.challengePassword, Oid.extensionRequest].sort());
  });

  it("ok/adds an attributes field to a CSR encoded without one", async () => {
    const { device } = await testPki();
    const full = buildCsr({ subject: buildName("CN=bare"), key: device.key });
    // Drop the (empty) [0] attributes: some encoders omit it.
    const [info, sigAlg, sig] = children(parseDer(full));
    const [version, subject, spki] = children(info!);
    const bare = seq(seq(raw(version!), raw(subject!), raw(spki!)), raw(sigAlg!), raw(sig!));
    expect(parseCsr(withChallengePassword(bare, "pw")).challengePassword).toBe("pw");
  });

  it("ok/a password outside PrintableString is encoded as UTF8String", async () => {
    const rewritten = withChallengePassword(await csrWith("x"), "pässwörd_#1");
    expect(parseCsr(rewritten).challengePassword).toBe("pässwörd_#1");
    const attr = children(children(children(parseDer(rewritten))[0]!)[3]!).find((a) => oidValue(children(a)[0]!) === Oid.challengePassword)!;
    expect(children(children(attr)[1]!)[0]!.tag).toBe(Tag.UTF8_STRING);
  });

  it("ok/several challengePassword attributes collapse into the one we set", async () => {
    const original = await csrWith("one");
    const once = withChallengePassword(original, "two");
    // Splice a second challengePassword in by hand, then rewrite again.
    const [info, sigAlg, sig] = children(parseDer(once));
    const [version, subject, spki, attrs] = children(info!);
    const attrList = children(attrs!);
    const challenge = attrList.filter((a) => oidValue(children(a)[0]!) === Oid.challengePassword).map(raw);
    const doubled = seq(seq(raw(version!), raw(subject!), raw(spki!), ctx(0, ...attrList.map(raw), ...challenge)), raw(sigAlg!), raw(sig!));
    expect(parts(doubled).attributes.filter((a) => a.type === Oid.challengePassword)).toHaveLength(2);
    const fixed = withChallengePassword(doubled, "three");
    expect(parts(fixed).attributes.filter((a) => a.type === Oid.challengePassword)).toHaveLength(1);
    expect(parseCsr(fixed).challengePassword).toBe("three");
  });

  it("ok/OpenSSL parses the rewritten CSR of an OpenSSL-made request and shows the new password", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "scepgate-csr-"));
    try {
      const conf = path.join(dir, "req.cnf");
      writeFileSync(conf, "[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\n[dn]\nCN = openssl-device\nO = lab\n[attrs]\nchallengePassword = device-pw\n");
      execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "k.pem"), "-config", conf, "-outform", "DER", "-out", path.join(dir, "r.der")], { stdio: "ignore" });
      const original = new Uint8Array(readFileSync(path.join(dir, "r.der")));
      expect(parseCsr(original).challengePassword).toBe("device-pw");
      const rewritten = withChallengePassword(original, "upstream-pw");
      const text = opensslText(rewritten);
      expect(text).toMatch(/challengePassword\s*:\s*upstream-pw/);
      expect(text).not.toContain("device-pw");
      expect(text).toContain("CN = openssl-device");
      const p = parts(original);
      expect(parts(rewritten)).toMatchObject({ subject: p.subject, spki: p.spki, sig: p.sig, sigAlg: p.sigAlg });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fail/bytes that are not a CSR throw", () => {
    expect(() => withChallengePassword(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00), "pw")).toThrow();
  });
});
