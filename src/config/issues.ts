/**
 * Turns zod's validation issues into one-line {@link ConfigError}s that name
 * the key, say what was expected, show what was given (never a secret) and
 * where it came from.
 *
 * @module
 */
import type * as z from "zod";
import type { EnvOverride } from "./env.js";
import { ConfigError } from "./errors.js";
import { redactUrl, isSecretPath, isUrlPath } from "./redact.js";
import { configSchema } from "./schema.js";
import { formatPath, isLeaf, leafKind, schemaAt, shapeOf, type KeyPath } from "./schema-walk.js";
import { didYouMean } from "./suggest.js";

/** Where the keys of the validated document came from. */
export interface IssueContext {
  /** The document that was validated (file + overrides). */
  readonly input: unknown;
  /** The environment overrides applied to it. */
  readonly overrides: readonly EnvOverride[];
  /** The config file, if any. */
  readonly file?: string | undefined;
  /** `file:line` of the key at a path in the file, if known. */
  readonly locate?: ((path: KeyPath) => string | undefined) | undefined;
}

const MAX_SHOWN = 60;

function valueAt(root: unknown, path: KeyPath): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

/**
 * The given value as shown in a message: never a secret, a URL's password or
 * the content of what was given where a mapping belongs (it may hold secrets
 * meant for the keys below); long values cut short.
 */
function show(value: unknown, path: KeyPath): string {
  if (isSecretPath(path)) return "(hidden)";
  const schema = schemaAt(configSchema, path);
  if (schema === undefined || !isLeaf(schema)) return typeName(value);
  if (typeof value === "object" && value !== null && (!Array.isArray(value) || leafKind(schema) !== "array")) {
    return typeName(value);
  }
  return showScalar(value, path);
}

/** A scalar (or list of scalars) as JSON, URL passwords masked, cut short. */
function showScalar(value: unknown, path: KeyPath): string {
  if (isSecretPath(path)) return "(hidden)";
  const shown = typeof value === "string" && isUrlPath(path) ? redactUrl(value) : value;
  const text = JSON.stringify(shown) ?? String(shown);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

/** The override that set the key at `path` or the nearest key above it. */
function originOf(path: KeyPath, overrides: readonly EnvOverride[]): EnvOverride | undefined {
  const key = formatPath(path);
  return overrides.find((o) => key === formatPath(o.path) || key.startsWith(`${formatPath(o.path)}[`));
}

interface Described {
  readonly key: string;
  readonly text: string;
  readonly envVar?: string;
}

function where(ctx: IssueContext, path: KeyPath): string {
  const location = ctx.locate?.(path);
  return location === undefined ? "" : ` (in ${location})`;
}

function describeUnknownKeys(issue: z.core.$ZodIssueUnrecognizedKeys, ctx: IssueContext): Described {
  const unknown = issue.keys[0] ?? "";
  const known = Object.keys(shapeOf(schemaAt(configSchema, issue.path) ?? configSchema) ?? {});
  const also = issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(", ")})` : "";
  const path = [...issue.path, unknown];
  const key = formatPath(path);
  return { key, text: `${key}: unknown key${didYouMean(unknown, known)}${also}${where(ctx, path)}` };
}

function describeFromEnv(issue: z.core.$ZodIssue, origin: EnvOverride, ctx: IssueContext): Described {
  const key = formatPath(issue.path);
  const exact = formatPath(origin.path) === key;
  const got = exact ? showScalar(origin.raw, issue.path) : show(valueAt(ctx.input, issue.path), issue.path);
  return { key, text: `${key}: ${issue.message}, got ${got} (from ${origin.envVar})`, envVar: origin.envVar };
}

function describeValue(issue: z.core.$ZodIssue, ctx: IssueContext): Described {
  const key = formatPath(issue.path);
  const label = key === "" ? "(top level)" : key;
  const value = valueAt(ctx.input, issue.path);
  if (value === undefined) {
    const text = issue.code === "invalid_type" ? `required (${issue.message})` : issue.message;
    return { key, text: `${label}: ${text}` };
  }
  const isMapping = typeof value === "object" && value !== null && !Array.isArray(value);
  const got = issue.code === "custom" && isMapping ? "" : `, got ${show(value, issue.path)}`;
  return { key, text: `${label}: ${issue.message}${got}${where(ctx, issue.path)}` };
}

function describe(issue: z.core.$ZodIssue, ctx: IssueContext): Described {
  if (issue.code === "unrecognized_keys") return describeUnknownKeys(issue, ctx);
  if (issue.code === "invalid_key") {
    const key = formatPath(issue.path);
    return { key, text: `${key}: ${issue.issues[0]?.message ?? issue.message}${where(ctx, issue.path)}` };
  }
  const origin = originOf(issue.path, ctx.overrides);
  return origin === undefined ? describeValue(issue, ctx) : describeFromEnv(issue, origin, ctx);
}

/**
 * The error for a failed validation: the first issue (unknown keys first,
 * since a misspelt key often causes the others), plus a count of the rest.
 */
export function issuesToError(issues: readonly z.core.$ZodIssue[], ctx: IssueContext): ConfigError {
  const sorted = [...issues].sort(
    (a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"),
  );
  const first = sorted[0];
  if (first === undefined) return new ConfigError("invalid configuration", { file: ctx.file });
  const { key, text, envVar } = describe(first, ctx);
  const rest = sorted.length > 1 ? ` (and ${sorted.length - 1} more problem${sorted.length > 2 ? "s" : ""})` : "";
  return new ConfigError(`${text}${rest}`, { key, envVar, file: ctx.file });
}
