/**
 * Failed sign-ins to the operator web page, counted per client address in
 * memory: after `maxFailures` wrong tokens within `windowMs`, that address
 * may not try again until the oldest failure leaves the window. A right
 * token clears the address's count. Per process: behind a balancer with N
 * fronts an address gets up to N times the budget, which still turns a token
 * guess into a matter of centuries.
 */

/** Options of {@link SignInLimiter}. */
export interface SignInLimiterOptions {
  /** Wrong tokens allowed per address within the window (default 5). */
  maxFailures?: number;
  /** The window (default 15 min). */
  windowMs?: number;
  /** Addresses tracked at most; past that the stalest are forgotten (default 10 000). */
  maxAddresses?: number;
  now?: () => number;
}

/** Rate limit of failed sign-ins per client address. */
export class SignInLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(o: SignInLimiterOptions = {}) {
    this.maxFailures = o.maxFailures ?? 5;
    this.windowMs = o.windowMs ?? 15 * 60_000;
    this.maxAddresses = o.maxAddresses ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** 0 when `address` may try to sign in now, else the ms until it may. */
  retryAfterMs(address: string): number {
    const recent = this.recent(address);
    if (recent.length < this.maxFailures) return 0;
    return recent[recent.length - this.maxFailures]! + this.windowMs - this.now();
  }

  /** Counts a wrong token from `address`. */
  fail(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    this.failures.delete(address); // re-insert: the Map's order is then least recently failed first
    this.failures.set(address, recent.slice(-this.maxFailures));
    while (this.failures.size > this.maxAddresses) {
      const stalest = this.failures.keys().next().value as string;
      this.failures.delete(stalest);
    }
  }

  /** A right token from `address`: its count starts again. */
  succeed(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const kept = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (kept.length === 0) this.failures.delete(address);
    return kept;
  }
}
