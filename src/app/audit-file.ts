/**
 * The audit file: an append-only JSON Lines file (default
 * `<dataDir>/audit.jsonl`, `audit.file`) that receives the audit trail of
 * every transaction the retention sweep removes from Redis. Each append is
 * one write(2) with O_APPEND, then fsync, and only then may the caller
 * delete what it wrote: a line on disk before the record leaves Redis.
 *
 * Created 0600 in a directory created 0700 if missing (records hold no
 * secrets, but who enrolled what, when and from where is nobody else's
 * business). Opened per append, so moving the file away (log rotation) is
 * safe: the next append creates a new one. If a crash tore the last line,
 * the next append starts on a fresh line, leaving the torn one alone
 * (readers skip a line that does not parse; its record was not deleted and
 * is exported again).
 */
import { mkdir, open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { SECRET_MODE, syncDir } from "../fsutil/secret-file.js";
import type { AuditSink } from "../store/index.js";

/** Mode of the audit file. */
export const AUDIT_FILE_MODE = SECRET_MODE;

/** The name of the audit file in dataDir when `audit.file` is not set. */
export const DEFAULT_AUDIT_FILE = "audit.jsonl";

/** The {@link AuditSink} on a JSON Lines file. */
export class AuditFile implements AuditSink {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Appends each line (no newline inside) and syncs the file; appends of one AuditFile never interleave. */
  append(lines: readonly string[]): Promise<void> {
    for (const line of lines) {
      if (line.includes("\n")) throw new RangeError("audit file: a line must not contain a newline");
    }
    const next = this.queue.then(() => this.write(lines));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // a+ = O_RDWR | O_CREAT | O_APPEND: every write goes to the end, and the last byte can be read.
    const handle = await open(this.file, "a+", AUDIT_FILE_MODE);
    let size: number;
    try {
      size = (await handle.stat()).size;
      const torn = size > 0 && !(await endsWithNewline(handle, size));
      await writeAll(handle, Buffer.from(`${torn ? "\n" : ""}${lines.join("\n")}\n`, "utf8"));
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (size === 0) await syncDir(dir); // a new file: make its directory entry durable too
  }
}

async function endsWithNewline(handle: FileHandle, size: number): Promise<boolean> {
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === 0x0a;
}

/** One write(2) in the normal case; loops on a short write. */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

