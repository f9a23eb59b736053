/**
 * A forward worker process for the crash tests: `node --import tsx
 * worker-child.ts` with QUEUE_CHILD = JSON {redisUrl, prefix, enrollMs}.
 * Runs one worker set (production lock/stall timing) for profile "remote"
 * on a stand-in upstream whose enroll takes `enrollMs`, prints READY and
 * `CALL enroll` lines, and on SIGTERM closes the workers (waiting for the
 * active step) and exits 0, as workers/forward.ts does.
 */
import { closeScenes, makeProfile, scene, StandInUpstream, testMaterial, workers } from "./queue-fixtures.js";

const o = JSON.parse(process.env["QUEUE_CHILD"] ?? "{}") as { redisUrl: string; prefix: string; enrollMs: number };
const upstream = new StandInUpstream((await testMaterial()).certDer, [], o.enrollMs, (kind) => process.stdout.write(`CALL ${kind}\n`));
const s = scene(o.redisUrl, o.prefix, [{ profile: makeProfile("remote", upstream) }]);
const running = await workers(s, { name: `child:${process.pid}` });
process.once("SIGTERM", () => {
  process.stdout.write("CLOSING\n");
  running
    .close()
    .then(closeScenes)
    .then(() => {
      process.stdout.write(`CLOSED enroll=${upstream.count("enroll")}\n`);
      process.exit(0);
    }, () => process.exit(1));
});
process.stdout.write("READY\n");
