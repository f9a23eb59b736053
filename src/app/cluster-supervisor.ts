/**
 * `scepgate serve --processes N` (N > 1): the supervisor. It forks N serve
 * processes (node:cluster) that share the listening port, each with its own
 * event loop, Redis connections and key threads, and does no request work
 * itself: the cluster primary only hands each accepted connection to the next
 * child in turn (round robin; connections are kept alive, so this is rare).
 *
 * - The zero-config private redis-server is started here, once, before any
 *   child; the children find its socket and share it; it is stopped last.
 * - Child 0 boots alone first (it may make the RA key, the RA certificate
 *   and the embedded CA in dataDir), then the others, in parallel.
 * - Only child 0 runs the in-process workers (forward, notifications,
 *   retention): their rate is bounded by each upstream's maxConcurrent
 *   (a BullMQ global concurrency) and the sweep runs under a Redis lock, so
 *   more of them would only add memory and Redis connections. A restarted
 *   child 0 runs them again; BullMQ takes over its stalled jobs.
 * - A child that dies is restarted (after a backoff when it dies young);
 *   SIGTERM/SIGINT stop every child (each stops gracefully) and then the
 *   supervisor exits 0; SIGHUP is passed on to every child (reload()).
 */
import cluster, { type Worker } from "node:cluster";
import { once } from "node:events";
import { ClusterMetrics } from "../observability/metrics.js";
import type { Logger } from "../ra/ports.js";
import type { PrivateRedis } from "../store/redis-child.js";

/** What the supervisor tells a child before it boots. */
export interface ChildRole {
  type: "scepgate-role";
  /** Which slot this child fills (0 … processes-1); stays the same across restarts. */
  index: number;
  processes: number;
  /** Run the in-process workers (only child 0, and only when serve runs workers at all). */
  workers: boolean;
  /** Private-key threads of this child (0: keys on the event loop). */
  keyThreads: number;
}

/** What a child asks first, once it can take the answer. */
export interface RoleRequest {
  type: "scepgate-role-request";
}

/** A child's `/metrics` asks the supervisor for the whole cluster's metrics. */
export interface MetricsRequest {
  type: "scepgate-metrics-request";
  id: number;
}

/** The aggregated metrics (or why there are none) for a {@link MetricsRequest}. */
export interface MetricsAnswer {
  type: "scepgate-metrics";
  id: number;
  text?: string;
  error?: string;
}

/** What a child tells the supervisor once it listens. */
export interface ChildReady {
  type: "scepgate-ready";
  url: string;
}

export interface SupervisorOptions {
  processes: number;
  /** Whether serve runs the in-process workers (`--no-workers`: none). */
  workers: boolean;
  /** Cores of the machine (availableParallelism). */
  cores: number;
  logger: Logger;
  /** The private redis-server to start first and stop last (zero config), or undefined with redis.url. */
  privateRedis?: () => Promise<PrivateRedis>;
  /** Restart backoff after a child that died young: first delay, doubled up to maxMs (tests shorten it). */
  restart?: { firstMs: number; maxMs: number; youngMs: number };
}

export interface Supervisor {
  readonly url: string;
  /** The pids of the running children, by slot. */
  pids(): number[];
  stop(): Promise<void>;
  /** What SIGHUP does here (app/lifecycle.ts): pass it on to every child, which reloads what it can (listen.tls). */
  reload(): Promise<void>;
}

const DEFAULT_RESTART = { firstMs: 500, maxMs: 30_000, youngMs: 10_000 };
const STOP_GRACE_MS = 30_000;

/** Private-key threads per child so that event loops plus key threads fill the cores: 0 when N ≥ cores. */
export function keyThreadsPerChild(cores: number, processes: number): number {
  return Math.max(0, Math.floor(cores / processes) - 1);
}

interface Slot {
  index: number;
  worker?: Worker;
  startedAt: number;
  delayMs: number;
  timer?: NodeJS.Timeout;
}

class ClusterSupervisor {
  url = "";
  private readonly slots: Slot[];
  /** Aggregates the children's registries for whichever child a scrape landed on. */
  private readonly metrics = new ClusterMetrics();
  private stopping = false;
  private started = false;
  private readonly restart: { firstMs: number; maxMs: number; youngMs: number };

  constructor(
    private readonly o: SupervisorOptions,
    private readonly redis: PrivateRedis | undefined,
  ) {
    this.slots = Array.from({ length: o.processes }, (_, index) => ({ index, startedAt: 0, delayMs: 0 }));
    this.restart = o.restart ?? DEFAULT_RESTART;
  }

  pids(): number[] {
    return this.slots.map((s) => s.worker?.process.pid ?? 0).filter((p) => p > 0);
  }

  private role(index: number): ChildRole {
    const { processes, workers, cores } = this.o;
    return { type: "scepgate-role", index, processes, workers: workers && index === 0, keyThreads: keyThreadsPerChild(cores, processes) };
  }

  /** Forks the child of `slot`; resolves with its URL once it listens, rejects if it exits first. */
  private fork(slot: Slot): Promise<string> {
    const worker = cluster.fork();
    slot.worker = worker;
    slot.startedAt = Date.now();
    const ready = new Promise<string>((resolve, reject) => {
      worker.on("message", (m: Partial<ChildReady | RoleRequest | MetricsRequest>) => {
        // The child asks once it listens for the answer: a message sent before that would be lost.
        if (m?.type === "scepgate-role-request") worker.send(this.role(slot.index));
        if (m?.type === "scepgate-metrics-request" && typeof m.id === "number") this.answerScrape(worker, m.id);
        if (m?.type === "scepgate-ready" && typeof m.url === "string") resolve(m.url);
      });
      worker.once("exit", (code, signal) => reject(new Error(`serve process ${slot.index} exited at start (${signal ?? `code ${code}`}): see its log above`)));
    });
    worker.once("exit", (code, signal) => this.exited(slot, worker, code, signal));
    return ready;
  }

  private answerScrape(worker: Worker, id: number): void {
    const send = (a: Omit<MetricsAnswer, "type" | "id">): void => {
      if (worker.isConnected()) worker.send({ type: "scepgate-metrics", id, ...a } satisfies MetricsAnswer);
    };
    this.metrics.text().then((text) => send({ text }), (err: Error) => send({ error: err.message }));
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    if (this.stopping || !this.started) return; // a child that fails at start fails the start (startSupervisor)
    const lived = Date.now() - slot.startedAt;
    slot.delayMs = lived < this.restart.youngMs ? Math.min(this.restart.maxMs, slot.delayMs ? slot.delayMs * 2 : this.restart.firstMs) : 0;
    this.o.logger.error({ child: slot.index, pid: worker.process.pid, code, signal, restartInMs: slot.delayMs }, "serve process died: restarting it");
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.stopping) return;
      this.fork(slot).then(
        () => this.o.logger.info({ child: slot.index, pid: slot.worker?.process.pid }, "serve process restarted"),
        (err: Error) => this.o.logger.error({ child: slot.index, err: err.message }, "restarted serve process did not come up"),
      );
    }, slot.delayMs);
  }

  /** Child 0 alone (it may make the RA and CA files), then the others at once; resolves with the URL they listen on. */
  async start(): Promise<void> {
    this.url = await this.fork(this.slots[0]!);
    await Promise.all(this.slots.slice(1).map((s) => this.fork(s)));
    this.started = true;
  }

  /** A signal (SIGHUP: the TLS reload, and whatever else a child reloads) to every child. */
  forward(signal: NodeJS.Signals): void {
    for (const s of this.slots) s.worker?.process.kill(signal);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((s) => this.stopSlot(s)));
    await this.redis?.stop();
    this.o.logger.info({}, "every serve process stopped");
  }

  private async stopSlot(slot: Slot): Promise<void> {
    if (slot.timer) clearTimeout(slot.timer);
    const w = slot.worker;
    if (!w || w.isDead()) return;
    const exit = once(w, "exit");
    w.process.kill("SIGTERM");
    const timer = setTimeout(() => w.process.kill("SIGKILL"), STOP_GRACE_MS);
    await exit;
    clearTimeout(timer);
  }
}

/**
 * Starts the private Redis (if any), then child 0, then the other children;
 * resolves once all listen. On a failed start everything started is stopped
 * and the error thrown.
 */
export async function startSupervisor(o: SupervisorOptions): Promise<Supervisor> {
  if (!cluster.isPrimary) throw new Error("the serve supervisor runs in the cluster primary only");
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const redis = await o.privateRedis?.();
  const sup = new ClusterSupervisor(o, redis?.owned ? redis : undefined);
  try {
    await sup.start();
  } catch (err) {
    await sup.stop();
    throw err;
  }
  o.logger.info({ url: sup.url, processes: o.processes, pids: sup.pids(), keyThreadsPerProcess: keyThreadsPerChild(o.cores, o.processes) }, "scepgate serve processes listening");
  return {
    get url() {
      return sup.url;
    },
    pids: () => sup.pids(),
    stop: () => sup.stop(),
    reload: async () => {
      o.logger.info({ children: sup.pids() }, "SIGHUP: passed on to every serve process");
      sup.forward("SIGHUP");
    },
  };
}
