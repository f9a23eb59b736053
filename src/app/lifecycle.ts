/**
 * Running a long-lived service (the front, the workers) until SIGTERM/SIGINT.
 * The handlers are installed before booting, so a signal that arrives while
 * the service is still starting stops it cleanly once it is up, instead of
 * killing the process half-initialised. SIGHUP asks the service to reload
 * what it can (the HTTPS certificate); it never ends the process.
 */
import type { Logger } from "../ra/ports.js";

export interface Stoppable {
  stop(): Promise<void>;
  /** What SIGHUP does; services without one log that there is nothing to reload. */
  reload?(): Promise<void>;
}

export interface RunOptions {
  logger: () => Logger | undefined;
  /** Exit the process after stopping (0, or 1 when stopping failed); false for tests. */
  exit?: boolean;
}

export async function runUntilSignal<T extends Stoppable>(boot: () => Promise<T>, o: RunOptions): Promise<T & { stopped: Promise<void> }> {
  let service: T | undefined;
  let received: NodeJS.Signals | undefined;
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const finish = (): void => {
    stopping ??= service!.stop().then(
      () => {
        resolveStopped();
        if (o.exit !== false) process.exit(0);
      },
      (err: unknown) => {
        o.logger()?.error({ err: (err as Error).message }, "did not stop cleanly");
        resolveStopped();
        if (o.exit !== false) process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    received = signal;
    o.logger()?.info({ signal }, "stopping");
    if (service) finish();
  };
  const onHangup = (): void => {
    if (!service || stopping) return;
    if (!service.reload) {
      o.logger()?.info({ signal: "SIGHUP" }, "nothing to reload");
      return;
    }
    service.reload().catch((err: unknown) => o.logger()?.error({ err: (err as Error).message }, "reload failed"));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", onHangup);
  try {
    service = await boot();
  } catch (err) {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("SIGHUP", onHangup);
    throw err;
  }
  if (received) finish();
  return Object.assign(service, { stopped });
}
