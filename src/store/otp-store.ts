/**
 * One-time challenge passwords (`scepgate otp issue`, `POST /admin/otp`) on
 * Redis: the OneTimePasswords port of ra/ports.ts.
 *
 * The password itself is never stored: each one is a hash under
 * `otp:{profile}:{sha256(profile NUL password)}` (see keys.ts) holding its
 * expiry and, when it was bound to one, the subject CN it is valid for. Redis
 * drops the key at the expiry (PEXPIREAT); consuming it is one Lua script, so
 * of any number of concurrent attempts exactly one succeeds.
 */
import type { Redis } from "ioredis";
import type { OneTimePasswords } from "../ra/ports.js";
import { durableWrites, type DurableWrite, type Durability } from "./durability.js";
import { StoreError } from "./errors.js";
import { StoreKeys } from "./keys.js";

/** How an attempt to use a one-time password went. */
export type OtpOutcome =
  /** Valid: it is gone now. */
  | "consumed"
  /** Never issued (for this profile), already used, or dropped by Redis after its expiry. */
  | "unknown"
  /** Still stored but past its expiry by the caller's clock; left for Redis to drop. */
  | "expired"
  /** Bound to another subject CN; left in place for the device it was meant for. */
  | "wrong-subject";

/**
 * issue: KEYS = otp key; ARGV = expiresAt (ms), subjectCn ('' = any).
 * Replaces whatever the key held (a reissue of the same password).
 */
const ISSUE = `
redis.call('DEL', KEYS[1])
if ARGV[2] == '' then
  redis.call('HSET', KEYS[1], 'expiresAt', ARGV[1])
else
  redis.call('HSET', KEYS[1], 'expiresAt', ARGV[1], 'subjectCn', ARGV[2])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
`;

/**
 * consume: KEYS = otp key; ARGV = now (ms), subjectCn of the request (folded, '' = none).
 * 1 consumed (deleted), 0 unknown, -1 expired, -2 bound to another subject (kept).
 */
const CONSUME = `
local v = redis.call('HMGET', KEYS[1], 'expiresAt', 'subjectCn')
if not v[1] then return 0 end
if tonumber(v[1]) <= tonumber(ARGV[1]) then return -1 end
if v[2] and v[2] ~= ARGV[2] then return -2 end
redis.call('DEL', KEYS[1])
return 1
`;

const OUTCOMES: ReadonlyMap<number, OtpOutcome> = new Map([
  [1, "consumed"],
  [0, "unknown"],
  [-1, "expired"],
  [-2, "wrong-subject"],
]);

const ISSUE_COMMAND = "scepgateOtpIssue";
const CONSUME_COMMAND = "scepgateOtpConsume";

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;

/** Options of {@link RedisOneTimePasswords}. */
export interface RedisOneTimePasswordsOptions {
  /** The command connection (shared; never closed here). */
  redis: Redis;
  /** Prefix of every key, e.g. `scepgate:` (the same as the transaction store's). */
  prefix: string;
  /** Replicas an issued or consumed password must reach before the call resolves (redis.waitReplicas; default none). */
  durability?: Durability;
}

/**
 * Subject CNs compare case-insensitively but otherwise exactly: Unicode NFC,
 * then lower case (locale-independent), no trimming.
 */
export function foldSubjectCn(cn: string): string {
  return cn.normalize("NFC").toLowerCase();
}

/** {@link OneTimePasswords} on Redis; see the module comment. */
export class RedisOneTimePasswords implements OneTimePasswords {
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly durable: DurableWrite;

  constructor(opts: RedisOneTimePasswordsOptions) {
    this.redis = opts.redis;
    this.durable = durableWrites(opts.redis, opts.durability);
    this.keys = new StoreKeys(opts.prefix);
    const commands = opts.redis as unknown as Record<string, unknown>;
    if (typeof commands[ISSUE_COMMAND] !== "function") opts.redis.defineCommand(ISSUE_COMMAND, { lua: ISSUE, numberOfKeys: 1 });
    if (typeof commands[CONSUME_COMMAND] !== "function") opts.redis.defineCommand(CONSUME_COMMAND, { lua: CONSUME, numberOfKeys: 1 });
  }

  /** Stores `password` for `profile` until `expiresAt`, for any subject or only for CN `subjectCn`. */
  async issue(profile: string, password: string, expiresAt: Date, subjectCn: string | undefined): Promise<void> {
    if (password === "") throw new StoreError("a one-time password must not be empty");
    if (subjectCn === "") throw new StoreError("a one-time password's subject CN must not be empty (leave it out for any subject)");
    const at = expiresAt.getTime();
    if (!Number.isFinite(at)) throw new StoreError("a one-time password needs a valid expiry");
    await this.durable(() => this.call(ISSUE_COMMAND, this.keys.otp(profile, password), at, subjectCn === undefined ? "" : foldSubjectCn(subjectCn)));
  }

  /** True when `password` was valid for `profile` and `subjectCn` at `now`; it is then used up. */
  async consume(profile: string, password: string, subjectCn: string | undefined, now: Date): Promise<boolean> {
    return (await this.attempt(profile, password, subjectCn, now)) === "consumed";
  }

  /** {@link consume} with the reason it did not work. A wrong-subject or expired attempt leaves the password alone. */
  async attempt(profile: string, password: string, subjectCn: string | undefined, now: Date): Promise<OtpOutcome> {
    const cn = subjectCn === undefined ? "" : foldSubjectCn(subjectCn);
    // Durable too: a use lost in a failover would make the password valid once more.
    const reply = await this.durable(() => this.call(CONSUME_COMMAND, this.keys.otp(profile, password), now.getTime(), cn));
    const outcome = typeof reply === "number" ? OUTCOMES.get(reply) : undefined;
    if (outcome === undefined) throw new StoreError(`unexpected one-time password reply ${String(reply)}`);
    return outcome;
  }

  private call(name: string, ...args: Array<string | number>): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, ScriptCall | undefined>)[name];
    if (!fn) throw new StoreError(`scepgate store: script ${name} is not defined`);
    return fn.apply(this.redis, args);
  }
}
