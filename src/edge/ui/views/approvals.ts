/**
 * Four eyes on the page: how many of the approvals a request needs it has,
 * and by whom; the Approve button's label ("Approve (1 of 2)").
 */
import { html } from "hono/html";
import type { Transaction } from "../../../ra/ports.js";
import { when, type Html } from "./format.js";

/** The approvals of a request so far (absent on old records: none). */
export function approvalsOf(tx: Transaction): readonly { by: string; at: string }[] {
  return tx.approvals ?? [];
}

/** "Approve (n of N)": the approval this click would give; plain "Approve" when one approval is enough. */
export function approveLabel(tx: Transaction, needed: number): string {
  if (needed <= 1) return "Approve";
  return `Approve (${Math.min(needed, approvalsOf(tx).length + 1)} of ${needed})`;
}

/** The list's line under a four-eyes request: "1 of 2 approvals: alice". Empty when nothing to say. */
export function approvalsLine(tx: Transaction, needed: number): Html | string {
  const given = approvalsOf(tx);
  if (needed <= 1 && given.length <= 1) return "";
  if (given.length === 0 && tx.state !== "pending_approval") return "";
  const names = given.map((a) => a.by).join(", ");
  return html`<span class="sub approvals" data-approvals="${given.length}" data-needed="${needed}">${given.length} of ${needed} approvals${names ? `: ${names}` : ""}</span>`;
}

/** The detail page's "Approvals" value: count, then each approver with the time. */
export function approvalsDetail(tx: Transaction, needed: number): Html {
  const given = approvalsOf(tx);
  const items = given.map((a) => html`<li><strong class="approver">${a.by}</strong> ${when(a.at)}</li>`);
  return html`<span class="approvals-count">${given.length} of ${needed}</span>${given.length > 0 ? html`<ul class="plain approvers">${items}</ul>` : ""}`;
}
