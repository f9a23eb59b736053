/** The store module's errors: one base class, small subclasses that set `name`. */

/** Base of the store's errors. */
export class StoreError extends Error {
  override name = "StoreError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Redis is configured in a way scepgate cannot run on, e.g. an eviction policy
 * other than `noeviction` (an evicted record is a lost enrollment).
 */
export class RedisPolicyError extends StoreError {
  override name = "RedisPolicyError";
}
