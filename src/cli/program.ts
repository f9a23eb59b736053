/**
 * The `scepgate` command line (commander). Every command takes --config FILE;
 * without it ./scepgate.yaml is used when present, else the zero-config
 * development setup. Operator commands (`requests`, `otp`) open the same
 * Redis as `serve`, do their work and end; `serve` keeps running.
 */
import { Command, type OutputConfiguration } from "commander";
import { batchCommand } from "./batch-command.js";
import { commanderErrorLine, errorText, EXIT_CODES_HELP, exitCodeOf, type ExitCode } from "./exit.js";
import { processDeps, type CliDeps } from "./io.js";
import { otpCommand } from "./otp-command.js";
import { raCommand } from "./ra-command.js";
import { requestsCommand } from "./requests-command.js";
import { serveCommandSpec, workerCommandSpec } from "./serve-command.js";
import { packageVersion } from "./version.js";

/**
 * The program. `done(code)` is called by the commands that finish (the
 * operator commands); `serve` never calls it.
 */
export function createCli(deps: CliDeps, done: (code: ExitCode) => void): Command {
  const program = new Command("scepgate")
    .description("SCEP registration authority proxy (RFC 8894)")
    .version(packageVersion(), "-V, --version", "print the version of scepgate and exit")
    .addHelpText("after", EXIT_CODES_HELP)
    .enablePositionalOptions() // `batch collect DIR --config F`: the options after `collect` are collect's
    .addCommand(serveCommandSpec())
    .addCommand(workerCommandSpec())
    .addCommand(requestsCommand(deps, done))
    .addCommand(otpCommand(deps, done))
    .addCommand(raCommand(deps, done))
    .addCommand(batchCommand(deps, done));
  const output: OutputConfiguration = {
    writeOut: (str) => deps.out(str),
    writeErr: (str) => deps.err(str),
    outputError: (str, write) => write(commanderErrorLine(str)),
  };
  forEachCommand(program, (cmd) => cmd.exitOverride().configureOutput(output));
  return program;
}

function forEachCommand(cmd: Command, fn: (cmd: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, fn);
}

/**
 * Runs the command line `argv` (process.argv form). Resolves with the exit
 * code once a finishing command is done or failed, or undefined when the
 * command keeps running (`serve`). Never rejects: errors are printed as one
 * `scepgate:` line on stderr and mapped to their exit code.
 */
export async function runCli(argv: readonly string[], deps: CliDeps = processDeps()): Promise<number | undefined> {
  let code: ExitCode | undefined;
  const program = createCli(deps, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    const exit = exitCodeOf(err);
    // commander has printed its own message (or the help) already
    if (!isCommanderError(err)) deps.err(errorText(err, deps.debug));
    return exit;
  }
}

function isCommanderError(err: unknown): boolean {
  return err instanceof Error && "code" in err && typeof err.code === "string" && err.code.startsWith("commander.");
}
