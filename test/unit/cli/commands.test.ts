/** The operator commands (`requests …`, `otp issue`) on a fake operator: output, actors, exit codes. */
import { beforeEach, describe, expect, it } from "vitest";
import { OperatorError } from "../../../src/ra/errors.js";
import { runWith } from "./cli-harness.js";
import { FakeOperator, sampleTx } from "./fake-operator.js";

let operator: FakeOperator;
const pending = sampleTx({ id: "pendingaaaaa", subject: "CN=router-1,O=lab" });
const issued = sampleTx({ id: "issuedaaaaaa", state: "issued", decidedBy: "cli:bob", serial: "0F", notAfter: "2026-01-01T00:00:00.000Z" });

beforeEach(() => {
  operator = new FakeOperator([pending, issued]);
});

describe("requests list", () => {
  it("ok/a table: id, state, profile, subject, created, decided by", async () => {
    const r = await runWith(operator, ["requests", "list", "-c", "/etc/scepgate.yaml"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATE\s+PROFILE\s+SUBJECT\s+CREATED\s+DECIDED BY$/);
    expect(lines[1]).toMatch(/^pendingaaaaa\s+pending_approval\s+default\s+CN=router-1,O=lab\s+2025-01-01 12:00:\d\dZ$/);
    expect(lines[2]).toMatch(/^issuedaaaaaa\s+issued\s+default\s+.*\s+cli:bob$/);
    expect(r.sessions).toEqual(["/etc/scepgate.yaml"]);
    expect(r.closed).toBe(1);
  });

  it("ok/--json: an array of Transactions without blobs; --full adds them", async () => {
    const r = await runWith(operator, ["requests", "list", "--json"]);
    const list = JSON.parse(r.out) as Array<Record<string, unknown>>;
    expect(list.map((t) => t["id"])).toEqual(["pendingaaaaa", "issuedaaaaaa"]);
    expect(list[0]).not.toHaveProperty("csr");
    expect(list[1]).toMatchObject({ serial: "0F", notAfter: "2026-01-01T00:00:00.000Z" });
    const full = JSON.parse((await runWith(operator, ["requests", "list", "--json", "--full"])).out) as Array<Record<string, unknown>>;
    expect(full[0]).toHaveProperty("csr", pending.csr);
  });

  it("ok/filters: --state pending is pending_approval, --profile, --limit", async () => {
    await runWith(operator, ["requests", "list", "--state", "pending", "--profile", "vpn", "--limit", "7"]);
    expect(operator.calls[0]?.args[0]).toEqual({ state: "pending_approval", profile: "vpn", limit: 7 });
  });

  it("ok/nothing to list", async () => {
    const r = await runWith(new FakeOperator(), ["requests", "list"]);
    expect(r.out).toBe("no requests\n");
  });

  it("fail/a bad --state or --limit → exit 2 before any connection", async () => {
    for (const args of [["--state", "finished"], ["--limit", "0"], ["--limit", "x"]]) {
      const r = await runWith(operator, ["requests", "list", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).toMatch(/^scepgate: (state|limit): .*\n$/);
      expect(r.sessions).toHaveLength(0);
    }
  });

  it("ok/a device-supplied subject cannot reach the terminal as escape sequences", async () => {
    const evil = sampleTx({ id: "evilaaaaaaaa", subject: "CN=\u001b]0;pwned\u0007x\u001b[2J" });
    const r = await runWith(new FakeOperator([evil]), ["requests", "list"]);
    expect(r.out).not.toContain("\u001b");
    expect(r.out).not.toContain("\u0007");
    expect(r.out).toContain("CN=?]0;pwned?x?[2J");
  });
});

describe("requests show", () => {
  it("ok/details and history", async () => {
    const r = await runWith(operator, ["requests", "show", "pendingaaaaa"]);
    expect(r.code).toBe(0);
    for (const line of [/^Request\s+pendingaaaaa$/m, /^Subject\s+CN=router-1,O=lab$/m, /^SANs\s+dns:device.example$/m, /^Key\s+RSA 2048$/m,
      /^Challenge\s+valid$/m, /^Client address\s+192.0.2.7$/m, /^User agent\s+scepclient\/1.0$/m, /^Type\s+PKCSReq \(19\), from scep$/m,
      /^History$/m, /^ {2}WHEN\s+EVENT\s+STATE\s+WHO\s+WHY$/m, /^ {2}2025-01-01 12:00:\d\dZ\s+created\s+→ pending_approval\s+scep$/m]) {
      expect(r.out).toMatch(line);
    }
  });

  it("ok/--json → {request, history}", async () => {
    const r = await runWith(operator, ["requests", "show", "issuedaaaaaa", "--json"]);
    const body = JSON.parse(r.out) as { request: Record<string, unknown>; history: unknown[] };
    expect(body.request).toMatchObject({ id: "issuedaaaaaa", serial: "0F" });
    expect(body.history).toHaveLength(1);
  });

  it("fail/unknown id → exit 3, one line", async () => {
    const r = await runWith(operator, ["requests", "show", "nosuchrecord"]);
    expect(r.code).toBe(3);
    expect(r.out).toBe("");
    expect(r.err).toBe("scepgate: no request with id nosuchrecord\n");
    expect(r.closed).toBe(1);
  });

  it("fail/no id → exit 2", async () => {
    const r = await runWith(operator, ["requests", "show"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("scepgate: missing required argument 'id'\n");
  });
});

describe("requests approve / reject", () => {
  it("ok/approve as the OS user: actor cli:USER", async () => {
    const r = await runWith(operator, ["requests", "approve", "pendingaaaaa"], { user: "carol" });
    expect(r.code).toBe(0);
    expect(operator.calls[0]?.args).toEqual(["pendingaaaaa", "cli:carol"]);
    expect(r.out).toBe("pendingaaaaa: issued (by cli:carol), serial 1A2B, not after 2026-01-01 00:00:00Z\n");
  });

  it("ok/approve --as NAME: actor cli:NAME", async () => {
    await runWith(operator, ["requests", "approve", "pendingaaaaa", "--as", "dave"]);
    expect(operator.calls[0]?.args).toEqual(["pendingaaaaa", "cli:dave"]);
  });

  it("fail/approve an issued request → exit 4; unknown → exit 3", async () => {
    const conflict = await runWith(operator, ["requests", "approve", "issuedaaaaaa"]);
    expect(conflict.code).toBe(4);
    expect(conflict.err).toBe("scepgate: request issuedaaaaaa is issued, not pending approval\n");
    expect((await runWith(operator, ["requests", "approve", "nosuchrecord"])).code).toBe(3);
  });

  it("ok/reject --reason → the reason and actor reach the operator", async () => {
    const r = await runWith(operator, ["requests", "reject", "pendingaaaaa", "--reason", "unknown device", "--as", "erin"]);
    expect(r.code).toBe(0);
    expect(operator.calls[0]?.args).toEqual(["pendingaaaaa", "cli:erin", "unknown device"]);
    expect(r.out).toBe("pendingaaaaa: rejected (by cli:erin): unknown device\n");
  });

  it("fail/reject without --reason, or an empty one → exit 2, nothing done", async () => {
    const missing = await runWith(operator, ["requests", "reject", "pendingaaaaa"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe("scepgate: required option '--reason <text>' not specified\n");
    const empty = await runWith(operator, ["requests", "reject", "pendingaaaaa", "--reason", "  "]);
    expect(empty.code).toBe(2);
    expect(empty.err).toBe("scepgate: reason: must not be empty\n");
    expect(operator.calls).toHaveLength(0);
  });

  it("fail/a bad --as → exit 2", async () => {
    const r = await runWith(operator, ["requests", "approve", "pendingaaaaa", "--as", ""]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("scepgate: --as: must not be empty\n");
  });
});

describe("otp issue", () => {
  it("ok/stdout is the password alone; the expiry goes to stderr", async () => {
    const r = await runWith(operator, ["otp", "issue", "--profile", "otp", "--ttl", "15m", "--subject", "router-9"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe("S3CRET-one-time-pw\n");
    expect(r.err).toBe('expires 2025-01-01T13:00:00.000Z (profile "otp", only for CN "router-9")\n');
    expect(operator.calls[0]?.args).toEqual(["otp", 900_000, "router-9"]);
  });

  it("ok/defaults: profile default, 1h; warns when the profile does not use one-time passwords", async () => {
    const r = await runWith(operator, ["otp", "issue"]);
    expect(operator.calls[0]?.args).toEqual(["default", 3_600_000, undefined]);
    expect(r.out).toBe("S3CRET-one-time-pw\n");
    expect(r.err).toMatch(/^scepgate: warning: profile "default" does not check one-time passwords \(challenge.mode is none\)\n/);
  });

  it("ok/--json", async () => {
    const r = await runWith(operator, ["otp", "issue", "--profile", "otp", "--json"]);
    expect(JSON.parse(r.out)).toEqual({ password: "S3CRET-one-time-pw", expiresAt: "2025-01-01T13:00:00.000Z", profile: "otp" });
    expect(r.err).toBe("");
  });

  it("fail/bad --ttl → exit 2; unknown profile → exit 3", async () => {
    const ttl = await runWith(operator, ["otp", "issue", "--ttl", "forever"]);
    expect(ttl.code).toBe(2);
    expect(ttl.err).toMatch(/^scepgate: ttl: /);
    const unknown = await runWith(operator, ["otp", "issue", "--profile", "nope"]);
    expect(unknown.code).toBe(3);
    expect(unknown.out).toBe("");
  });
});

describe("the program", () => {
  it("fail/unknown command or option → exit 2 with one scepgate: line", async () => {
    const cmd = await runWith(operator, ["frobnicate"]);
    expect(cmd.code).toBe(2);
    expect(cmd.err).toBe("scepgate: unknown command 'frobnicate'\n");
    const opt = await runWith(operator, ["requests", "list", "--stat", "x"]);
    expect(opt.code).toBe(2);
    expect(opt.err).toMatch(/^scepgate: unknown option '--stat' \(Did you mean --state\?\)\n$/);
  });

  it("ok/--help documents the exit codes, exit 0", async () => {
    for (const args of [["--help"], ["requests", "list", "--help"], ["otp", "issue", "--help"]]) {
      const r = await runWith(operator, args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.out).toMatch(/Exit codes:\n {2}0 {2}done\n {2}1 {2}error.*\n {2}2 {2}usage error.*\n {2}3 {2}no such request or profile\n {2}4 {2}conflict/);
    }
  });

  it("fail/the session cannot be opened (Redis down, bad config) → exit 1, one line", async () => {
    const r = await runWith(operator, ["requests", "list"], { openFails: new Error("connect ECONNREFUSED 127.0.0.1:6379\nat somewhere") });
    expect(r.code).toBe(1);
    expect(r.err).toBe("scepgate: connect ECONNREFUSED 127.0.0.1:6379\n");
  });

  it("fail/an unexpected operator error → exit 1; the session is closed all the same", async () => {
    operator.failWith = new Error("boom");
    const r = await runWith(operator, ["requests", "list"]);
    expect(r.code).toBe(1);
    expect(r.closed).toBe(1);
  });

  it("ok/OperatorError codes map to 3 and 4", async () => {
    operator.failWith = new OperatorError("gone", "not-found");
    expect((await runWith(operator, ["requests", "list"])).code).toBe(3);
    operator.failWith = new OperatorError("busy", "conflict");
    expect((await runWith(operator, ["requests", "list"])).code).toBe(4);
  });
});
