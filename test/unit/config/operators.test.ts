/** `admin.operators` and the four-eyes `approval` form (src/config/operators.ts). */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { approvalOf } from "../../../src/config/index.js";
import { configError, loadText, tempDir } from "./helpers.js";

const HEX = createHash("sha256").update("alice-token").digest("hex");
const ops = (list: string) => `admin:\n  operators:\n${list}`;

describe("admin.operators", () => {
  it("ok/names, roles and digests are kept (digests lower-cased); none by default", async () => {
    const { config } = await loadText(ops(`    - { name: alice, tokenSha256: "${HEX.toUpperCase()}", role: approver }\n    - { name: ops.vera-2, tokenSha256: "${HEX}", role: viewer }\n`));
    expect(config.admin.operators).toEqual([
      { name: "alice", tokenSha256: HEX, role: "approver" },
      { name: "ops.vera-2", tokenSha256: HEX, role: "viewer" },
    ]);
    expect((await loadText("listen: { port: 1 }\n")).config.admin.operators).toBeUndefined();
  });

  it("ok/tokenSha256File is read (relative to the config file), its digest filled in", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "alice.sha256"), `${HEX}\n`);
    const { config } = await loadText(ops(`    - { name: alice, tokenSha256File: ${path.join(dir, "alice.sha256")}, role: admin }\n`));
    expect(config.admin.operators?.[0]).toMatchObject({ name: "alice", tokenSha256: HEX, role: "admin" });
  });

  it("fail/bad name, bad digest, unknown role, both or neither digest, a name twice, admin taken by admin.token", async () => {
    const cases: Array<[string, RegExp]> = [
      [`    - { name: Alice, tokenSha256: "${HEX}", role: viewer }\n`, /admin\.operators\[0\]\.name: expected an operator name matching/],
      [`    - { name: alice, tokenSha256: "abc", role: viewer }\n`, /admin\.operators\[0\]\.tokenSha256: expected the SHA-256 of the token as 64 hex digits/],
      [`    - { name: alice, tokenSha256: "${HEX}", role: root }\n`, /admin\.operators\[0\]\.role: expected one of viewer\|approver\|admin/],
      [`    - { name: alice, role: viewer }\n`, /admin\.operators\[0\]\.tokenSha256: give exactly one of tokenSha256 or tokenSha256File/],
      [`    - { name: alice, tokenSha256: "${HEX}", tokenSha256File: x, role: viewer }\n`, /give exactly one/],
      [`    - { name: alice, tokenSha256: "${HEX}", role: viewer }\n    - { name: alice, tokenSha256: "${HEX}", role: admin }\n`, /admin\.operators\[1\]\.name: operator name "alice" is given twice/],
      [`    - { name: alice, tokenSha256: "${HEX}", role: viewer, token: x }\n`, /admin\.operators\[0\]/],
    ];
    for (const [list, message] of cases) expect((await configError(loadText(ops(list)))).message, list).toMatch(message);
    const clash = `admin:\n  token: "0123456789abcdef0123"\n  operators:\n    - { name: admin, tokenSha256: "${HEX}", role: viewer }\n`;
    expect((await configError(loadText(clash))).message).toMatch(/admin\.operators\[0\]\.name: "admin" is the operator of admin\.token/);
  });

  it("fail/tokenSha256File missing or not holding a digest names the key", async () => {
    const missing = await configError(loadText(ops("    - { name: alice, tokenSha256File: /nonexistent/alice.sha256, role: viewer }\n")));
    expect(missing.message).toMatch(/^config: admin\.operators\[0\]\.tokenSha256File: cannot read \/nonexistent\/alice\.sha256 \(ENOENT\)/);
    const dir = await tempDir();
    await writeFile(path.join(dir, "bad"), "the token itself\n");
    const bad = await configError(loadText(ops(`    - { name: alice, tokenSha256File: ${path.join(dir, "bad")}, role: viewer }\n`)));
    expect(bad.message).toMatch(/tokenSha256File: .*expected the SHA-256 of the token as 64 hex digits/);
    expect(bad.message).not.toContain("the token itself");
  });
});

describe("profiles.NAME.approval", () => {
  const profile = (approval: string) => `profiles:\n  default:\n    approval: ${approval}\n`;

  it("ok/auto, manual and { mode: manual, approvals: 2 }", async () => {
    expect(approvalOf((await loadText(profile("manual"))).config.profiles.default!.approval)).toEqual({ mode: "manual", approvals: 1 });
    expect(approvalOf((await loadText(profile("auto"))).config.profiles.default!.approval)).toEqual({ mode: "auto", approvals: 1 });
    const four = (await loadText(profile("{ mode: manual, approvals: 2 }"))).config.profiles.default!.approval;
    expect(four).toEqual({ mode: "manual", approvals: 2 });
    expect(approvalOf((await loadText(profile("{ approvals: 3 }"))).config.profiles.default!.approval)).toEqual({ mode: "manual", approvals: 3 });
  });

  it("fail/bad forms name the key", async () => {
    const cases: Array<[string, RegExp]> = [
      ["maybe", /profiles\.default\.approval: expected one of auto\|manual, got "maybe"/],
      ["{ mode: manual, approvals: 0 }", /profiles\.default\.approval\.approvals: expected an integer from 1 to 9/],
      ["{ mode: auto, approvals: 2 }", /profiles\.default\.approval\.approvals: only with mode manual/],
      ["{ mode: manual, eyes: 4 }", /profiles\.default\.approval/],
    ];
    for (const [text, message] of cases) expect((await configError(loadText(profile(text)))).message, text).toMatch(message);
  });
});
