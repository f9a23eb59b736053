/**
 * A per-worker registry of things to undo: child process groups to kill and
 * temp dirs to remove. Every harness `start*` registers what it makes here, so
 * that a test that forgets (or fails before) its `stop()` still leaves no
 * process behind:
 *
 * - {@link cleanupAll} runs every pending cleanup; call it from `afterAll`
 *   (test/setup.ts is the natural place: it runs for each test file);
 * - as a backstop, the worker's `exit` event and SIGTERM/SIGINT/SIGHUP run the
 *   synchronous part of every pending cleanup (SIGKILL to process groups,
 *   `rmSync` of temp dirs).
 */

/** One registered undo step. `sync` must not await (it may run in an exit handler). */
interface Entry {
  readonly label: string;
  readonly sync: () => void;
}

const pending = new Map<number, Entry>();
let nextId = 1;
let hooked = false;

/**
 * Registers a synchronous cleanup step; returns a function that unregisters it
 * (call it once the resource has been released normally).
 */
export function registerCleanup(label: string, sync: () => void): () => void {
  hookProcessExit();
  const id = nextId++;
  pending.set(id, { label, sync });
  return () => {
    pending.delete(id);
  };
}

/** Runs and forgets every pending cleanup step, newest first. Never throws. */
export function cleanupAll(): void {
  const entries = [...pending.entries()].reverse();
  pending.clear();
  for (const [, entry] of entries) {
    try {
      entry.sync();
    } catch (err) {
      process.stderr.write(`harness cleanup ${entry.label} failed: ${String(err)}\n`);
    }
  }
}

/** How many cleanup steps are still pending (for harness self-tests). */
export function pendingCleanups(): string[] {
  return [...pending.values()].map((e) => e.label);
}

function hookProcessExit(): void {
  if (hooked) return;
  hooked = true;
  process.once("exit", cleanupAll);
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.once(signal, () => {
      cleanupAll();
      process.kill(process.pid, signal);
    });
  }
}
