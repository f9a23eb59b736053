/** The cipher, digest and method the RA uses towards an upstream, from its GetCACaps (RFC 8894 §3.5.2). */
import { describe, expect, it } from "vitest";
import { formatCapabilities, parseCapabilities, ScepgateCapabilities } from "../../../src/protocol/index.js";
import { chooseAlgorithms, hasCapability } from "../../../src/upstream/algorithm-choice.js";

const caps = (...keywords: string[]): Set<string> => parseCapabilities(keywords.join("\n"));

describe("chooseAlgorithms", () => {
  it.each([
    ["micromdm scepserver 2.1.0", caps("Renewal", "SHA-1", "SHA-256", "AES", "DES3", "SCEPStandard", "POSTPKIOperation"), { cipher: "aes128", digest: "sha256", method: "POST" }],
    ["scepgate as upstream", parseCapabilities(formatCapabilities(ScepgateCapabilities)), { cipher: "aes128", digest: "sha512", method: "POST" }],
    ["NDES-like (no AES)", caps("POSTPKIOperation", "Renewal", "SHA-512", "SHA-256", "SHA-1", "DES3"), { cipher: "des3", digest: "sha512", method: "POST" }],
    ["SCEPStandard alone implies AES, SHA-256, POST", caps("SCEPStandard"), { cipher: "aes128", digest: "sha256", method: "POST" }],
    ["DES3 + SHA-1, GET only", caps("DES3", "SHA-1"), { cipher: "des3", digest: "sha1", method: "GET" }],
    ["AES without POST", caps("AES", "SHA-256"), { cipher: "aes128", digest: "sha256", method: "GET" }],
    ["no capabilities (pre-RFC CA)", caps(), { cipher: "des", digest: "sha1", method: "GET" }],
    ["unknown keywords only", caps("SHA-384", "Update", "Frobnicate"), { cipher: "des", digest: "sha1", method: "GET" }],
  ])("ok/%s", (_name, set, expected) => {
    expect(chooseAlgorithms(set)).toEqual(expected);
  });

  it("ok/keywords are matched case-insensitively, CRLF or LF separated", () => {
    const set = parseCapabilities("aes\r\nsha-512\r\npostpkioperation\r\ngetnextcacert\r\n");
    expect(chooseAlgorithms(set)).toEqual({ cipher: "aes128", digest: "sha512", method: "POST" });
    expect(hasCapability(set, "GetNextCACert")).toBe(true);
    expect(hasCapability(set, "Renewal")).toBe(false);
  });
});
