/** What every operator command shares: --config, the session around the work, the actor, JSON output. */
import type { Command } from "commander";
import type { OperatorSession } from "../app/operator-session.js";
import { parseActorName } from "../edge/admin-input.js";
import { EXIT_CODES_HELP, ExitCode } from "./exit.js";
import type { CliDeps } from "./io.js";

/** Sets the code the process exits with once the command is done. */
export type Done = (code: ExitCode) => void;

/** The help text of --config, the same for every command. */
export const CONFIG_HELP = "configuration file (default ./scepgate.yaml when present, else development defaults)";

/** Adds `-c, --config FILE` and the exit codes epilog to an operator command. */
export function operatorCommand(cmd: Command): Command {
  return cmd.option("-c, --config <file>", CONFIG_HELP).addHelpText("after", EXIT_CODES_HELP);
}

/**
 * Opens the session of `configFile`, runs `fn`, closes the session (Redis
 * connections; a private redis-server only if this process started it).
 * A failure to close after `fn` succeeded is a warning, not an error: the
 * work is done.
 */
export async function withSession<T>(deps: CliDeps, configFile: string | undefined, fn: (s: OperatorSession) => Promise<T>): Promise<T> {
  const session = await deps.openSession(configFile);
  let ok = false;
  try {
    const result = await fn(session);
    ok = true;
    return result;
  } finally {
    await session.close().catch((err: unknown) => {
      if (ok) deps.err(`scepgate: warning: closing the connections failed: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  }
}

/** The actor recorded for a CLI decision: `cli:NAME` (--as), else `cli:` + the OS user. */
export function cliActor(deps: CliDeps, as: string | undefined): string {
  return `cli:${as === undefined ? deps.userName() : parseActorName(as, "--as")}`;
}

/** Stable JSON for scripts: two-space indented, one trailing newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
