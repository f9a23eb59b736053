/**
 * Writing key files safely: the data goes to a temporary file in the same
 * directory, created with its final mode (0600 for secrets, so the key is
 * never readable by others, not even for a moment), flushed to disk, then
 * moved into place in one step. A reader sees either no file or the whole
 * file, never a half-written one.
 *
 * `exclusive` publishes with link(2) instead of rename(2): it fails when the
 * target exists, so of several processes creating the same file at once
 * exactly one wins, and the others read the winner's file.
 *
 * A leaf module: node:fs only.
 */
import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";

/** Mode of secret files (private keys). */
export const SECRET_MODE = 0o600;
/** Mode of public files (certificates). */
export const PUBLIC_MODE = 0o644;

export interface WriteOptions {
  /** File mode the file is created with (subject to the umask, which cannot add permissions). */
  mode: number;
  /** Fail (return false) instead of replacing an existing file. */
  exclusive?: boolean;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Writes `data` to `file` atomically. Returns false when `exclusive` is set
 * and the file already exists (nothing is changed then), true otherwise.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: WriteOptions): Promise<boolean> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", opts.mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!(await publish(tmp, file, opts.exclusive ?? false))) return false;
    await syncDir(path.dirname(file));
    return true;
  } finally {
    // Gone after a rename; the now redundant second name after a link; junk after a failure.
    await unlink(tmp).catch(() => undefined);
  }
}

/** Moves `tmp` to `file` (rename), or adds it as `file` unless that exists (link). */
async function publish(tmp: string, file: string, exclusive: boolean): Promise<boolean> {
  if (!exclusive) {
    await rename(tmp, file);
    return true;
  }
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if (errCode(err) === "EEXIST") return false;
    throw err;
  }
}

/** Flushes a directory entry change (a rename, a link, a new file) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the data itself is synced.
  } finally {
    await handle.close();
  }
}

/** Writes a secret (a private key) with mode 0600, replacing any existing file. */
export function writeSecretFile(file: string, data: string | Uint8Array): Promise<boolean> {
  return writeFileAtomic(file, data, { mode: SECRET_MODE });
}

/** Creates a secret file with mode 0600 unless it exists; false when another writer got there first. */
export function createSecretFile(file: string, data: string | Uint8Array): Promise<boolean> {
  return writeFileAtomic(file, data, { mode: SECRET_MODE, exclusive: true });
}

/** The file's contents, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if (errCode(err) === "ENOENT") return undefined;
    throw err;
  }
}
