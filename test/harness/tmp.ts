/**
 * Temporary directories for the harness: created under the OS temp dir,
 * removed by their owner's `stop()` (and by {@link cleanupAll} as a backstop)
 * unless `KEEP_TMP=1` is set, in which case they stay for inspection and their
 * paths are printed on removal.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerCleanup } from "./cleanup.js";

/** True when `KEEP_TMP=1`: temp dirs are kept after the test for debugging. */
export function keepTmp(): boolean {
  return process.env["KEEP_TMP"] === "1";
}

/**
 * Makes a fresh directory `<os tmp>/scepgate-<prefix>XXXXXX` and registers it
 * for removal at the end of the worker process.
 */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `scepgate-${prefix}`));
  registerCleanup(`tmp ${dir}`, () => removeTempDirSync(dir));
  return dir;
}

/** Removes `dir` recursively unless KEEP_TMP=1 (then it says where it is). */
export async function removeTempDir(dir: string): Promise<void> {
  if (keepTmp()) {
    process.stderr.write(`KEEP_TMP=1: kept ${dir}\n`);
    return;
  }
  await rm(dir, { recursive: true, force: true });
}

/** Synchronous {@link removeTempDir}, for exit handlers. */
export function removeTempDirSync(dir: string): void {
  if (keepTmp()) return;
  rmSync(dir, { recursive: true, force: true });
}
