/**
 * The message the list shows after an action redirected to it. Only fixed
 * codes and numbers travel in the URL (`?notice=approved&id=…`), never text,
 * so a crafted link cannot make the page say anything else.
 */
import type { Transaction } from "../../ra/ports.js";
import { requestName } from "./views/format.js";

function count(text: string | undefined): number {
  return text !== undefined && /^\d{1,4}$/.test(text) ? Number(text) : 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The notice for the query string `query`, naming the request by its row when it is on the page. */
export function noticeText(query: Record<string, string>, rows: readonly Transaction[]): string | undefined {
  const tx = rows.find((t) => t.id === query["id"]);
  const which = tx ? `the request of ${requestName(tx)}` : "the request";
  switch (query["notice"]) {
    case "approved":
      if (tx?.state === "pending_approval" && (tx.approvals?.length ?? 0) > 0) return `Your approval of ${which} is recorded (${tx.approvals?.length ?? 1} so far); it waits for another operator.`;
      return `Approved ${which}.`;
    case "rejected":
      return `Rejected ${which}.`;
    case "none-selected":
      return "No request was selected: tick the requests to approve first.";
    case "bulk": {
      const ok = count(query["ok"]);
      const failed = count(query["failed"]);
      const tail = failed === 0 ? "" : ` ${plural(failed, "request")} could not be approved (no longer pending, or their forward failed).`;
      return `Approved ${plural(ok, "request")}.${tail}`;
    }
    default:
      return undefined;
  }
}
