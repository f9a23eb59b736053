/**
 * Entry point of a forward worker process without the CLI:
 * `node --import tsx workers/forward.ts [--config FILE]` (what `scepgate worker` runs).
 */
import { pathToFileURL } from "node:url";
import { runForwardWorker } from "../src/app/worker-process.js";

export { runForwardWorker };

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--config");
  runForwardWorker({ config: i > 0 ? process.argv[i + 1] : undefined }).catch((err: unknown) => {
    process.stderr.write(`scepgate worker: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
