/**
 * The retention sweep's delete: one Lua script per record, so a record leaves
 * Redis whole (hash, audit stream, every index entry) or not at all, and only
 * if it is still exactly what was exported to the audit file.
 *
 * Sent with EVALSHA through ioredis `defineCommand` under its own name
 * (scripts.ts holds the store's write scripts; this one is separate).
 */
import type { Redis } from "ioredis";
import { FinalStates } from "../ra/ports.js";
import { STATE_ORDER, WRITE_KEYS_STATE_BASE } from "./keys.js";

/** The ioredis command name of the script (unique across scepgate). */
export const RETENTION_DELETE_COMMAND = "scepgateRetentionDelete";

/** How many KEYS the script takes: StoreKeys.writeKeys of the record. */
const KEY_COUNT = WRITE_KEYS_STATE_BASE - 1 + 2 * STATE_ORDER.length;

/**
 * KEYS = StoreKeys.writeKeys(profile, id): 1 record, 2 global audit stream
 * (untouched), 3 record audit stream, 4.. every index zset of the record.
 * ARGV = id, profileJson, updatedAtJson, lastStreamId ('' = no events): the
 * stored field values and the last audit entry id as exported.
 *
 * Re-checks inside Redis that the record is still final, of that profile,
 * with the exported updatedAt and no audit event after the exported ones;
 * then deletes. Returns 'removed', 'gone' (no record), 'pending' (no longer
 * final) or 'changed' (anything else differs).
 */
const DELETE = `
local FINAL = {${[...FinalStates].map((s) => `["${s}"]=true`).join(",")}}
local cur = redis.call('HMGET', KEYS[1], 'state', 'profile', 'updatedAt')
if not cur[1] then return 'gone' end
if not FINAL[string.sub(cur[1], 2, -2)] then return 'pending' end
if cur[2] ~= ARGV[2] or cur[3] ~= ARGV[3] then return 'changed' end
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local lastId = ''
if #last > 0 then lastId = last[1][1] end
if lastId ~= ARGV[4] then return 'changed' end
redis.call('DEL', KEYS[1], KEYS[3])
for i = 4, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 'removed'
`;

/** What the delete found. */
export type RetentionDeleteOutcome = "removed" | "gone" | "pending" | "changed";

const OUTCOMES: ReadonlySet<string> = new Set<RetentionDeleteOutcome>(["removed", "gone", "pending", "changed"]);

/** The exported state a delete must still find. */
export interface ExportedHead {
  id: string;
  /** The record's `profile` and `updatedAt` hash fields, as stored (JSON). */
  profileJson: string;
  updatedAtJson: string;
  /** Id of the last audit stream entry exported, '' when there was none. */
  lastStreamId: string;
}

type ScriptCall = (...args: string[]) => Promise<unknown>;

/** Defines the script on `redis` (once per connection object) and returns its caller. */
export function installRetentionDelete(redis: Redis): (keys: readonly string[], head: ExportedHead) => Promise<RetentionDeleteOutcome> {
  const commands = redis as unknown as Record<string, ScriptCall | undefined>;
  if (typeof commands[RETENTION_DELETE_COMMAND] !== "function") {
    redis.defineCommand(RETENTION_DELETE_COMMAND, { lua: DELETE, numberOfKeys: KEY_COUNT });
  }
  return async (keys, head) => {
    if (keys.length !== KEY_COUNT) throw new RangeError(`retention delete: expected ${KEY_COUNT} keys, got ${keys.length}`);
    const fn = commands[RETENTION_DELETE_COMMAND];
    if (!fn) throw new Error(`scepgate store: script ${RETENTION_DELETE_COMMAND} is not defined`);
    const reply = await fn.apply(redis, [...keys, head.id, head.profileJson, head.updatedAtJson, head.lastStreamId]);
    if (typeof reply !== "string" || !OUTCOMES.has(reply)) throw new Error(`retention delete: unexpected reply ${String(reply)}`);
    return reply as RetentionDeleteOutcome;
  };
}
