/**
 * What the operator commands (`scepgate requests …`, `scepgate otp issue`)
 * run on: the runtime of the configuration (same Redis, key prefix and data
 * directory as `serve`), no HTTP server, no workers.
 */
import type { Config, LoadedConfig } from "../config/index.js";
import type { AppLogger } from "../observability/logger.js";
import type { Operator } from "../ra/operator.js";
import { createRuntime } from "./runtime.js";

/** The operator use-cases a command may call. */
export type OperatorApi = Pick<Operator, "list" | "show" | "approve" | "reject" | "issueOtp">;

/** An open operator session; `close()` ends every connection (and a private redis-server only if this process started it). */
export interface OperatorSession {
  operator: OperatorApi;
  config: Config;
  close(): Promise<void>;
}

/** Opens the runtime of `loaded` for one operator command. */
export async function openOperatorSession(loaded: LoadedConfig, logger: AppLogger): Promise<OperatorSession> {
  const rt = await createRuntime(loaded, logger);
  return { operator: rt.operator, config: loaded.config, close: () => rt.close() };
}
