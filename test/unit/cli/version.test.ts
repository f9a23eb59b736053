/** `scepgate --version` (and `-V`): the package's version on stdout, exit 0, no session opened. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageVersion } from "../../../src/cli/version.js";
import { run } from "../../harness/process.js";
import { childEnv, REPO_ROOT, SCEPGATE_BIN } from "../../harness/scepgate.js";
import { runWith } from "./cli-harness.js";
import { FakeOperator } from "./fake-operator.js";

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("scepgate --version", () => {
  it("ok/prints the version from package.json and exits 0", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await runWith(new FakeOperator(), [flag]);
      expect(r).toMatchObject({ code: 0, out: `${VERSION}\n`, err: "", sessions: [] });
    }
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("ok/the real command prints it too (from the sources through tsx, as from a checkout)", async () => {
    const r = await run(process.execPath, [SCEPGATE_BIN, "--version"], { env: childEnv({ SCEPGATE_FROM_SOURCE: "1" }), timeoutMs: 30_000 });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: `${VERSION}\n` });
  });

  it("fail/packageVersion names the place when there is no scepgate package.json above it", () => {
    expect(packageVersion(join(REPO_ROOT, "src", "cli", "version.ts"))).toBe(VERSION);
    expect(() => packageVersion("/nonexistent-dir/x.js")).toThrow(/no package.json of scepgate above \/nonexistent-dir\/x.js/);
  });
});
