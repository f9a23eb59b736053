/** Errors of `scepgate batch` that the command maps to its own exit codes. */

/** The command cannot start as asked: a bad device list, no passphrase, a bad option (exit 2). Nothing was submitted. */
export class BatchUsageError extends Error {
  override name = "BatchUsageError";
  /** Further lines (one per problem), printed after the message. */
  readonly details: readonly string[];
  constructor(message: string, details: readonly string[] = []) {
    super(message);
    this.details = details;
  }
}

/** The output directory belongs to another run: locked by a live process, or made for another profile or mode (exit 4). */
export class BatchConflictError extends Error {
  override name = "BatchConflictError";
}
