/**
 * Reading the shape of the zod schema: which keys an object knows, what a
 * record holds, what kind of value a leaf wants. Used to map environment
 * variables onto keys and to explain errors.
 *
 * @module
 */
import type * as z from "zod";

/** The parts of a zod definition this module reads. */
interface Def {
  readonly type: string;
  readonly innerType?: z.core.$ZodType;
  readonly in?: z.core.$ZodType;
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
  readonly valueType?: z.core.$ZodType;
  readonly element?: z.core.$ZodType;
  readonly defaultValue?: unknown;
}

/** A path into the configuration, as zod reports it. */
export type KeyPath = readonly PropertyKey[];

/** How an environment string is turned into the value a leaf wants. */
export type LeafKind = "number" | "boolean" | "array" | "string";

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch", "nonoptional"]);

function defOf(schema: z.core.$ZodType): Def {
  return schema._zod.def as unknown as Def;
}

/** Strips optional/default/prefault wrappers and transform pipes down to the input type. */
export function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === "pipe" ? def.in : undefined;
    if (next === undefined) return current;
    current = next;
  }
}

/** The keys of an object schema, or `undefined` when `schema` is not an object. */
export function shapeOf(schema: z.core.$ZodType): Readonly<Record<string, z.core.$ZodType>> | undefined {
  const def = defOf(unwrap(schema));
  return def.type === "object" ? def.shape : undefined;
}

/** The value schema of a record (`profiles`), or `undefined` when `schema` is not a record. */
export function recordValueOf(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  const def = defOf(unwrap(schema));
  return def.type === "record" ? def.valueType : undefined;
}

/** What kind of scalar (or list) a leaf wants; everything else is taken as a string. */
export function leafKind(schema: z.core.$ZodType): LeafKind {
  const type = defOf(unwrap(schema)).type;
  return type === "number" || type === "boolean" || type === "array" ? type : "string";
}

/** The schema of the key at `path`, or `undefined` when no such key exists. */
export function schemaAt(root: z.core.$ZodType, path: KeyPath): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = root;
  for (const segment of path) {
    if (current === undefined) return undefined;
    const shape = shapeOf(current);
    if (shape !== undefined) {
      current = typeof segment === "string" && Object.hasOwn(shape, segment) ? shape[segment] : undefined;
    } else {
      const def = defOf(unwrap(current));
      current = def.type === "record" ? def.valueType : def.type === "array" ? def.element : undefined;
    }
  }
  return current;
}

/** True when `schema` is a scalar or a list, i.e. not an object or a record. */
export function isLeaf(schema: z.core.$ZodType): boolean {
  return shapeOf(schema) === undefined && recordValueOf(schema) === undefined;
}

/**
 * The input default of an object key declared with `.prefault(...)` (e.g.
 * `{ default: {} }` for `profiles`), or `{}`: what to start from when a
 * missing object must be created to hold an override.
 */
export function emptyInputOf(schema: z.core.$ZodType): Record<string, unknown> {
  const def = defOf(schema);
  const value = def.type === "prefault" ? def.defaultValue : undefined;
  return typeof value === "object" && value !== null ? structuredClone(value) as Record<string, unknown> : {};
}

/**
 * Every leaf path of `root`, with each record (the `profiles`) expanded to
 * the entries named in `recordKeys`.
 */
export function leafPaths(root: z.core.$ZodType, recordKeys: readonly string[]): string[][] {
  const shape = shapeOf(root);
  const value = recordValueOf(root);
  if (shape === undefined && value === undefined) return [[]];
  const children: [string, z.core.$ZodType][] = shape !== undefined
    ? Object.entries(shape)
    : recordKeys.map((key) => [key, value as z.core.$ZodType]);
  return children.flatMap(([key, child]) => leafPaths(child, recordKeys).map((rest) => [key, ...rest]));
}

/** Formats a path the way operators write it: `profiles.default.rules.ecCurves[1]`. */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
