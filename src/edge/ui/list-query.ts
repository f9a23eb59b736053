/**
 * Which requests the list page shows: the filter read from the query string
 * (with the admin API's own checks), and the rows for it — every pending
 * request first (fetched on their own, so an old pending request is never
 * pushed off the page by newer finished ones), then the newest.
 */
import type { Context } from "hono";
import type { Transaction, TransactionFilter } from "../../ra/ports.js";
import { InputError, parseProfileName, parseStateFilter } from "../admin-input.js";
import type { ListFilter } from "./views/list.js";

/** The operator use-cases the list needs. */
export interface ListSource {
  list(filter: TransactionFilter): Promise<Transaction[]>;
}

/** Rows shown at most. */
export const LIST_ROWS = 200;
/** Records searched at most (newest first) for a subject or transactionID. */
export const SEARCH_SCAN = 1000;
const MAX_SEARCH = 200;

/** The list filter of the query string; a bad state or profile is an {@link InputError}. */
export function readListFilter(c: Context): ListFilter {
  const filter: ListFilter = {};
  const state = c.req.query("state")?.trim();
  const profile = c.req.query("profile")?.trim();
  const q = c.req.query("q")?.trim();
  if (state) filter.state = parseStateFilter(state);
  if (profile) filter.profile = parseProfileName(profile);
  if (q) {
    if (q.length > MAX_SEARCH) throw new InputError(`q: at most ${MAX_SEARCH} characters`);
    filter.q = q;
  }
  return filter;
}

/** True when `tx`'s subject, CN, SANs, transactionID or record id contains `q` (any case). */
export function matchesSearch(tx: Transaction, q: string): boolean {
  const needle = q.toLowerCase();
  const fields = [tx.subject, tx.commonName ?? "", tx.transactionId, tx.id, ...tx.sans];
  return fields.some((f) => f.toLowerCase().includes(needle));
}

/** Pending approval first, then newest first. */
export function pendingFirst(a: Transaction, b: Transaction): number {
  const rank = (t: Transaction): number => (t.state === "pending_approval" ? 0 : 1);
  return rank(a) - rank(b) || b.createdAt.localeCompare(a.createdAt);
}

/** The rows for `f`, at most {@link LIST_ROWS}; `more` when others match too. */
export async function loadRows(source: ListSource, f: ListFilter): Promise<{ rows: Transaction[]; more: boolean }> {
  const scope: TransactionFilter = f.profile === undefined ? {} : { profile: f.profile };
  if (f.state !== undefined) scope.state = f.state;
  let txs: Transaction[];
  if (f.q !== undefined) {
    const q = f.q;
    txs = (await source.list({ ...scope, limit: SEARCH_SCAN })).filter((tx) => matchesSearch(tx, q));
  } else if (f.state !== undefined) {
    txs = await source.list({ ...scope, limit: LIST_ROWS + 1 });
  } else {
    const [pending, recent] = await Promise.all([
      source.list({ ...scope, state: "pending_approval", limit: LIST_ROWS + 1 }),
      source.list({ ...scope, limit: LIST_ROWS + 1 }),
    ]);
    const byId = new Map<string, Transaction>();
    for (const tx of [...pending, ...recent]) if (!byId.has(tx.id)) byId.set(tx.id, tx);
    txs = [...byId.values()];
  }
  txs.sort(pendingFirst);
  return { rows: txs.slice(0, LIST_ROWS), more: txs.length > LIST_ROWS };
}
