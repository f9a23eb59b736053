/** Runs the CLI in-process on a fake operator session, capturing stdout, stderr and the exit code. */
import type { OperatorSession } from "../../../src/app/operator-session.js";
import type { Config } from "../../../src/config/index.js";
import type { CliDeps } from "../../../src/cli/io.js";
import { runCli } from "../../../src/cli/program.js";
import { FakeOperator } from "./fake-operator.js";

export interface CliRun {
  code: number | undefined;
  out: string;
  err: string;
  /** The --config each session was opened with. */
  sessions: Array<string | undefined>;
  /** How many sessions were closed. */
  closed: number;
}

/** Profile challenge modes of the fake configuration. */
const CONFIG = { profiles: { default: { challenge: { mode: "none" } }, otp: { challenge: { mode: "otp" } } } } as unknown as Config;

export async function runWith(operator: FakeOperator, args: string[], o: { user?: string; openFails?: Error } = {}): Promise<CliRun> {
  const run: CliRun = { code: undefined, out: "", err: "", sessions: [], closed: 0 };
  const deps: CliDeps = {
    out: (t) => void (run.out += t),
    err: (t) => void (run.err += t),
    openSession: async (file): Promise<OperatorSession> => {
      run.sessions.push(file);
      if (o.openFails) throw o.openFails;
      return { operator, config: CONFIG, close: async () => void run.closed++ };
    },
    userName: () => o.user ?? "alice",
    debug: false,
  };
  run.code = await runCli(["node", "scepgate", ...args], deps);
  return run;
}
