/**
 * The `scepgate` process: runs the command line and, for the commands that
 * finish, exits with their code once stdout and stderr are flushed (an open
 * handle must not keep `scepgate requests list` alive).
 */
import { runCli } from "./program.js";

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

const code = await runCli(process.argv);
if (code !== undefined) {
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
