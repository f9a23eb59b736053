// scepgate operator web page: the little the server-rendered HTML cannot do
// by itself. Plain browser JavaScript, no build step, no dependencies. In a
// browser with invoker commands (Chromium 135+, Firefox 144+, Safari 26+)
// every page works without it except the list's self-refresh.
//  - dialogs opened by <button commandfor command> on browsers without
//    invoker commands;
//  - bulk approval: "select all pending", the count in the confirmation, no
//    empty confirmation;
//  - the list refreshes its counts, chart and table every few seconds from
//    GET …/live, keeping ticked boxes and focus, and says what changed in
//    the polite live region.
/* global document, window, HTMLButtonElement */
"use strict";

(function () {
  const POLL_MS = 2500;
  const MAX_BACKOFF_MS = 30000;

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function $all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function announce(text) {
    const status = $("#live-status");
    if (status) status.textContent = text;
  }

  function bulkBoxes() {
    return $all('input[type="checkbox"][name="id"][form="bulk-form"]');
  }

  // --- bulk approval -------------------------------------------------------

  /** False (and says why) when nothing is ticked; else fills in the count. */
  function prepareBulkDialog() {
    const n = bulkBoxes().filter(function (b) { return b.checked; }).length;
    if (n === 0) {
      announce("Select at least one pending request first.");
      return false;
    }
    const count = $("#bulk-count");
    if (count) count.textContent = n === 1 ? "1 request" : n + " requests";
    return true;
  }

  function syncSelectAll() {
    const all = $("#select-all");
    if (!all) return;
    const boxes = bulkBoxes();
    const ticked = boxes.filter(function (b) { return b.checked; }).length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
    all.disabled = boxes.length === 0;
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target && target.id === "select-all") {
      bulkBoxes().forEach(function (b) { b.checked = target.checked; });
    }
    syncSelectAll();
  });

  const bulkDialog = $("#bulk-dialog");
  if (bulkDialog) {
    // Invoker commands fire "command" on the dialog first; cancelling it keeps the dialog shut.
    bulkDialog.addEventListener("command", function (event) {
      if (event.command === "show-modal" && !prepareBulkDialog()) event.preventDefault();
    });
  }

  // --- dialogs on browsers without invoker commands ------------------------

  const hasInvokers = typeof HTMLButtonElement !== "undefined" && "commandForElement" in HTMLButtonElement.prototype;
  if (!hasInvokers) {
    document.addEventListener("click", function (event) {
      const button = event.target && event.target.closest ? event.target.closest("button[commandfor]") : null;
      if (!button) return;
      const dialog = document.getElementById(button.getAttribute("commandfor"));
      if (!dialog || typeof dialog.showModal !== "function") return;
      const command = button.getAttribute("command");
      if (command === "show-modal") {
        if (dialog === bulkDialog && !prepareBulkDialog()) return;
        dialog.showModal();
      } else if (command === "close") {
        dialog.close();
      }
    });
  }

  // --- the list refreshing itself ------------------------------------------

  const list = $("#request-list");
  if (!list) return;
  const liveUrl = list.getAttribute("data-live-url");
  const signInUrl = list.getAttribute("data-sign-in-url");
  let delay = POLL_MS;

  function pendingCount(root) {
    const counts = $(".counts", root);
    return counts ? Number(counts.getAttribute("data-pending")) : 0;
  }

  function rowIds(root) {
    return $all("tbody tr[id]", root).map(function (r) { return r.id; });
  }

  // What the server last sent for each part (as this browser serializes it):
  // the part is replaced only when that changes, not when we marked a row.
  const lastHtml = {};
  ["live-summary", "live-table"].forEach(function (id) {
    const el = document.getElementById(id);
    if (el) lastHtml[id] = el.innerHTML;
  });

  /** Replaces `target`'s content with `part`'s, keeping ticked boxes and focus. */
  function swap(target, part) {
    if (!target || !part || lastHtml[target.id] === part.innerHTML) return false;
    lastHtml[target.id] = part.innerHTML;
    const ticked = bulkBoxes().filter(function (b) { return b.checked; }).map(function (b) { return b.id; });
    const focused = document.activeElement && target.contains(document.activeElement) ? document.activeElement.id : "";
    const before = rowIds(target);
    target.innerHTML = part.innerHTML;
    ticked.forEach(function (id) {
      const box = document.getElementById(id);
      if (box) box.checked = true;
    });
    rowIds(target).forEach(function (id) {
      if (before.length > 0 && before.indexOf(id) < 0) document.getElementById(id).classList.add("arrived");
    });
    if (focused) {
      const again = document.getElementById(focused);
      if (again) again.focus({ preventScroll: true });
    }
    return true;
  }

  function apply(text) {
    const template = document.createElement("template");
    template.innerHTML = text;
    const before = pendingCount(document);
    let changed = swap($("#live-summary"), $('[data-part="summary"]', template.content));
    changed = swap($("#live-table"), $('[data-part="table"]', template.content)) || changed;
    if (!changed) return;
    syncSelectAll();
    const after = pendingCount(document);
    if (after > before) {
      const n = after - before;
      announce(n === 1 ? "1 new request is waiting for approval." : n + " new requests are waiting for approval.");
    } else {
      announce("The list was updated.");
    }
  }

  function schedule() {
    setTimeout(poll, delay);
  }

  function poll() {
    if (document.hidden || $("dialog[open]")) return schedule();
    fetch(liveUrl, { credentials: "same-origin", cache: "no-store", headers: { accept: "text/html" } })
      .then(function (res) {
        if (res.status === 401) {
          window.location.assign(signInUrl);
          return null;
        }
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.text();
      })
      .then(function (text) {
        if (text === null) return;
        apply(text);
        delay = POLL_MS;
        schedule();
      })
      .catch(function () {
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
        announce("The list could not be refreshed; trying again.");
        schedule();
      });
  }

  syncSelectAll();
  schedule();
})();
