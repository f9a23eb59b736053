/**
 * One request: what the device asked for (subject, SANs, key, signature
 * algorithm, requested extensions), how it asked (challenge outcome, client
 * address, user agent), where it stands (state, decision, upstream progress,
 * timestamps), its approvals (four eyes) and its audit history; Approve and
 * Reject behind confirmation dialogs, for operators who may decide.
 */
import { html } from "hono/html";
import type { RequestDetails } from "../../../ra/request-details.js";
import type { AuditEvent, Transaction, TransactionState } from "../../../ra/ports.js";
import {
  challengeText, failInfoText, keyText, messageTypeText, orDash, requestName, STATE_LABEL, stateBadge, when, type Html,
} from "./format.js";
import { approvalsDetail, approvalsOf, approveLabel } from "./approvals.js";
import { layout, message } from "./layout.js";

export interface DetailModel {
  base: string;
  csrf: string;
  tx: Transaction;
  history: readonly AuditEvent[];
  details: RequestDetails;
  /** An error about the last action on this page. */
  error?: string;
  /** Approvals the request's profile needs (four eyes: 2; default 1). */
  approvals?: number;
  /** The signed-in operator's name. */
  operator?: string;
  /** False for a viewer: no Approve or Reject (default true). */
  canDecide?: boolean;
}

/** States the operator may still reject from (as ra/operator.ts allows). */
const REJECTABLE: ReadonlySet<TransactionState> = new Set(["pending_approval", "approved", "upstream_pending"]);

function item(term: string, value: Html | string): Html {
  return html`<dt>${term}</dt><dd>${value}</dd>`;
}

function sansList(sans: readonly string[]): Html {
  if (sans.length === 0) return orDash(undefined);
  return html`<ul class="plain">${sans.map((s) => html`<li><code>${s}</code></li>`)}</ul>`;
}

function extensionsTable(d: RequestDetails): Html | string {
  if (d.error) return message("alert", d.error);
  if (d.extensions.length === 0) return html`<p>None requested.</p>`;
  const rows = d.extensions.map(
    (e) => html`<tr><th scope="row">${e.name}${e.name === e.oid ? "" : html`<span class="sub"><code>${e.oid}</code></span>`}</th><td>${e.critical ? "yes" : "no"}</td><td>${e.value}</td></tr>`,
  );
  return html`<table class="compact"><caption class="visually-hidden">Requested extensions</caption>
<thead><tr><th scope="col">Extension</th><th scope="col">Critical</th><th scope="col">Value</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function upstreamText(tx: Transaction): Html {
  const u = tx.upstream;
  if (!u) return html`<span class="none">not contacted yet</span>`;
  return html`<dl class="inline">
${item("Upstream transaction ID", html`<code class="wrap">${u.transactionId}</code>`)}
${item("Attempts", String(u.attempts))}
${item("Last error", orDash(u.lastError))}
${item("Next poll", when(u.nextPollAt))}
</dl>`;
}

/** Which attempt of its transactionID the record is, with links to the attempts before and after it. */
function attemptItems(base: string, tx: Transaction): Html | string {
  if (tx.attempt === undefined) return "";
  const link = (id: string) => html`<a href="${base}/requests/${id}"><code>${id}</code></a>`;
  return html`${item("Attempt", String(tx.attempt))}
${tx.previousId ? item("Previous attempt", link(tx.previousId)) : ""}
${tx.supersededBy ? item("Superseded by", link(tx.supersededBy)) : ""}`;
}

function historyTable(history: readonly AuditEvent[]): Html {
  if (history.length === 0) return html`<p>No events recorded.</p>`;
  const rows = history.map(
    (e) => html`<tr><td>${when(e.at)}</td><th scope="row">${e.event}</th>
<td>${e.from ? STATE_LABEL[e.from] ?? e.from : "—"} → ${e.to ? STATE_LABEL[e.to] ?? e.to : "—"}</td><td>${e.actor}</td><td>${orDash(e.reason)}</td></tr>`,
  );
  return html`<table class="compact"><caption class="visually-hidden">Audit history, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">State</th><th scope="col">By</th><th scope="col">Reason</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** Why this operator sees no Approve button on a pending request: it already gave its approval. */
function waitingNote(m: DetailModel): Html | string {
  const mine = m.operator !== undefined && approvalsOf(m.tx).some((a) => a.by === m.operator);
  return mine && m.tx.state === "pending_approval" ? html`<p class="waiting" role="note">You approved this request; it waits for another operator.</p>` : "";
}

function actions(m: DetailModel): Html | string {
  const { tx } = m;
  if (m.canDecide === false) return "";
  const mine = m.operator !== undefined && approvalsOf(tx).some((a) => a.by === m.operator);
  const canApprove = tx.state === "pending_approval" && !mine;
  const canReject = REJECTABLE.has(tx.state);
  if (!canApprove && !canReject) return waitingNote(m);
  const label = approveLabel(tx, m.approvals ?? 1);
  const name = requestName(tx);
  const approve = canApprove
    ? html`<button type="button" class="primary" id="approve-open" commandfor="approve-dialog" command="show-modal">${label}…</button>
<dialog id="approve-dialog" aria-labelledby="approve-title" aria-describedby="approve-desc">
<form method="post" action="${m.base}/requests/${tx.id}/approve">
<input type="hidden" name="csrf" value="${m.csrf}">
<h2 id="approve-title">Approve this request?</h2>
<p id="approve-desc">The request for <strong>${name}</strong> will be forwarded to the CA; the device gets its certificate on its next poll.</p>
<div class="dialog-actions"><button type="submit" class="primary">${label}</button>
<button type="button" commandfor="approve-dialog" command="close" autofocus>Cancel</button></div>
</form>
</dialog>`
    : "";
  const reject = canReject
    ? html`<button type="button" class="danger" commandfor="reject-dialog" command="show-modal">Reject…</button>
<dialog id="reject-dialog" aria-labelledby="reject-title">
<form method="post" action="${m.base}/requests/${tx.id}/reject">
<input type="hidden" name="csrf" value="${m.csrf}">
<h2 id="reject-title">Reject this request?</h2>
<p>The device asking for <strong>${name}</strong> gets FAILURE with this reason on its next poll.</p>
<label for="reject-reason">Reason</label>
<input type="text" id="reject-reason" name="reason" required maxlength="500" autocomplete="off" autofocus>
<div class="dialog-actions"><button type="submit" class="danger">Reject</button>
<button type="button" commandfor="reject-dialog" command="close">Cancel</button></div>
</form>
</dialog>`
    : "";
  return html`${waitingNote(m)}<div class="actions" role="group" aria-label="Decision">${approve} ${reject}</div>`;
}

export function detailPage(m: DetailModel): Html {
  const { tx, details } = m;
  const name = requestName(tx);
  const main = html`<p class="crumbs"><a href="${m.base}/">← All requests</a></p>
<h1>${name} ${stateBadge(tx.state)}</h1>
${message("alert", m.error)}
${actions(m)}
<div class="columns">
<section aria-labelledby="h-request"><h2 id="h-request">Request</h2><dl>
${item("Subject", html`<code class="wrap">${tx.subject || "(empty)"}</code>`)}
${item("Subject alternative names", sansList(tx.sans))}
${item("Key", keyText(tx.key))}
${item("Signature algorithm", orDash(details.signatureAlgorithm))}
${item("Message type", messageTypeText(tx.messageType))}
${item("Profile", tx.profile)}
${item("Transaction ID", html`<code class="wrap">${tx.transactionId}</code>`)}
${item("Record ID", html`<code>${tx.id}</code>`)}
${item("Source", tx.source === "batch" ? "batch enrollment" : "SCEP device")}
${attemptItems(m.base, tx)}
</dl></section>
<section aria-labelledby="h-checks"><h2 id="h-checks">Checks and origin</h2><dl>
${item("Challenge password", challengeText(tx.challenge))}
${item("Client address", orDash(tx.context?.clientAddress))}
${item("User agent", orDash(tx.context?.userAgent))}
${item("Received", when(tx.createdAt))}
${item("Last change", when(tx.updatedAt))}
</dl></section>
<section aria-labelledby="h-outcome"><h2 id="h-outcome">Outcome</h2><dl>
${item("State", stateBadge(tx.state))}
${item("Decided by", orDash(tx.decidedBy))}
${(m.approvals ?? 1) > 1 || approvalsOf(tx).length > 1 ? item("Approvals", approvalsDetail(tx, m.approvals ?? 1)) : ""}
${item("Reason", orDash(tx.reason))}
${item("failInfo", orDash(failInfoText(tx.failInfo)))}
${item("Certificate serial", tx.serial ? html`<code>${tx.serial}</code>` : orDash(undefined))}
${item("Certificate expires", when(tx.notAfter))}
${item("Upstream", upstreamText(tx))}
</dl></section>
</div>
<section aria-labelledby="h-ext"><h2 id="h-ext">Requested extensions</h2>${extensionsTable(details)}</section>
<section aria-labelledby="h-history"><h2 id="h-history">History</h2>${historyTable(m.history)}</section>`;
  return layout({ base: m.base, title: `Request ${name}`, main, csrf: m.csrf });
}
