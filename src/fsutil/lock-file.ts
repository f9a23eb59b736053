/**
 * A lock file between processes sharing a directory: created exclusively,
 * removed when done, taken over when older than `staleMs` (its holder died).
 */
import { open, rm, stat } from "node:fs/promises";

/**
 * Runs `fn` holding `lockPath`. While another process holds it, waits until
 * `done()` says the work is done (then resolves without running `fn`) or the
 * lock is released or goes stale.
 */
export async function withLockFile(lockPath: string, fn: () => Promise<void>, o: { staleMs: number; done: () => boolean; pollMs?: number }): Promise<void> {
  for (;;) {
    if (o.done()) return;
    let handle;
    try {
      handle = await open(lockPath, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > o.staleMs) await rm(lockPath, { force: true });
      else await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
      continue;
    }
    try {
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      await fn();
      return;
    } finally {
      await rm(lockPath, { force: true });
    }
  }
}
