/**
 * What the operator commands (`scepgate requests …`, `scepgate otp issue`)
 * run on: the runtime of the configuration (same Redis, key prefix and data
 * directory as `serve`), no HTTP server, no workers, and an Operator whose
 * forward queue is opened only when an approval needs it.
 */
import type { Config, LoadedConfig } from "../config/index.js";
import type { AppLogger } from "../observability/logger.js";
import type { Operator } from "../ra/operator.js";
import type { ForwardQueue } from "../ra/ports.js";
import { forwardQueueFor, type ForwardQueueHandle } from "./forward-queue.js";
import { createOperator, createRuntime, type Runtime } from "./runtime.js";

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
  const queue = new LazyForwardQueue(rt);
  return {
    operator: createOperator(rt, queue),
    config: loaded.config,
    close: async () => {
      try {
        await queue.close();
      } finally {
        await rt.close();
      }
    },
  };
}

/** Opens the forward queue on the first enqueue, so commands that never forward never connect to it. */
class LazyForwardQueue implements ForwardQueue {
  private handle: Promise<ForwardQueueHandle | undefined> | undefined;

  constructor(private readonly rt: Runtime) {}

  async enqueueForward(profile: string, transactionId: string): Promise<void> {
    this.handle ??= forwardQueueFor(this.rt);
    const h = await this.handle;
    if (!h) {
      throw new Error(
        `approved, but this command cannot queue the forward to profile "${profile}"'s upstream CA yet; ` +
          "the device's next poll to `scepgate serve` queues it",
      );
    }
    await h.queue.enqueueForward(profile, transactionId);
  }

  async close(): Promise<void> {
    const h = await this.handle?.catch(() => undefined);
    await h?.close();
  }
}
