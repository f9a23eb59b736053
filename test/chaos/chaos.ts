/**
 * The kills: every component gets its own loop of `kills` kill -9s spread
 * over the chaos window — the i-th at a seeded random moment of the i-th
 * slice of the window — each followed by a seeded random pause and a
 * restart. The loops run side by side, so kills overlap as they fall (Redis
 * down while a front boots, the upstream down while a worker restarts, …),
 * except that the two fronts, and the two workers, are never down at once:
 * the other one of the pair is what must take over. Kills stop early once
 * every device has finished.
 */
import { sleep } from "../harness/process.js";
import type { Rng } from "./rng.js";
import type { Component } from "./topology.js";

/** One kill -9 and what followed. */
export interface Kill {
  component: string;
  /** ms since the run started. */
  at: number;
  /** How long it stayed down before the restart began. */
  downMs: number;
  /** How long the restart took until it served again. */
  restartMs: number;
  /** Boots the restart needed (more than one when it could not boot at first, e.g. Redis was down). */
  boots: number;
  error?: string;
}

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  components: readonly Component[];
  rng: Rng;
  /** Kills per component. */
  kills: number;
  /** Length of the window the kills are spread over. */
  windowMs: number;
  /** Pause between a kill and its restart. */
  downMs: [number, number];
  runStarted: number;
  /** No more kills once this is true (every device has finished: a kill then tests nothing). */
  done(): boolean;
  /** Called right before a component is killed and once it is back. */
  hooks?: { beforeKill?(c: Component): void; afterRestart?(c: Component): Promise<void> };
  log(line: string): void;
}

/** Runs every component's kill loop; resolves with all kills once every loop is done. */
export async function runChaos(o: ChaosOptions): Promise<Kill[]> {
  const all: Kill[] = [];
  const started = Date.now();
  const slice = o.windowMs / o.kills;
  // One lane per pair (fronts, workers), one per single component: a lane runs one kill-to-restart at a time.
  const lanes = new Map<string, Promise<unknown>>();
  const inLane = <T>(lane: string, f: () => Promise<T>): Promise<T> => {
    const next = (lanes.get(lane) ?? Promise.resolve()).then(f);
    lanes.set(lane, next.catch(() => undefined));
    return next;
  };
  await Promise.all(
    o.components.map(async (c) => {
      const rng = o.rng.fork(c.name);
      const lane = c.kind === "front" || c.kind === "worker" ? c.kind : c.name;
      for (let i = 0; i < o.kills; i++) {
        const due = started + slice * (i + 0.1 + 0.8 * rng.next());
        const downMs = rng.int(o.downMs[0], o.downMs[1]);
        if (due > Date.now()) await sleep(due - Date.now());
        const kill = await inLane(lane, async () => (o.done() ? undefined : killAndRestart(o, c, downMs, `${i + 1}/${o.kills}`)));
        if (!kill) return;
        all.push(kill);
        if (kill.error) return; // a component that cannot come back: the rest of the run shows what that did
      }
    }),
  );
  return all.sort((a, b) => a.at - b.at);
}

async function killAndRestart(o: ChaosOptions, c: Component, downMs: number, which: string): Promise<Kill> {
  const kill: Kill = { component: c.name, at: Date.now() - o.runStarted, downMs, restartMs: 0, boots: 0 };
  o.hooks?.beforeKill?.(c);
  await c.kill();
  o.log(`kill -9 ${c.name} (${which}), down ${downMs} ms`);
  await sleep(downMs);
  const t = Date.now();
  try {
    kill.boots = await c.restart();
    await o.hooks?.afterRestart?.(c);
  } catch (err) {
    kill.error = (err as Error).message;
    o.log(`${c.name}: ${kill.error}`);
  }
  kill.restartMs = Date.now() - t;
  return kill;
}
