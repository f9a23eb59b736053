/**
 * The forward queue as the operator commands (`scepgate requests approve`)
 * reach it: approving a request of a profile with a remote upstream hands it
 * to the forward workers through this queue. Embedded-CA profiles issue
 * inline and never ask for it.
 */
import type { ForwardQueue } from "../ra/ports.js";
import type { Runtime } from "./runtime.js";

/** A forward queue and how to let go of it (its connections) when the command is done. */
export interface ForwardQueueHandle {
  queue: ForwardQueue;
  close(): Promise<void>;
}

/**
 * The forward queue of `rt`, or undefined when this build has none.
 *
 * TODO(lead): wire the BullMQ forward queue of src/app/workers.ts here, e.g.
 *   `const q = createForwardQueue(rt); return q && { queue: q, close: () => q.close() };`
 * (called at most once per command, on the first approval that needs it).
 * Until then, approving a request of a remote-upstream profile from the CLI
 * records the approval and then fails with exit 1 saying it could not be
 * queued (the device's next poll enqueues it through `scepgate serve`).
 */
export async function forwardQueueFor(rt: Runtime): Promise<ForwardQueueHandle | undefined> {
  void rt;
  return undefined;
}
