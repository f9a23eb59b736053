/**
 * The store's Lua scripts: each write is one atomic round trip, sent with
 * EVALSHA through ioredis `defineCommand` (ioredis falls back to EVAL once per
 * connection when the script is not cached yet).
 *
 * Records are hashes whose fields hold the JSON of each top-level Transaction
 * field, so a script never decodes JSON: Redis 7.0's cjson turns `[]` into
 * `{}`, which would corrupt `sans: []` on a read-modify-write of a JSON blob.
 * The only fields a script reads are `state`, a JSON string without escapes,
 * and (approve) `approvals`, which it decodes only to read and extends as text.
 *
 * ARGV sections are length-prefixed: `n, item1 … itemN` (see {@link section}).
 */
import type { Redis } from "ioredis";
import { STATE_ORDER, WRITE_KEYS_STATE_BASE } from "./keys.js";

/** How many KEYS the write scripts take (see StoreKeys.writeKeys). */
export const WRITE_KEY_COUNT = WRITE_KEYS_STATE_BASE - 1 + 2 * STATE_ORDER.length;

const PRELUDE = `
local N = ${STATE_ORDER.length}
local POS = {${STATE_ORDER.map((s, i) => `["${s}"]=${i}`).join(",")}}
local function state_key(s) return KEYS[${WRITE_KEYS_STATE_BASE} + POS[s]] end
local function profile_state_key(s) return KEYS[${WRITE_KEYS_STATE_BASE} + N + POS[s]] end
local function section(i)
  local n = tonumber(ARGV[i])
  local t = {}
  for j = 1, n do t[j] = ARGV[i + j] end
  return t, i + n + 1
end
local function unquote(v) return string.sub(v, 2, -2) end
local function index(id, score, s)
  redis.call('ZADD', KEYS[4], score, id)
  redis.call('ZADD', KEYS[5], score, id)
  redis.call('ZADD', state_key(s), score, id)
  redis.call('ZADD', profile_state_key(s), score, id)
end
local function unindex_state(id, s)
  redis.call('ZREM', state_key(s), id)
  redis.call('ZREM', profile_state_key(s), id)
end
local function audit(fields, from, to)
  if from then table.insert(fields, 'from'); table.insert(fields, from) end
  table.insert(fields, 'to'); table.insert(fields, to)
  redis.call('XADD', KEYS[2], '*', unpack(fields))
  redis.call('XADD', KEYS[3], '*', unpack(fields))
end
local function publish(channel, id, s)
  redis.call('PUBLISH', channel, '{"id":"' .. id .. '","state":"' .. s .. '"}')
end
local function same_owner(cur)
  return cur[2] == ARGV[3] and cur[3] == ARGV[4]
end
`;

/**
 * create: ARGV = id, channel, profileJson, txidJson, score, state,
 * section(audit pairs), section(record field pairs).
 * Returns {1} when created, {0, HGETALL} when a record was already there.
 */
/** The new record, its indexes, its first audit entry and its event, from CREATE's ARGV (a Lua fragment; returns on an unknown state). */
const INSERT_RECORD = `
local id, s = ARGV[1], ARGV[6]
if not POS[s] then return redis.error_reply('ERR scepgate: unknown state ' .. s) end
local a, i = section(7)
local f = section(i)
redis.call('HSET', KEYS[1], unpack(f))
index(id, ARGV[5], s)
audit(a, nil, s)
publish(ARGV[2], id, s)
`;

const CREATE = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, redis.call('HGETALL', KEYS[1])} end
${INSERT_RECORD}
return {1}
`;

/**
 * createChecked: KEYS = writeKeys, then the nonce key; ARGV = the ARGV of
 * CREATE, then digest, windowMs. The nonce check of NONCE and CREATE in one
 * round trip, for a request whose policy ran before its record was looked
 * up: {'replay'} writes nothing; else {check, 1} when created, {check, 0,
 * HGETALL} when a record was already there.
 */
const CREATE_CHECKED = `${PRELUDE}
local NONCE_KEY = KEYS[#KEYS]
local digest, window = ARGV[#ARGV - 1], ARGV[#ARGV]
local check = 'replay'
if redis.call('SET', NONCE_KEY, digest, 'NX', 'PX', window) then check = 'fresh'
elseif redis.call('GET', NONCE_KEY) == digest then check = 'resent' end
if check == 'replay' then return {check} end
if redis.call('EXISTS', KEYS[1]) == 1 then return {check, 0, redis.call('HGETALL', KEYS[1])} end
${INSERT_RECORD}
return {check, 1}
`;

/**
 * supersede: KEYS = writeKeys of the current record, then the record and
 * audit keys of the archive (StoreKeys.supersedeKeys). ARGV = id, channel,
 * profileJson, txidJson, score, state, section(created-audit pairs),
 * section(record field pairs), archivedId, attempt of the finished record,
 * section(superseded-audit pairs). Only when the current record is final,
 * belongs to the same profile/transactionID and is that attempt: moves it
 * (hash, audit stream, index entries) to archivedId, then writes the new
 * record in its place. Returns 1 when done, else 0.
 */
const SUPERSEDE = `${PRELUDE}
local ARCHIVE, ARCHIVE_AUDIT = KEYS[#KEYS - 1], KEYS[#KEYS]
local cur = redis.call('HMGET', KEYS[1], 'state', 'profile', 'transactionId', 'attempt')
if not cur[1] or not same_owner(cur) then return 0 end
local old = unquote(cur[1])
if old ~= 'issued' and old ~= 'rejected' and old ~= 'failed' then return 0 end
local id, s = ARGV[1], ARGV[6]
if not POS[s] then return redis.error_reply('ERR scepgate: unknown state ' .. s) end
local a, i = section(7)
local f, j = section(i)
local archived, attempt = ARGV[j], ARGV[j + 1]
if (cur[4] or '1') ~= attempt then return 0 end
local sup = section(j + 2)
local score = redis.call('ZSCORE', KEYS[4], id) or ARGV[5]
redis.call('RENAME', KEYS[1], ARCHIVE)
redis.call('HSET', ARCHIVE, 'id', '"' .. archived .. '"', 'supersededBy', '"' .. id .. '"', 'attempt', attempt)
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('RENAME', KEYS[3], ARCHIVE_AUDIT) end
unindex_state(id, old)
index(archived, score, old)
table.insert(sup, 'from'); table.insert(sup, old)
table.insert(sup, 'to'); table.insert(sup, old)
redis.call('XADD', KEYS[2], '*', unpack(sup))
redis.call('XADD', ARCHIVE_AUDIT, '*', unpack(sup))
redis.call('HSET', KEYS[1], unpack(f))
index(id, ARGV[5], s)
audit(a, nil, s)
publish(ARGV[2], archived, old)
publish(ARGV[2], id, s)
return 1
`;

/**
 * transition: ARGV = id, channel, profileJson, txidJson, newState ('' keeps
 * the state), section(from states), section(audit pairs), section(patch
 * field pairs). Returns the new record (HGETALL) or nil when the record is
 * missing or not in one of `from`.
 */
const TRANSITION = `${PRELUDE}
local cur = redis.call('HMGET', KEYS[1], 'state', 'profile', 'transactionId')
if not cur[1] or not same_owner(cur) then return false end
local old = unquote(cur[1])
local from, i = section(6)
local allowed = false
for _, s in ipairs(from) do if s == old then allowed = true; break end end
if not allowed then return false end
local id, new = ARGV[1], ARGV[5]
if new == '' then new = old end
if not POS[new] then return redis.error_reply('ERR scepgate: unknown state ' .. new) end
local a, j = section(i)
local p = section(j)
if #p > 0 then redis.call('HSET', KEYS[1], unpack(p)) end
if new ~= old then
  local score = redis.call('ZSCORE', KEYS[4], id) or '0'
  unindex_state(id, old)
  redis.call('ZADD', state_key(new), score, id)
  redis.call('ZADD', profile_state_key(new), score, id)
end
audit(a, old, new)
publish(ARGV[2], id, new)
return redis.call('HGETALL', KEYS[1])
`;

/**
 * approve: ARGV = id, channel, profileJson, txidJson, needed, approver,
 * approval entry JSON, section(approval-audit pairs, empty for none),
 * section(approved-audit pairs), section(pairs always set: updatedAt),
 * section(pairs set when approved: state, decidedBy). On a pending_approval
 * record whose `approvals` list holds no entry by `approver`: appends the
 * entry (by string, never re-encoding the list) and audits "approval"; when
 * the list then holds `needed` entries, also moves it to approved and audits
 * "approved". Returns {outcome, HGETALL}: approved | recorded | duplicate |
 * state; {'missing'} when there is no such record.
 */
const APPROVE = `${PRELUDE}
local cur = redis.call('HMGET', KEYS[1], 'state', 'profile', 'transactionId', 'approvals')
if not cur[1] or not same_owner(cur) then return {'missing'} end
local old = unquote(cur[1])
if old ~= 'pending_approval' then return {'state', redis.call('HGETALL', KEYS[1])} end
local id, needed, approver, entry = ARGV[1], tonumber(ARGV[5]), ARGV[6], ARGV[7]
local list, count = cur[4], 0
if list then
  for _, a in ipairs(cjson.decode(list)) do
    if a.by == approver then return {'duplicate', redis.call('HGETALL', KEYS[1])} end
    count = count + 1
  end
end
if count == 0 then list = '[' .. entry .. ']' else list = string.sub(list, 1, -2) .. ',' .. entry .. ']' end
local a, i = section(8)
local f, j = section(i)
local always, k = section(j)
local final = section(k)
redis.call('HSET', KEYS[1], 'approvals', list, unpack(always))
if #a > 0 then audit(a, old, old) end
if count + 1 < needed then
  publish(ARGV[2], id, old)
  return {'recorded', redis.call('HGETALL', KEYS[1])}
end
redis.call('HSET', KEYS[1], unpack(final))
local score = redis.call('ZSCORE', KEYS[4], id) or '0'
unindex_state(id, old)
redis.call('ZADD', state_key('approved'), score, id)
redis.call('ZADD', profile_state_key('approved'), score, id)
audit(f, old, 'approved')
publish(ARGV[2], id, 'approved')
return {'approved', redis.call('HGETALL', KEYS[1])}
`;

/**
 * checkNonce: KEYS = nonce key; ARGV = digest, windowMs.
 * SET NX PX; "fresh" when set, "resent" when the stored digest matches, else "replay".
 */
const NONCE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'fresh' end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 'resent' end
return 'replay'
`;

/**
 * lookup: KEYS = nonce key, record key; ARGV = digest, windowMs. The nonce
 * check of NONCE and the record (HGETALL) in one round trip: what a CertPoll
 * needs, and what a PKCSReq needs before policy. Returns {check, HGETALL}.
 */
const LOOKUP = `
local check = 'replay'
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then check = 'fresh'
elseif redis.call('GET', KEYS[1]) == ARGV[1] then check = 'resent' end
return {check, redis.call('HGETALL', KEYS[2])}
`;

type Arg = string | number;
type ScriptCall = (...args: Arg[]) => Promise<unknown>;

/** The scripts bound to one connection. Each takes its KEYS, then its ARGV. */
export interface StoreScripts {
  create(keys: string[], args: Arg[]): Promise<unknown>;
  createChecked(keys: string[], args: Arg[], nonceKey: string, digest: string, windowMs: number): Promise<unknown>;
  supersede(keys: string[], args: Arg[]): Promise<unknown>;
  transition(keys: string[], args: Arg[]): Promise<unknown>;
  approve(keys: string[], args: Arg[]): Promise<unknown>;
  checkNonce(key: string, digest: string, windowMs: number): Promise<unknown>;
  lookup(nonceKey: string, recordKey: string, digest: string, windowMs: number): Promise<unknown>;
}

const DEFINITIONS = {
  scepgateStoreCreate: { lua: CREATE, numberOfKeys: WRITE_KEY_COUNT },
  scepgateStoreCreateChecked: { lua: CREATE_CHECKED, numberOfKeys: WRITE_KEY_COUNT + 1 },
  scepgateStoreSupersede: { lua: SUPERSEDE, numberOfKeys: WRITE_KEY_COUNT + 2 },
  scepgateStoreTransition: { lua: TRANSITION, numberOfKeys: WRITE_KEY_COUNT },
  scepgateStoreApprove: { lua: APPROVE, numberOfKeys: WRITE_KEY_COUNT },
  scepgateStoreNonce: { lua: NONCE, numberOfKeys: 1 },
  scepgateStoreLookup: { lua: LOOKUP, numberOfKeys: 2 },
} as const;

/**
 * Defines the scripts on `redis` (once per connection object; several stores
 * may share it) and returns typed callers.
 */
export function installScripts(redis: Redis): StoreScripts {
  const commands = redis as unknown as Record<string, ScriptCall | undefined>;
  for (const [name, def] of Object.entries(DEFINITIONS)) {
    if (typeof commands[name] !== "function") redis.defineCommand(name, def);
  }
  const call = (name: keyof typeof DEFINITIONS, args: Arg[]): Promise<unknown> => {
    const fn = commands[name];
    if (!fn) throw new Error(`scepgate store: script ${name} is not defined`);
    return fn.apply(redis, args);
  };
  return {
    create: (keys, args) => call("scepgateStoreCreate", [...keys, ...args]),
    createChecked: (keys, args, nonceKey, digest, windowMs) => call("scepgateStoreCreateChecked", [...keys, nonceKey, ...args, digest, windowMs]),
    supersede: (keys, args) => call("scepgateStoreSupersede", [...keys, ...args]),
    transition: (keys, args) => call("scepgateStoreTransition", [...keys, ...args]),
    approve: (keys, args) => call("scepgateStoreApprove", [...keys, ...args]),
    checkNonce: (key, digest, windowMs) => call("scepgateStoreNonce", [key, digest, windowMs]),
    lookup: (nonceKey, recordKey, digest, windowMs) => call("scepgateStoreLookup", [nonceKey, recordKey, digest, windowMs]),
  };
}

/** A length-prefixed ARGV section. */
export function section(items: readonly Arg[]): Arg[] {
  return [items.length, ...items];
}
