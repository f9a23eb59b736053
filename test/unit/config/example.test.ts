import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configSchema, loadConfig } from "../../../src/config/index.js";
import { leafPaths, schemaAt } from "../../../src/config/schema-walk.js";
import { tempDir } from "./helpers.js";

const EXAMPLE = fileURLToPath(new URL("../../../config/scepgate.example.yaml", import.meta.url));

/**
 * Every key path the example mentions, active or commented out, found by
 * indentation: `key:` lines, and `# key:` lines whose key starts lowercase
 * (commented keys sit at the column where "# " would be removed).
 */
function documentedPaths(text: string): string[][] {
  const stack: { column: number; key: string }[] = [];
  const paths: string[][] = [];
  for (const line of text.split("\n")) {
    const active = /^( *)([a-zA-Z][\w-]*):(?: |$)/.exec(line);
    const commented = /^( *)# ( *)([a-z][\w-]*):(?: |$)/.exec(line);
    const column = active ? (active[1] ?? "").length : commented ? (commented[1] ?? "").length + (commented[2] ?? "").length : -1;
    const key = active?.[2] ?? commented?.[3];
    if (key === undefined || column < 0) continue;
    while (stack.length > 0 && (stack.at(-1)?.column ?? 0) >= column) stack.pop();
    stack.push({ column, key });
    paths.push(stack.map((entry) => entry.key));
  }
  return paths;
}

describe("config/scepgate.example.yaml", () => {
  it("ok/loads without error", async () => {
    const { source } = await loadConfig({ file: EXAMPLE, env: {} });
    expect(source).toBe(EXAMPLE);
  });

  it("ok/its active values are exactly the defaults", async () => {
    const example = await loadConfig({ file: EXAMPLE, env: {} });
    const defaults = await loadConfig({ env: {}, cwd: await tempDir() });
    expect(example.config.dataDir).toBe(path.join(path.dirname(EXAMPLE), "data"));
    expect({ ...example.config, dataDir: "" }).toEqual({ ...defaults.config, dataDir: "" });
  });

  it("ok/every key it mentions, commented or not, exists", async () => {
    const documented = documentedPaths(await readFile(EXAMPLE, "utf8"));
    expect(documented.length).toBeGreaterThan(40);
    const unknown = documented.filter((keyPath) => schemaAt(configSchema, keyPath) === undefined);
    expect(unknown.map((keyPath) => keyPath.join("."))).toEqual([]);
  });

  it("ok/documents every key of the schema", async () => {
    const documented = new Set(documentedPaths(await readFile(EXAMPLE, "utf8")).map((p) => p.join(".")));
    const missing = leafPaths(configSchema, ["default"]).map((p) => p.join(".")).filter((p) => !documented.has(p));
    expect(missing).toEqual([]);
  });
});
