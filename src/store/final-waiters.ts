/**
 * Waiting for records to reach a final state, for any number of waiters, on
 * ONE pub/sub connection per store: the connection is made on the first wait,
 * subscribes to the store's change channel once, and fans each notification
 * out to the in-process waiters of that record id.
 *
 * Pub/sub is at-most-once (a message sent while the subscriber reconnects is
 * lost), so a waiter re-reads the record once subscribed and once more when
 * its time is up: a final state is never missed, only noticed late.
 */
import type { Redis } from "ioredis";
import { FinalStates, type Transaction, type TransactionState } from "../ra/ports.js";
import { StoreError } from "./errors.js";

/** Largest delay setTimeout accepts (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One pending waitForFinal call. */
interface Waiter {
  /** True when `tx` is the record this waiter waits for, in a final state. */
  accepts(tx: Transaction): boolean;
  /** Settles the promise (once) and forgets the waiter. */
  settle(tx: Transaction | undefined): void;
}

/** Reads a record by id (for a notification) or the waited-for record (for a re-check). */
export type RecordReader = () => Promise<Transaction | undefined>;

/** Fan-out of the store's change channel to in-process waiters. */
export class FinalWaiters {
  private subscriber: Redis | undefined;
  private subscribed: Promise<void> | undefined;
  private closed = false;
  private readonly waiters = new Map<string, Set<Waiter>>();

  /**
   * @param channel - the store's change channel (StoreKeys.changes)
   * @param connect - makes the subscriber connection (called at most once)
   * @param readById - reads a record by id, to hand to the waiters of a notification
   */
  constructor(
    private readonly channel: string,
    private readonly connect: () => Redis,
    private readonly readById: (id: string) => Promise<Transaction | undefined>,
  ) {}

  /** How many waiters are pending (for tests and metrics). */
  get pending(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  /**
   * Waits until record `id` is final and `accepts` it, or `timeoutMs` passes.
   * `recheck` reads the record; it runs once subscribed and once at the timeout.
   */
  wait(id: string, accepts: (tx: Transaction) => boolean, recheck: RecordReader, timeoutMs: number): Promise<Transaction | undefined> {
    if (this.closed) return Promise.reject(new StoreError("transaction store is closed"));
    return new Promise<Transaction | undefined>((resolve, reject) => {
      let done = false;
      const finish = (outcome: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.forget(id, waiter);
        outcome();
      };
      const waiter: Waiter = {
        accepts: (tx) => isFinal(tx.state) && accepts(tx),
        settle: (tx) => finish(() => resolve(tx)),
      };
      const onTimeout = (): void => {
        recheck().then(
          (tx) => waiter.settle(tx && waiter.accepts(tx) ? tx : undefined),
          () => waiter.settle(undefined),
        );
      };
      const timer = setTimeout(onTimeout, Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS));
      this.remember(id, waiter);
      this.subscribe()
        .then(recheck)
        .then(
          (tx) => { if (tx && waiter.accepts(tx)) waiter.settle(tx); },
          (err: unknown) => finish(() => reject(err)),
        );
    });
  }

  /** Settles every pending waiter with undefined and closes the subscriber connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.settle(undefined);
    const sub = this.subscriber;
    this.subscriber = undefined;
    this.subscribed = undefined;
    if (!sub) return;
    try {
      await sub.quit();
    } catch {
      sub.disconnect();
    }
  }

  private remember(id: string, waiter: Waiter): void {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(waiter);
  }

  private forget(id: string, waiter: Waiter): void {
    const set = this.waiters.get(id);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) this.waiters.delete(id);
  }

  /** Subscribes once per store; resolves when Redis has acknowledged SUBSCRIBE. */
  private subscribe(): Promise<void> {
    if (this.subscribed) return this.subscribed;
    if (!this.subscriber) {
      const sub = this.connect();
      // Connection errors surface as a failed SUBSCRIBE (or a late answer);
      // without a listener ioredis would print them itself.
      sub.on("error", () => undefined);
      sub.on("message", (channel: string, message: string) => this.onMessage(channel, message));
      this.subscriber = sub;
    }
    const subscribed = this.subscriber.subscribe(this.channel).then(
      () => undefined,
      (err: unknown) => {
        if (this.subscribed === subscribed) this.subscribed = undefined;
        throw err;
      },
    );
    this.subscribed = subscribed;
    return subscribed;
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.channel) return;
    const change = parseChange(message);
    if (!change || !isFinal(change.state) || !this.waiters.has(change.id)) return;
    this.readById(change.id).then(
      (tx) => {
        if (!tx) return;
        for (const w of [...(this.waiters.get(change.id) ?? [])]) if (w.accepts(tx)) w.settle(tx);
      },
      () => undefined, // the waiters' own timeout re-check reads it again
    );
  }
}

function isFinal(state: string): boolean {
  return FinalStates.has(state as TransactionState);
}

function parseChange(message: string): { id: string; state: string } | undefined {
  try {
    const v = JSON.parse(message) as { id?: unknown; state?: unknown };
    return typeof v.id === "string" && typeof v.state === "string" ? { id: v.id, state: v.state } : undefined;
  } catch {
    return undefined;
  }
}
