/**
 * Shared set-up of the queue/worker integration tests (also loaded by the
 * worker child process, so no vitest here): a stand-in upstream CA, profiles,
 * approved transactions in a real RedisTransactionStore, worker sets.
 *
 * The stand-in implements UpstreamCa in-process. That is allowed here: what
 * is under test is the queue and worker machinery; the real micromdm upstream
 * is exercised by the end-to-end tests.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { buildCsr, buildName, generateKey, issueCertificate, parseCsr, spkiOf, type Csr } from "../../../src/crypto/index.js";
import { FailInfo } from "../../../src/protocol/index.js";
import { UpstreamError } from "../../../src/ra/errors.js";
import type { ForwardingDeps } from "../../../src/ra/forwarding.js";
import type { RaIdentity } from "../../../src/ra/identity.js";
import { newTransaction } from "../../../src/ra/new-transaction.js";
import type { ProfileSettings, Profile } from "../../../src/ra/profile.js";
import type { EnrollRequest, Logger, Transaction, TransactionStore, UpstreamCa, UpstreamResult } from "../../../src/ra/ports.js";
import {
  BullForwardQueue, connectQueueRedis, planForwardQueues, startForwardWorkers, type ForwardQueueSpec, type ForwardWorkers, type ForwardWorkersOptions,
} from "../../../src/queue/index.js";
import { RedisTransactionStore } from "../../../src/store/index.js";

/** What the stand-in does with one call. */
export type Answer = "issue" | "pending" | "unreachable" | "refuse" | "bug";

/** Key material made once per process: a CSR and a certificate to hand out. */
export interface Material {
  csr: Csr;
  certDer: Uint8Array;
  spki: Uint8Array;
}

let material: Promise<Material> | undefined;
export function testMaterial(): Promise<Material> {
  material ??= (async () => {
    const key = await generateKey("ec-p256");
    const spki = spkiOf(key);
    const csr = parseCsr(buildCsr({ subject: buildName("CN=queued-device, O=scepgate tests"), key }));
    const certDer = issueCertificate({
      subject: buildName("CN=queued-device, O=scepgate tests"),
      spki,
      serial: randomBytes(8),
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 86_400_000),
      issuerKey: key,
      extensions: [],
    });
    return { csr, certDer, spki };
  })();
  return material;
}

/**
 * An upstream CA in-process: answers from `script` (one entry per call, in
 * order; then "issue"), optionally after `delayMs`, and records every call
 * and the highest number of calls in flight at once. Like a real CA, a poll
 * for a transaction it never saw is rejected with badCertId.
 */
export class StandInUpstream implements UpstreamCa {
  readonly inline = false;
  readonly calls: { kind: "enroll" | "poll"; id: string; at: number }[] = [];
  active = 0;
  maxActive = 0;
  private readonly known = new Set<string>();

  constructor(
    private readonly certDer: Uint8Array,
    public script: Answer[] = [],
    public delayMs = 0,
    private readonly onCall?: (kind: "enroll" | "poll", req: EnrollRequest) => void,
  ) {}

  count(kind: "enroll" | "poll"): number {
    return this.calls.filter((c) => c.kind === kind).length;
  }

  enroll(req: EnrollRequest): Promise<UpstreamResult> {
    return this.call("enroll", req);
  }

  poll(req: EnrollRequest): Promise<UpstreamResult> {
    if (!this.known.has(req.upstreamTransactionId)) {
      this.calls.push({ kind: "poll", id: req.upstreamTransactionId, at: Date.now() });
      return Promise.resolve({ status: "rejected", failInfo: FailInfo.badCertId, reason: "unknown transaction" });
    }
    return this.call("poll", req);
  }

  private async call(kind: "enroll" | "poll", req: EnrollRequest): Promise<UpstreamResult> {
    this.calls.push({ kind, id: req.upstreamTransactionId, at: Date.now() });
    this.onCall?.(kind, req);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      const answer = this.script.shift() ?? "issue";
      if (answer === "bug") throw new TypeError("stand-in bug: cannot read properties of undefined");
      if (answer === "unreachable") throw new UpstreamError("connect ECONNREFUSED (stand-in)", "unreachable");
      this.known.add(req.upstreamTransactionId);
      if (answer === "pending") return { status: "pending" };
      if (answer === "refuse") return { status: "rejected", failInfo: FailInfo.badRequest, reason: "refused by the stand-in" };
      return { status: "issued", certificate: this.certDer, chain: [] };
    } finally {
      this.active--;
    }
  }

  async caChain(): Promise<Uint8Array[]> {
    return [];
  }
  async getCert(): Promise<never> {
    throw new Error("not used");
  }
  async getCrl(): Promise<never> {
    throw new Error("not used");
  }
  async getNextCaCert(): Promise<undefined> {
    return undefined;
  }
}

/** A logger that keeps what it is told (and prints errors when QUEUE_TEST_LOG is set). */
export class RecordingLogger implements Logger {
  readonly entries: { level: string; obj: object; msg?: string }[] = [];
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: "debug", obj, msg });
  }
  info(obj: object, msg?: string): void {
    this.entries.push({ level: "info", obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: "warn", obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.entries.push({ level: "error", obj, msg });
    if (process.env["QUEUE_TEST_LOG"]) process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`);
  }
  messages(level: string): string[] {
    return this.entries.filter((e) => e.level === level).map((e) => e.msg ?? "");
  }
}

export const FAST_FORWARDING: ProfileSettings["forwarding"] = { retryForMs: 60_000, maxPendingAgeMs: 60_000, pollIntervalMs: 50 };

export function makeProfile(name: string, upstream: UpstreamCa, forwarding: Partial<ProfileSettings["forwarding"]> = {}): Profile {
  return {
    name,
    identity: {} as RaIdentity, // forwardStep never touches the RA identity (the upstream adapter does)
    upstream,
    policy: { evaluate: () => Promise.reject(new Error("not used")) },
    settings: {
      syncWaitMs: 0,
      replayWindowMs: 600_000,
      resendWindowMs: 3_600_000,
      crypto: { cipher: "mirror", digest: "mirror" },
      compat: { legacyDes: false, legacyDigest: false, caCertInCertRep: true },
      forwarding: { ...FAST_FORWARDING, ...forwarding },
    },
  };
}

/** Records an approved transaction of `profile` and returns it. */
export async function approvedTx(store: TransactionStore, profile: string, transactionId = randomBytes(10).toString("hex")): Promise<Transaction> {
  const m = await testMaterial();
  const tx = newTransaction({
    profile,
    transactionId,
    messageType: "19",
    csr: m.csr,
    requesterCert: m.certDer,
    requesterSpki: m.spki,
    state: "approved",
    challenge: "not-required",
    context: {},
    source: "scep",
    now: new Date(),
  });
  const { tx: stored } = await store.create({ ...tx, decidedBy: "policy" }, "policy");
  return stored;
}

/** Everything one test needs: a prefix, a store, profiles and their queues. */
export interface Scene {
  redisUrl: string;
  prefix: string;
  store: RedisTransactionStore;
  profiles: Profile[];
  queues: ForwardQueueSpec[];
  deps: ForwardingDeps;
  logger: RecordingLogger;
}

const sceneClosers: (() => Promise<void>)[] = [];

/** A scene whose profiles all forward to `http://ca.test/scep/<url>` (same url → same queue). */
export function scene(redisUrl: string, prefix: string, profiles: { profile: Profile; url?: string; maxConcurrent?: number }[]): Scene {
  const redis = new Redis(redisUrl);
  const store = new RedisTransactionStore({ redis, prefix });
  sceneClosers.push(async () => {
    await store.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  const logger = new RecordingLogger();
  const byName = new Map(profiles.map((p) => [p.profile.name, p.profile]));
  return {
    redisUrl,
    prefix,
    store,
    profiles: profiles.map((p) => p.profile),
    queues: planForwardQueues(
      profiles.map((p) => ({ profile: p.profile.name, upstreamUrl: `http://ca.test/scep/${p.url ?? "a"}`, maxConcurrent: p.maxConcurrent ?? 4 })),
    ),
    deps: { store, clock: { now: () => new Date() }, logger, profile: (n) => byName.get(n) },
    logger,
  };
}

/** A worker set, as one process would run it (its own connections). */
export function workers(s: Scene, over: Partial<ForwardWorkersOptions> = {}): Promise<ForwardWorkers> {
  return startForwardWorkers({
    connect: () => connectQueueRedis(s.redisUrl),
    prefix: s.prefix,
    queues: s.queues,
    concurrency: 4,
    deps: s.deps,
    logger: s.logger,
    retryBackoff: { baseMs: 40, maxMs: 400 },
    reconcile: false,
    ...over,
  }).then((w) => {
    sceneClosers.push(() => w.close());
    return w;
  });
}

/** The front's queue for a scene, on its own connection. */
export function frontQueue(s: Scene): BullForwardQueue {
  const q = new BullForwardQueue({
    connection: connectQueueRedis(s.redisUrl),
    ownsConnection: true,
    prefix: s.prefix,
    queues: s.queues,
    logger: s.logger,
    exceptionRetry: { attempts: 3, backoffMs: 50 },
  });
  sceneClosers.push(() => q.close());
  return q;
}

/** Closes every scene, worker set and queue made so far (newest first). */
export async function closeScenes(): Promise<void> {
  while (sceneClosers.length) await sceneClosers.pop()!().catch(() => undefined);
}

/** Resolves with the record once `pred` holds, polling every 20 ms; throws after `timeoutMs`. */
export async function waitFor(store: TransactionStore, tx: Transaction, pred: (t: Transaction) => boolean, timeoutMs = 15_000): Promise<Transaction> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await store.get(tx.profile, tx.transactionId);
    if (t && pred(t)) return t;
    if (Date.now() > deadline) throw new Error(`timed out: ${tx.id} is ${t?.state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How many audit events named `event` the transaction has. */
export async function auditCount(store: TransactionStore, tx: Transaction, event: string): Promise<number> {
  return (await store.history(tx.id)).filter((e) => e.event === event).length;
}
