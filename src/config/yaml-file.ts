/**
 * Reading the config file: bytes → YAML → a plain object, with `file:line`
 * locations for error messages. Error messages never quote the file's
 * content (a line may hold a secret).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument, type Document } from "yaml";
import { ConfigError } from "./errors.js";
import type { KeyPath } from "./schema-walk.js";

/** A parsed config file. */
export interface YamlFile {
  /** The document as plain data; `null` values dropped (an empty `redis:` means "not set"). */
  readonly data: Record<string, unknown>;
  /** `file:line` of the value at `path`, if the file has it. */
  readonly locate: (path: KeyPath) => string | undefined;
}

function ioReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return err instanceof Error ? err.message : String(err);
}

/** Removes `null` values from mappings, recursively (lists keep theirs). */
function dropNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropNulls);
  if (typeof node !== "object" || node === null) return node;
  const entries = Object.entries(node).filter(([, value]) => value !== null);
  return Object.fromEntries(entries.map(([key, value]) => [key, dropNulls(value)]));
}

function toData(doc: Document, file: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(`${file}: YAML error: bad or too many aliases`, { file, cause: err });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(`${file}: expected a mapping of keys at the top level`, { file });
  }
  return dropNulls(data) as Record<string, unknown>;
}

/**
 * Reads and parses a YAML config file.
 *
 * @throws ConfigError naming the file when it cannot be read, and the file,
 *   line and column of the first YAML syntax error
 */
export async function readYamlFile(file: string): Promise<YamlFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${ioReason(err)}`, { file, cause: err });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = lineCounter.linePos(syntax.pos[0]);
    throw new ConfigError(`${file}:${line}:${col}: YAML syntax error: ${syntax.message}`, { file, cause: syntax });
  }
  const locate = (path: KeyPath): string | undefined => {
    const node: unknown = doc.getIn(path as unknown[], true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range === undefined ? undefined : `${file}:${lineCounter.linePos(range[0]).line}`;
  };
  return { data: toData(doc, file), locate };
}
