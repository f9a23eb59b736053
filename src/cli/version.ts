/**
 * `scepgate --version`: the version of the package.json this code belongs to
 * (found by walking up from this file, so it is the same from src/ through
 * tsx and from dist/src/ after a build).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The `version` of the nearest package.json named `scepgate` above `from` (default: this file). */
export function packageVersion(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "scepgate" && typeof pkg.version === "string") return pkg.version;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of scepgate above ${from}`);
  }
}
