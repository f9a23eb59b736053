/**
 * `SCEPGATE_*` environment overrides.
 *
 * Naming rule: `SCEPGATE_` + the key's path, each segment in UPPER_SNAKE
 * (camelCase split into words), segments joined by `_`:
 * `listen.port` → `SCEPGATE_LISTEN_PORT`,
 * `profiles.default.syncWaitMs` → `SCEPGATE_PROFILES_DEFAULT_SYNC_WAIT_MS`.
 * A profile name is spelled with `_` for each `-` (`edge-router` →
 * `SCEPGATE_PROFILES_EDGE_ROUTER_APPROVAL`); profile names cannot hold `_`,
 * so this is unambiguous. Any variable may instead be given as a file:
 * `SCEPGATE_ADMIN_TOKEN_FILE=/run/secrets/token` (Docker/Kubernetes secrets).
 *
 * Reading a name back walks the schema: at each object the longest run of
 * tokens that spells a known key wins; under `profiles` the profile name is
 * the tokens before the first run that spells a profile key (a profile named
 * in the config file wins if two splits both work). Names are upper case
 * (`SCEPGATE_listen_port` is an unknown variable). An empty value counts as
 * unset.
 *
 * Values are coerced to what the key wants: numbers, booleans
 * (`true|false|1|0`), lists (comma-separated); anything that does not coerce
 * is passed on as the raw string so that validation names it.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "./errors.js";
import { configSchema } from "./schema.js";
import { didYouMean } from "./suggest.js";
import { emptyInputOf, formatPath, isLeaf, leafKind, leafPaths, recordValueOf, schemaAt, shapeOf, type LeafKind } from "./schema-walk.js";
import type * as z from "zod";

/** Prefix of every scepgate environment variable. */
export const ENV_PREFIX = "SCEPGATE_";

/**
 * `SCEPGATE_*` variables that are not config keys and are therefore allowed:
 * `SCEPGATE_CONFIG` (path of the config file, like `--config`) and
 * `SCEPGATE_BATCH_PASS` (passphrase for `scepgate batch` output).
 */
export const NON_CONFIG_ENV_VARS: readonly string[] = ["SCEPGATE_CONFIG", "SCEPGATE_BATCH_PASS"];

/** One environment variable mapped onto a config key. */
export interface EnvOverride {
  /** The variable's name, as set. */
  readonly envVar: string;
  /** The config key it sets. */
  readonly path: readonly string[];
  /** The variable's value, as set. */
  readonly raw: string;
  /** The value after coercion to the key's type (or `raw` if it did not coerce). */
  readonly value: unknown;
}

/** Splits a camelCase key into UPPER tokens: `syncWaitMs` → `["SYNC", "WAIT", "MS"]`. */
export function keyTokens(key: string): string[] {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase().split("_");
}

/**
 * The environment variable that sets the key at `path`.
 *
 * @example envVarName(["profiles", "edge-router", "rules", "ecCurves"]) // "SCEPGATE_PROFILES_EDGE_ROUTER_RULES_EC_CURVES"
 */
export function envVarName(path: readonly string[]): string {
  const tokens = path.flatMap((segment, i) => {
    const parent = schemaAt(configSchema, path.slice(0, i));
    const isName = parent !== undefined && recordValueOf(parent) !== undefined;
    return isName ? [segment.replaceAll("-", "_").toUpperCase()] : keyTokens(segment);
  });
  return ENV_PREFIX + tokens.join("_");
}

/** True when `tokens` continues with `key`'s tokens at `start`. */
function spellsKey(tokens: readonly string[], start: number, key: readonly string[]): boolean {
  return key.every((token, i) => tokens[start + i] === token);
}

function resolveInShape(
  shape: Readonly<Record<string, z.core.$ZodType>>, tokens: readonly string[], start: number, profiles: readonly string[],
): string[] | undefined {
  const candidates = Object.entries(shape)
    .map(([key, child]) => ({ key, child, length: keyTokens(key).length }))
    .filter(({ key }) => spellsKey(tokens, start, keyTokens(key)))
    .sort((a, b) => b.length - a.length);
  for (const { key, child, length } of candidates) {
    const rest = resolveFrom(child, tokens, start + length, profiles);
    if (rest !== undefined) return [key, ...rest];
  }
  return undefined;
}

function resolveInRecord(
  value: z.core.$ZodType, tokens: readonly string[], start: number, profiles: readonly string[],
): string[] | undefined {
  let first: string[] | undefined;
  for (let end = start + 1; end < tokens.length; end++) {
    if (tokens[end - 1] === "") break;
    const name = tokens.slice(start, end).join("-").toLowerCase();
    const rest = resolveFrom(value, tokens, end, profiles);
    if (rest === undefined) continue;
    if (profiles.includes(name)) return [name, ...rest];
    first ??= [name, ...rest];
  }
  return first;
}

/** The key path spelled by `tokens[start..]` below `schema`, or `undefined`. */
function resolveFrom(
  schema: z.core.$ZodType, tokens: readonly string[], start: number, profiles: readonly string[],
): string[] | undefined {
  if (start === tokens.length) return isLeaf(schema) ? [] : undefined;
  const shape = shapeOf(schema);
  if (shape !== undefined) return resolveInShape(shape, tokens, start, profiles);
  const value = recordValueOf(schema);
  return value === undefined ? undefined : resolveInRecord(value, tokens, start, profiles);
}

/**
 * The config key an environment variable sets, or `undefined` when it spells
 * none.
 *
 * @param name - e.g. `SCEPGATE_PROFILES_DEFAULT_SYNC_WAIT_MS`
 * @param profiles - profile names of the config file, preferred when a name is ambiguous
 */
export function resolveEnvVar(name: string, profiles: readonly string[] = []): string[] | undefined {
  if (!name.startsWith(ENV_PREFIX)) return undefined;
  const tokens = name.slice(ENV_PREFIX.length).split("_");
  return resolveFrom(configSchema, tokens, 0, profiles);
}

/** Coerces an environment string to what a leaf of `kind` wants; leaves it as is if it does not fit. */
export function coerceEnvValue(raw: string, kind: LeafKind): unknown {
  const text = raw.trim();
  switch (kind) {
    case "number":
      return /^[+-]?\d+(?:\.\d+)?$/.test(text) ? Number(text) : raw;
    case "boolean": {
      const lower = text.toLowerCase();
      return lower === "true" || lower === "1" ? true : lower === "false" || lower === "0" ? false : raw;
    }
    case "array":
      return text.split(",").map((item) => item.trim()).filter((item) => item !== "");
    case "string":
      return raw;
  }
}

function unknownVariable(name: string, profiles: readonly string[]): ConfigError {
  const known = leafPaths(configSchema, [...new Set(["default", ...profiles])]).map(envVarName);
  const hint = didYouMean(name, [...known, ...NON_CONFIG_ENV_VARS]);
  return new ConfigError(`${name}: names no config key${hint}`, { envVar: name });
}

/**
 * Reads every `SCEPGATE_*` variable of `env` as a config override.
 *
 * @param env - the environment (`process.env`)
 * @param profiles - profile names of the config file
 * @throws ConfigError naming a `SCEPGATE_*` variable that maps to no key
 *   and is not one of {@link NON_CONFIG_ENV_VARS}
 */
export function readEnvOverrides(env: NodeJS.ProcessEnv, profiles: readonly string[] = []): EnvOverride[] {
  const overrides: EnvOverride[] = [];
  for (const [envVar, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!envVar.startsWith(ENV_PREFIX) || NON_CONFIG_ENV_VARS.includes(envVar)) continue;
    let path = resolveEnvVar(envVar, profiles);
    let text = raw;
    if (path === undefined && envVar.endsWith(FILE_SUFFIX)) {
      // Docker/Kubernetes secret files: SCEPGATE_ADMIN_TOKEN_FILE=/run/secrets/token sets admin.token.
      path = resolveEnvVar(envVar.slice(0, -FILE_SUFFIX.length), profiles);
      if (path !== undefined && raw) text = readSecretFile(envVar, raw);
    }
    if (path === undefined) throw unknownVariable(envVar, profiles);
    if (text === undefined || text === "") continue;
    overrides.push({ envVar, path, raw: text, value: coerceEnvValue(text, leafKind(schemaAt(configSchema, path) ?? configSchema)) });
  }
  return overrides;
}

const FILE_SUFFIX = "_FILE";

function readSecretFile(envVar: string, file: string): string {
  try {
    return readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (err) {
    throw new ConfigError(`${envVar}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`, { envVar });
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Returns a copy of the parsed config document with `overrides` applied.
 * Missing objects on the way are created; a missing `profiles` starts from
 * its default (`{ default: {} }`), so an override for a new profile adds it
 * next to `default` rather than replacing it.
 *
 * @throws ConfigError when a key on the way holds something other than a mapping
 */
export function applyEnvOverrides(doc: Record<string, unknown>, overrides: readonly EnvOverride[]): Record<string, unknown> {
  const out = structuredClone(doc);
  for (const { envVar, path, value } of overrides) {
    let node = out;
    let schema: z.core.$ZodType = configSchema;
    for (const [i, segment] of path.slice(0, -1).entries()) {
      schema = schemaAt(schema, [segment]) ?? schema;
      const child = node[segment] ?? emptyInputOf(schema);
      if (!isMapping(child)) {
        const key = formatPath(path.slice(0, i + 1));
        throw new ConfigError(`${key}: expected a mapping of keys, cannot apply ${envVar}`, { key, envVar });
      }
      node[segment] = child;
      node = child;
    }
    node[path[path.length - 1] as string] = value;
  }
  return out;
}
