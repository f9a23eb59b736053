/**
 * The inputs of `scepgate batch` read from files and the environment: the
 * device list (checked completely before anything starts) and the
 * passphrase that protects the keys and bundles.
 */
import { readFile, stat } from "node:fs/promises";
import { parseDeviceList, type BatchDevice, type BatchKeySpec } from "../ra/batch-devices.js";
import { BatchUsageError } from "./batch-errors.js";

/** The environment variable that may hold the passphrase (never a command-line argument). */
export const BATCH_PASS_ENV = "SCEPGATE_BATCH_PASS";

/** Reads and checks DEVICES.csv; a BatchUsageError lists every problem with its line number. */
export async function readDeviceList(file: string, defaultKey: BatchKeySpec): Promise<BatchDevice[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new BatchUsageError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const r = parseDeviceList(text, defaultKey);
  if (r.ok) return r.devices;
  const n = r.issues.length;
  throw new BatchUsageError(`${file}: ${n} problem${n === 1 ? "" : "s"}, nothing was submitted`, r.issues.map((i) => `line ${i.line}: ${i.message}`));
}

/**
 * The passphrase: the first line of `passFile` (its line break dropped), else
 * SCEPGATE_BATCH_PASS. Without one the command refuses to run: keys and
 * bundles are never written unencrypted. `warn` gets a note when the file is
 * readable by others.
 */
export async function readBatchPassphrase(passFile: string | undefined, env: NodeJS.ProcessEnv, warn: (text: string) => void): Promise<string> {
  let pass: string | undefined;
  if (passFile !== undefined) {
    try {
      pass = (await readFile(passFile, "utf8")).split(/\r?\n/)[0];
      if (((await stat(passFile)).mode & 0o077) !== 0) warn(`${passFile} is readable by other users (chmod 600 it)`);
    } catch (err) {
      throw new BatchUsageError(`cannot read the passphrase file ${passFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (!pass) throw new BatchUsageError(`the passphrase file ${passFile} is empty`);
    return pass;
  }
  pass = env[BATCH_PASS_ENV];
  if (pass) return pass;
  throw new BatchUsageError(
    `a passphrase is required to encrypt the device keys and bundles: --pass-file FILE or ${BATCH_PASS_ENV} (never on the command line)`,
  );
}
