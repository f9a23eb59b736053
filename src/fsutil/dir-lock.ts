/**
 * An exclusive lock between processes (on a directory, or on a piece of work): a lock file
 * created with O_EXCL holding the owner's pid. A lock whose owner is gone
 * (killed with SIGKILL, the machine rebooted) is taken over; a live owner
 * makes the attempt fail at once, naming it.
 *
 * A leaf module: node:fs only.
 */
import { open, readFile, rm } from "node:fs/promises";

/** The directory is locked by a live process. */
export class DirLockedError extends Error {
  override name = "DirLockedError";
  constructor(
    readonly lockFile: string,
    readonly pid: number,
  ) {
    super(`${lockFile} is held by process ${pid}, which is still running`);
  }
}

/** A held lock. */
export interface DirLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function ownerOf(lockFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(lockFile, "utf8").catch(() => "")).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Takes `lockFile`; throws DirLockedError when a running process holds it. */
export async function lockDir(lockFile: string): Promise<DirLock> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockFile, "wx", 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return { release: () => rm(lockFile, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw err;
    }
    let pid = await ownerOf(lockFile);
    if (pid === undefined) {
      await new Promise((r) => setTimeout(r, 200)); // its owner may be writing its pid right now
      pid = await ownerOf(lockFile);
    }
    if (pid !== undefined && alive(pid)) throw new DirLockedError(lockFile, pid);
    await rm(lockFile, { force: true }); // its owner is gone (or it was never written completely)
  }
}

/**
 * Runs `fn` holding `lockFile`, unless `done()` says the work is done. While
 * another live process holds the lock, waits for it (polling every `pollMs`)
 * and re-checks `done()`: one process does the work, the others use it.
 */
export async function whileLocked(lockFile: string, fn: () => Promise<void>, o: { done: () => boolean; pollMs?: number }): Promise<void> {
  for (;;) {
    if (o.done()) return;
    let lock: DirLock;
    try {
      lock = await lockDir(lockFile);
    } catch (err) {
      if (!(err instanceof DirLockedError)) throw err;
      await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
      continue;
    }
    try {
      if (!o.done()) await fn();
      return;
    } finally {
      await lock.release();
    }
  }
}
