/**
 * `scepgate batch DEVICES.csv --out DIR`: keys, RA-signed enrollment and
 * ready-to-install bundles for devices not yet provisioned; `scepgate batch
 * collect DIR`: bundles from CertReps returned for `--requests-only`
 * requests. See src/app/batch-run.ts for what happens, src/app/batch-files.ts
 * and src/app/batch-manifest.ts for what is written.
 */
import { availableParallelism } from "node:os";
import { Command } from "commander";
import { BatchConflictError, BatchUsageError } from "../app/batch-errors.js";
import { readBatchPassphrase, readDeviceList } from "../app/batch-input.js";
import { runBatch, runCollect, type BatchSummary } from "../app/batch-run.js";
import { loadConfig, parseDuration } from "../config/index.js";
import { createLogger } from "../observability/logger.js";
import { BATCH_KEY_SPECS, type BatchKeySpec } from "../ra/batch-devices.js";
import { batchProgress, type BatchProgress } from "./batch-progress.js";
import { CONFIG_HELP, type Done } from "./command-kit.js";
import { ExitCode } from "./exit.js";
import { commandLogLevel, type CliDeps } from "./io.js";

/** What the command needs to know about its terminal (injectable for tests). */
export interface BatchTerminal {
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  columns: number;
  env: NodeJS.ProcessEnv;
  /** Installs SIGINT/SIGTERM handlers for the run; returns their removal. */
  onInterrupt(handler: () => void): () => void;
}

export function processTerminal(): BatchTerminal {
  return {
    stdoutIsTty: Boolean(process.stdout.isTTY),
    stderrIsTty: Boolean(process.stderr.isTTY),
    columns: process.stderr.columns || 80,
    env: process.env,
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
      return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
      };
    },
  };
}

interface RunOptions {
  config?: string;
  out?: string;
  profile: string;
  key: string;
  passFile?: string;
  concurrency?: string;
  wait: string;
  requestsOnly?: boolean;
  legacyP12?: boolean;
  json?: boolean;
}

const BATCH_HELP = `
Files in DIR, per device NAME: NAME.key.pem (encrypted PKCS#8, written before
the request is sent), NAME.crt.pem (certificate + CA chain), NAME.p12 (key,
certificate, chain), and manifest.json (status, serial, SHA-256, notAfter,
error of every device). --requests-only writes NAME.p7 (the RA-signed PKCSReq,
DER) instead of enrolling; save each CA answer (DER CertRep) as NAME.p7r and
run \`scepgate batch collect DIR\`.

Running the same command again skips finished devices and resumes the rest;
a run killed at any moment never loses a key nor enrolls a device twice.

Exit codes:
  0  every device is done
  1  a device failed or is still pending (collect: or has no answer yet; see manifest.json), or an error
  2  usage error: bad device list (every problem listed), no passphrase, bad option
  4  DIR is used by another run, or was made for another profile or mode`;

function parseKey(text: string): BatchKeySpec {
  const k = text.toLowerCase();
  if (!(BATCH_KEY_SPECS as readonly string[]).includes(k)) throw new BatchUsageError(`--key: expected one of ${BATCH_KEY_SPECS.join(", ")}`);
  return k as BatchKeySpec;
}

function parseConcurrency(text: string | undefined): number {
  if (text === undefined) return 2 * availableParallelism();
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new BatchUsageError("--concurrency: expected a whole number from 1 to 1024");
  return n;
}

function parseWait(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new BatchUsageError(`--wait: ${(err as Error).message}`);
  }
}

/** Runs `fn` with the progress display and an interrupt handler; maps the batch errors to exit codes. */
async function withProgress(
  deps: CliDeps,
  done: Done,
  term: BatchTerminal,
  o: { json: boolean | undefined; collect: boolean },
  fn: (p: BatchProgress, signal: AbortSignal) => Promise<BatchSummary>,
): Promise<void> {
  const progress = batchProgress(deps, { json: Boolean(o.json) || !term.stdoutIsTty, bar: term.stderrIsTty, columns: term.columns });
  const controller = new AbortController();
  const remove = term.onInterrupt(() => {
    if (controller.signal.aborted) process.exit(130); // a second ^C: leave now (a rerun resumes)
    deps.err("\nscepgate: interrupted: finishing the devices in progress (^C again to quit at once; a rerun resumes)\n");
    controller.abort();
  });
  try {
    const summary = await fn(progress, controller.signal);
    progress.finish(summary);
    // A collect is complete when every device is issued; a requests-only run when every request is written.
    const complete = summary.failed + summary.pending + summary.notStarted + (o.collect ? summary.requested : 0) === 0;
    done(complete ? ExitCode.ok : ExitCode.error);
  } finally {
    remove();
  }
}

async function guarded(deps: CliDeps, done: Done, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof BatchUsageError) && !(err instanceof BatchConflictError)) throw err;
    deps.err(`scepgate: ${err.message}\n`);
    if (err instanceof BatchUsageError) for (const d of err.details) deps.err(`  ${d}\n`);
    done(err instanceof BatchUsageError ? ExitCode.usage : ExitCode.conflict);
  }
}

async function openConfig(deps: CliDeps, file: string | undefined) {
  const loaded = await loadConfig({ file });
  const logger = createLogger({ level: commandLogLevel(loaded.config.log.level, deps.debug), destination: process.stderr, format: loaded.config.log.format });
  return { loaded, logger };
}

function collectCommand(deps: CliDeps, done: Done, term: BatchTerminal): Command {
  return new Command("collect")
    .description("write the bundles of a --requests-only run from the CA's answers (DIR/NAME.p7r, DER CertRep)")
    .argument("<dir>", "the --out directory of the --requests-only run")
    .option("-c, --config <file>", CONFIG_HELP)
    .option("--pass-file <file>", "file holding the passphrase of the keys (else SCEPGATE_BATCH_PASS)")
    .option("--legacy-p12", "3DES/SHA-1 PKCS#12 for old devices (default AES-256-CBC + PBKDF2-SHA256)")
    .option("--json", "one JSON line per device on stdout even on a terminal")
    .action((dir: string, opts: Pick<RunOptions, "config" | "passFile" | "legacyP12" | "json">, cmd: Command) =>
      guarded(deps, done, async () => {
        const o = { ...(cmd.parent?.opts() as Partial<RunOptions> | undefined), ...opts };
        const passphrase = await readBatchPassphrase(o.passFile, term.env, (w) => deps.err(`scepgate: warning: ${w}\n`));
        const { loaded, logger } = await openConfig(deps, o.config);
        await withProgress(deps, done, term, { json: o.json, collect: true }, (progress, signal) =>
          runCollect(loaded, logger, { outDir: dir, passphrase, concurrency: parseConcurrency(o.concurrency), waitMs: 0, legacyP12: Boolean(o.legacyP12), signal }, progress),
        );
      }),
    );
}

/** `scepgate batch …` */
export function batchCommand(deps: CliDeps, done: Done, term: BatchTerminal = processTerminal()): Command {
  return new Command("batch")
    .description("generate keys, enroll them through the RA and write ready-to-install bundles for devices listed in a CSV")
    .argument("<devices.csv>", "header row, then one device per row: name,cn[,dns,ip,email,o,ou,c,challenge,key] (dns/ip/email ;-separated)")
    .option("-c, --config <file>", CONFIG_HELP)
    .option("--out <dir>", "output directory (required; created with mode 0700)")
    .option("--profile <name>", "the profile whose CA issues the certificates", "default")
    .option("--key <type>", `key type when the row has none: ${BATCH_KEY_SPECS.join(", ")}`, "rsa-2048")
    .option("--pass-file <file>", "file holding the passphrase for the keys and bundles (else SCEPGATE_BATCH_PASS)")
    .option("--concurrency <n>", "devices prepared at once: key generation, request, submission (default 2 x cores)")
    .option("--wait <duration>", "how long to wait for each certificate before recording the device pending", "10m")
    .option("--requests-only", "write DIR/NAME.p7 (RA-signed PKCSReq, DER) for another channel instead of enrolling")
    .option("--legacy-p12", "3DES/SHA-1 PKCS#12 for old devices (default AES-256-CBC + PBKDF2-SHA256)")
    .option("--json", "one JSON line per device on stdout even on a terminal")
    .enablePositionalOptions()
    .addHelpText("after", BATCH_HELP)
    .action((csv: string, opts: RunOptions) =>
      guarded(deps, done, async () => {
        if (!opts.out) throw new BatchUsageError("--out DIR is required");
        const key = parseKey(opts.key);
        const concurrency = parseConcurrency(opts.concurrency);
        const waitMs = parseWait(opts.wait);
        const devices = await readDeviceList(csv, key);
        const passphrase = await readBatchPassphrase(opts.passFile, term.env, (w) => deps.err(`scepgate: warning: ${w}\n`));
        const { loaded, logger } = await openConfig(deps, opts.config);
        const run = { outDir: opts.out, profile: opts.profile, passphrase, concurrency, waitMs, legacyP12: Boolean(opts.legacyP12), requestsOnly: Boolean(opts.requestsOnly) };
        await withProgress(deps, done, term, { json: opts.json, collect: false }, (progress, signal) => runBatch(loaded, logger, devices, { ...run, signal }, progress));
      }),
    )
    .addCommand(collectCommand(deps, done, term));
}
