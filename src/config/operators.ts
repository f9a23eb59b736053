/**
 * Named operators of the admin API, the web page and the CLI
 * (`admin.operators`), and the four-eyes form of a profile's `approval`.
 *
 * An operator is configured by the SHA-256 of its bearer token, never the
 * token itself, so the configuration holds no secret: `tokenSha256` (64 hex
 * digits, e.g. `printf %s "$TOKEN" | sha256sum`) or `tokenSha256File`, a file
 * holding those digits (read at load, like the `SCEPGATE_*_FILE` secrets).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { ConfigError } from "./errors.js";
import { integer, mapping, oneOf, text } from "./fields.js";

/** What an operator name looks like: it is recorded as the actor of decisions. */
export const OPERATOR_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The name `admin.token` signs in as. */
export const TOKEN_OPERATOR = "admin";

/** Operator roles: viewer lists and shows; approver also approves and rejects; admin also issues one-time passwords. */
export const OPERATOR_ROLES = ["viewer", "approver", "admin"] as const;

const HEX_HINT = "expected the SHA-256 of the token as 64 hex digits";
const HEX = /^[0-9a-f]{64}$/i;

function tokenDigest() {
  return z.string({ error: HEX_HINT }).regex(HEX, { error: HEX_HINT }).transform((hex) => hex.toLowerCase());
}

/** One entry of `admin.operators`. */
export const operatorSchema = mapping({
  name: z.string({ error: `expected an operator name matching ${OPERATOR_NAME.source}` })
    .regex(OPERATOR_NAME, { error: `expected an operator name matching ${OPERATOR_NAME.source}` }),
  tokenSha256: tokenDigest().optional(),
  tokenSha256File: text().optional(),
  role: oneOf(OPERATOR_ROLES),
}).superRefine((op, ctx) => {
  if ((op.tokenSha256 === undefined) === (op.tokenSha256File === undefined)) {
    ctx.addIssue({ code: "custom", path: ["tokenSha256"], message: "give exactly one of tokenSha256 or tokenSha256File" });
  }
});

/** `admin.operators`: names unique. */
export const operatorsSchema = z.array(operatorSchema, { error: "expected a list of operators" }).superRefine((ops, ctx) => {
  const seen = new Set<string>();
  for (const [i, op] of ops.entries()) {
    if (seen.has(op.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `operator name "${op.name}" is given twice` });
    seen.add(op.name);
  }
});

/** `admin`: the single token (operator "admin", role admin) and/or named operators. */
export function checkAdmin(admin: { token?: string | undefined; operators?: readonly { name: string }[] | undefined }, ctx: z.RefinementCtx): void {
  const clash = (admin.operators ?? []).findIndex((op) => op.name === TOKEN_OPERATOR);
  if (admin.token !== undefined && clash >= 0) {
    ctx.addIssue({ code: "custom", path: ["operators", clash, "name"], message: `"${TOKEN_OPERATOR}" is the operator of admin.token; choose another name` });
  }
}

/**
 * A profile's `approval`: `auto`, `manual` (one approval), or the mapping
 * `{ mode: manual, approvals: 2 }` (four eyes: two different operators).
 */
export function approvalSchema() {
  const modes = oneOf(["auto", "manual"]);
  const detailed = mapping({ mode: modes.default("manual"), approvals: integer(1, 9).default(1) }).superRefine((value, ctx) => {
    if (value.mode === "auto" && value.approvals !== 1) ctx.addIssue({ code: "custom", path: ["approvals"], message: "only with mode manual" });
  });
  return z.union([modes, detailed], {
    error: (issue) => (typeof issue.input === "object" ? "expected a mapping { mode: manual, approvals: N }" : "expected one of auto|manual"),
  });
}

/** A profile's approval, whichever form it was written in. */
export function approvalOf(value: "auto" | "manual" | { mode: "auto" | "manual"; approvals: number }): { mode: "auto" | "manual"; approvals: number } {
  return typeof value === "string" ? { mode: value, approvals: 1 } : value;
}

/** An operator as the config holds it after {@link readOperatorDigests}: with its digest. */
export interface OperatorConfig {
  name: string;
  role: (typeof OPERATOR_ROLES)[number];
  tokenSha256?: string | undefined;
  tokenSha256File?: string | undefined;
}

/**
 * Fills in `tokenSha256` of each operator given by `tokenSha256File`
 * (resolved against `baseDir`).
 *
 * @throws ConfigError naming `admin.operators[i].tokenSha256File` when the file cannot be read or holds no digest
 */
export async function readOperatorDigests<T extends OperatorConfig>(operators: readonly T[], baseDir: string): Promise<T[]> {
  return Promise.all(operators.map(async (op, i) => {
    if (op.tokenSha256File === undefined) return op;
    const key = `admin.operators[${i}].tokenSha256File`;
    const file = path.resolve(baseDir, op.tokenSha256File);
    let content: string;
    try {
      content = (await readFile(file, "utf8")).trim();
    } catch (err) {
      throw new ConfigError(`${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`, { key, cause: err });
    }
    if (!HEX.test(content)) throw new ConfigError(`${key}: ${file}: ${HEX_HINT}`, { key });
    return { ...op, tokenSha256File: file, tokenSha256: content.toLowerCase() };
  }));
}
