/** The device list of `scepgate batch`: RFC 4180 parsing and the checks, every problem with its line number. */
import { describe, expect, it } from "vitest";
import { CsvSyntaxError, parseCsv } from "../../../src/ra/batch-csv.js";
import { isDnsName, isEmailAddress, parseDeviceList } from "../../../src/ra/batch-devices.js";

describe("parseCsv (RFC 4180)", () => {
  it("ok/quoted fields with commas, doubled quotes and line breaks; CRLF; the line each record starts on", () => {
    const text = 'name,cn\r\n"a,1","say ""hi"""\r\n"multi\nline",x\r\nlast,y';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ["name", "cn"] },
      { line: 2, fields: ["a,1", 'say "hi"'] },
      { line: 3, fields: ["multi\nline", "x"] },
      { line: 5, fields: ["last", "y"] },
    ]);
  });

  it("ok/a BOM, blank lines and a final line break are ignored; empty fields are kept", () => {
    expect(parseCsv("\uFEFFa,b\n\n1,\n,2\n")).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 3, fields: ["1", ""] },
      { line: 4, fields: ["", "2"] },
    ]);
  });

  it("fail/an unterminated quote names the line it opened on", () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(new CsvSyntaxError("a quoted field is not closed", 2));
  });

  it("fail/a quote inside an unquoted field, and text after a closing quote", () => {
    expect(() => parseCsv('a,b\n1,x"y\n')).toThrow(/line 2: a quote/);
    expect(() => parseCsv('a,b\n1,"x"y\n')).toThrow(/line 2: text after the closing quote/);
  });
});

describe("parseDeviceList", () => {
  it("ok/every column, any order and case, ;-separated lists, the row's key over the default", () => {
    const r = parseDeviceList('CN,Name,dns,ip,email,o,ou,c,challenge,key\nRouter 1,r1,"a.example; b.example",192.0.2.1;2001:db8::1,ops@example.com,Ex,"Net, Ops",de,s3cr3t,EC-P384\nx,r2,,,,,,,,\n', "rsa-2048");
    expect(r).toEqual({
      ok: true,
      devices: [
        { line: 2, name: "r1", cn: "Router 1", dns: ["a.example", "b.example"], ip: ["192.0.2.1", "2001:db8::1"], email: ["ops@example.com"], o: "Ex", ou: "Net, Ops", c: "DE", challenge: "s3cr3t", key: "ec-p384" },
        { line: 3, name: "r2", cn: "x", dns: [], ip: [], email: [], o: undefined, ou: undefined, c: undefined, challenge: undefined, key: "rsa-2048" },
      ],
    });
  });

  it("fail/duplicate name, missing cn and bad IP are all reported, with line numbers, in line order", () => {
    const csv = ["name,cn,ip", "a1,dev a1,10.0.0.1", "a1,dup,", "b2,,10.0.0.2", "c3,dev c3,300.1.1.1", "D4,x,", "d4,y,fe80::1%eth0"].join("\n");
    const r = parseDeviceList(csv, "rsa-2048");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      { line: 3, message: 'name "a1" is already used on line 2' },
      { line: 4, message: "cn is required" },
      { line: 5, message: 'ip "300.1.1.1" is not an IPv4 or IPv6 address' },
      { line: 7, message: 'name "d4" is already used on line 6' },
      { line: 7, message: 'ip "fe80::1%eth0" is not an IPv4 or IPv6 address' },
    ]);
  });

  it("fail/names that are not file-safe, bad DNS names, e-mails, countries, key types; too many fields", () => {
    const csv = ["name,cn,dns,email,c,key", "../x,a,,,,", "ok1,a,-bad.example,,,", "ok2,a,,no-at-sign,,", "ok3,a,,,USA,", "ok4,a,,,,rsa-1024", "ok5,a,,,,,extra"].join("\n");
    const r = parseDeviceList(csv, "rsa-2048");
    if (r.ok) throw new Error("expected problems");
    expect(r.issues.map((i) => [i.line, i.message.split(" ")[0]])).toEqual([
      [2, "name"], [3, "dns"], [4, "email"], [5, "c"], [6, "key"], [7, "7"],
    ]);
  });

  it("fail/header problems: unknown or repeated columns, no name or cn column; an empty file; a header only", () => {
    const issues = (t: string) => { const r = parseDeviceList(t, "rsa-2048"); return r.ok ? [] : r.issues.map((i) => i.message); };
    expect(issues("name,cn,nmae\n")).toEqual([expect.stringMatching(/^unknown column "nmae"/)]);
    expect(issues("name,name\n")).toEqual(['column "name" appears twice', 'the header has no "cn" column']);
    expect(issues("")).toEqual([expect.stringMatching(/empty/)]);
    expect(issues("name,cn\n")).toEqual([expect.stringMatching(/header row only/)]);
  });

  it("fail/control characters (a line break inside a quoted cn)", () => {
    const r = parseDeviceList('name,cn\nx,"two\nlines"\n', "rsa-2048");
    expect(r.ok ? [] : r.issues).toEqual([{ line: 2, message: "cn contains a control character (a line break?)" }]);
  });

  it("ok/DNS names and e-mail addresses", () => {
    expect(["a", "a.example", "*.example.com", "x-1.y2.example"].every(isDnsName)).toBe(true);
    expect(["", "a..b", "-a.example", "a-.example", "a_b.example", "*", "a.*.example", `${"a".repeat(64)}.example`].some(isDnsName)).toBe(false);
    expect(isEmailAddress("first.last+tag@sub.example.org")).toBe(true);
    expect(["a@b", "@example.com", "a@@example.com", "a b@example.com", ".a@example.com", "a@*.example.com"].some(isEmailAddress)).toBe(false);
  });
});
