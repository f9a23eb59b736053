/**
 * The web page's decisions, on the operator use-cases: approve one, reject
 * one with a reason, approve many. Expected refusals (the request moved on
 * meanwhile, a missing reason) come back as values for the page to show;
 * an unknown id and anything unexpected are thrown to the error handler.
 */
import { OperatorError } from "../../ra/errors.js";
import type { AuditEvent, RequestStats, Transaction } from "../../ra/ports.js";
import { InputError } from "../admin-input.js";
import type { EdgeLogger } from "../types.js";
import type { ListSource } from "./list-query.js";

/** The operator use-cases the web page calls (ra/operator.ts's Operator has them). */
export interface AdminUiOperator extends ListSource {
  show(id: string): Promise<{ tx: Transaction; history: AuditEvent[] }>;
  approve(id: string, actor: string): Promise<Transaction>;
  reject(id: string, actor: string, reason: string): Promise<Transaction>;
  /** Counts per state and requests per hour over the last day. */
  stats(filter: { profile?: string }): Promise<RequestStats>;
}

/** Actor the web page recorded before named operators; now the signed-in operator's name is. */
export const ADMIN_UI_ACTOR = "admin-ui";

/** Requests approved at most by one bulk approval. */
export const MAX_BULK = 200;

/** A record id as ra/ids.ts makes them (12 characters of its base32). */
const RECORD_ID = /^[a-km-np-z2-9]{12}$/;

export type ActionOutcome = { ok: true } | { ok: false; error: string; status: 400 | 409 };

function refused(err: unknown): ActionOutcome {
  if (err instanceof OperatorError && err.code === "conflict") return { ok: false, error: err.message, status: 409 };
  if (err instanceof InputError) return { ok: false, error: err.message, status: 400 };
  throw err;
}

/** Approves `id` as `actor` (the signed-in operator); a conflict (four eyes: already approved by `actor`) is a value. */
export async function approveOne(op: AdminUiOperator, id: string, actor: string): Promise<ActionOutcome> {
  try {
    await op.approve(id, actor);
    return { ok: true };
  } catch (err) {
    return refused(err);
  }
}

/** Rejects `id` with the reason `reason()` gives (which may throw InputError: a 400 shown on the page). */
export async function rejectOne(op: AdminUiOperator, id: string, actor: string, reason: () => string): Promise<ActionOutcome> {
  try {
    await op.reject(id, actor, reason());
    return { ok: true };
  } catch (err) {
    return refused(err);
  }
}

/** The record ids of a bulk form's `id` fields: well-formed, each once, at most {@link MAX_BULK}. */
export function bulkIds(field: string | string[] | undefined): string[] {
  const given = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const ids = [...new Set(given.filter((id) => RECORD_ID.test(id)))];
  if (ids.length > MAX_BULK) throw new InputError(`id: at most ${MAX_BULK} requests at once`);
  return ids;
}

/**
 * Approves each selected request in turn. One that cannot be approved (gone,
 * no longer pending, its forward failing) is counted and logged; the others
 * still are.
 */
export async function approveMany(
  op: AdminUiOperator, field: string | string[] | undefined, actor: string, logger: EdgeLogger,
): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  for (const id of bulkIds(field)) {
    try {
      await op.approve(id, actor);
      ok++;
    } catch (err) {
      failed++;
      const expected = err instanceof OperatorError;
      (expected ? logger.warn : logger.error).call(logger, { id, err: expected ? err.message : err }, "bulk approval: one request not approved");
    }
  }
  return { ok, failed };
}
