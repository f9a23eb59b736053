/**
 * The list page: counts per state, the chart, filters and search, the table
 * of requests (pending approval first) with checkboxes for bulk approval.
 * The counts, chart and table are also served alone ({@link liveParts}) for
 * the page's script to swap in every few seconds.
 */
import { html } from "hono/html";
import type { RequestStats, Transaction, TransactionState } from "../../../ra/ports.js";
import { requestsChart } from "./chart.js";
import { keyText, orDash, requestName, STATE_DISPLAY_ORDER, STATE_LABEL, stateBadge, when, type Html } from "./format.js";
import { approvalsLine } from "./approvals.js";
import { layout, message } from "./layout.js";

/** What the list shows: a state and/or profile, and a search over subject and transactionID. */
export interface ListFilter {
  state?: TransactionState;
  profile?: string;
  q?: string;
}

export interface ListModel {
  base: string;
  csrf: string;
  filter: ListFilter;
  /** Profile names for the profile filter. */
  profiles: readonly string[];
  rows: readonly Transaction[];
  /** True when more requests match than are shown. */
  more: boolean;
  stats: RequestStats;
  /** A message about the last action (from the redirect after it). */
  notice?: string;
  /** Approvals a manual request of a profile needs (four eyes: 2; default 1). */
  approvals?: (profile: string) => number;
  /** False for a viewer: no bulk approval (default true). */
  canDecide?: boolean;
}

/** The filter as a query string (`state=…&profile=…&q=…`), empty parts left out. */
export function filterQuery(f: ListFilter, override: Partial<Record<keyof ListFilter, string | undefined>> = {}): string {
  const params = new URLSearchParams();
  const merged: Record<string, string | undefined> = { state: f.state, profile: f.profile, q: f.q, ...override };
  for (const key of ["state", "profile", "q"]) {
    const v = merged[key];
    if (v !== undefined && v !== "") params.set(key, v);
  }
  return params.toString();
}

function withQuery(path: string, query: string): string {
  return query === "" ? path : `${path}?${query}`;
}

function countsList(m: ListModel): Html {
  const total = Object.values(m.stats.counts).reduce((a, b) => a + b, 0);
  const item = (label: string, count: number, state: string | undefined): Html => {
    const current = m.filter.state === state;
    const href = withQuery(`${m.base}/`, filterQuery(m.filter, { state, q: undefined }));
    return html`<li><a href="${href}"${current ? html` aria-current="true"` : ""}><span class="count-label">${label}</span> <strong class="count">${count}</strong></a></li>`;
  };
  return html`<ul class="counts" aria-label="Requests per state${m.filter.profile ? ` in profile ${m.filter.profile}` : ""}" data-pending="${m.stats.counts.pending_approval}">
${item("All", total, undefined)}
${STATE_DISPLAY_ORDER.map((s) => item(STATE_LABEL[s], m.stats.counts[s], s))}
</ul>`;
}

function row(tx: Transaction, base: string, needed: number, canDecide: boolean): Html {
  const name = requestName(tx);
  const pending = tx.state === "pending_approval";
  const select = pending && canDecide
    ? html`<input type="checkbox" id="sel-${tx.id}" name="id" value="${tx.id}" form="bulk-form"><label for="sel-${tx.id}" class="visually-hidden">Select ${name}</label>`
    : "";
  const txid = tx.transactionId.length > 16 ? `${tx.transactionId.slice(0, 16)}…` : tx.transactionId;
  return html`<tr id="row-${tx.id}"${pending ? html` class="pending"` : ""}>
<td class="select">${select}</td>
<td class="nowrap">${stateBadge(tx.state)}${approvalsLine(tx, needed)}</td>
<th scope="row"><a id="link-${tx.id}" href="${base}/requests/${tx.id}">${name}</a>${tx.subject && tx.subject !== name ? html`<span class="sub">${tx.subject}</span>` : ""}</th>
<td>${tx.profile}</td>
<td><code>${txid}</code></td>
<td class="nowrap">${keyText(tx.key)}</td>
<td>${orDash(tx.context?.clientAddress)}</td>
<td class="nowrap">${when(tx.createdAt)}</td>
</tr>`;
}

function requestTable(m: ListModel): Html {
  const caption = m.more ? `Requests: pending approval first, then newest first (the first ${m.rows.length} shown)` : "Requests: pending approval first, then newest first";
  const body = m.rows.length === 0 ? html`<tr><td colspan="8" class="empty">No requests match.</td></tr>` : m.rows.map((tx) => row(tx, m.base, m.approvals?.(tx.profile) ?? 1, m.canDecide !== false));
  return html`<table class="requests">
<caption>${caption}</caption>
<thead><tr>
<th scope="col" class="select"><span class="visually-hidden">Selected</span></th>
<th scope="col">State</th><th scope="col">Subject</th><th scope="col">Profile</th><th scope="col">Transaction ID</th>
<th scope="col">Key</th><th scope="col">Client</th><th scope="col">Received</th>
</tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}

/** The parts the script refreshes: `summary` (counts and chart) and `table`. */
export function liveParts(m: ListModel): Html {
  return html`<div data-part="summary">${liveSummary(m)}</div><div data-part="table">${requestTable(m)}</div>`;
}

function liveSummary(m: ListModel): Html {
  return html`${countsList(m)}${requestsChart(m.stats)}`;
}

function filterForm(m: ListModel): Html {
  const stateOptions = STATE_DISPLAY_ORDER.map(
    (s) => html`<option value="${s}"${m.filter.state === s ? html` selected` : ""}>${STATE_LABEL[s]}</option>`,
  );
  const profileOptions = m.profiles.map((p) => html`<option value="${p}"${m.filter.profile === p ? html` selected` : ""}>${p}</option>`);
  return html`<form class="filters" role="search" method="get" action="${m.base}/" aria-label="Filter requests">
<div class="field"><label for="filter-state">State</label>
<select id="filter-state" name="state"><option value="">Any state</option>${stateOptions}</select></div>
<div class="field"><label for="filter-profile">Profile</label>
<select id="filter-profile" name="profile"><option value="">Any profile</option>${profileOptions}</select></div>
<div class="field grow"><label for="filter-q">Subject or transaction ID</label>
<input type="search" id="filter-q" name="q" value="${m.filter.q ?? ""}" maxlength="200" autocomplete="off"></div>
<div class="field buttons"><button type="submit">Apply</button> <a class="button quiet" href="${m.base}/">Clear</a></div>
</form>`;
}

function bulkControls(m: ListModel): Html {
  return html`<form id="bulk-form" class="bulk" method="post" action="${m.base}/requests/approve">
<input type="hidden" name="csrf" value="${m.csrf}">
<span class="check"><input type="checkbox" id="select-all"><label for="select-all">Select all pending</label></span>
<button type="button" id="bulk-open" commandfor="bulk-dialog" command="show-modal">Approve selected…</button>
</form>
<dialog id="bulk-dialog" aria-labelledby="bulk-title" aria-describedby="bulk-desc">
<h2 id="bulk-title">Approve the selected requests?</h2>
<p id="bulk-desc"><span id="bulk-count">The selected requests</span> will be forwarded to the CA; each device gets its certificate on its next poll.</p>
<div class="dialog-actions">
<button type="submit" form="bulk-form" class="primary">Approve</button>
<button type="button" commandfor="bulk-dialog" command="close" autofocus>Cancel</button>
</div>
</dialog>`;
}

export function listPage(m: ListModel): Html {
  const live = withQuery(`${m.base}/live`, filterQuery(m.filter));
  const main = html`<h1>Requests</h1>
${message("status", m.notice)}
<div id="request-list" data-live-url="${live}" data-sign-in-url="${m.base}/sign-in">
<section class="overview" aria-label="Overview" id="live-summary">${liveSummary(m)}</section>
${filterForm(m)}
${m.canDecide === false ? "" : bulkControls(m)}
<p id="live-status" class="live-status" role="status" aria-live="polite">The list updates by itself.</p>
<div id="live-table">${requestTable(m)}</div>
</div>`;
  return layout({ base: m.base, title: "Requests", main, csrf: m.csrf });
}
