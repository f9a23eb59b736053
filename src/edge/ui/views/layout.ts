/**
 * The frame of every page: `lang`, a skip link, the header with sign-out,
 * one `<main>`. Script and style are files of our own (the CSP allows no
 * inline script or style).
 */
import { html } from "hono/html";
import type { Html } from "./format.js";

export interface LayoutOptions {
  /** Where the page is mounted (`/admin/ui`). */
  base: string;
  title: string;
  main: Html;
  /** The session's CSRF token: present when signed in (shows the sign-out button). */
  csrf?: string;
}

export function layout(o: LayoutOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · scepgate</title>
<link rel="icon" href="${o.base}/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${o.base}/assets/admin-ui.css">
<script src="${o.base}/assets/admin-ui.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="top">
  <a class="brand" href="${o.base}/">scepgate <span class="brand-sub">operator</span></a>
  ${o.csrf === undefined ? "" : html`<nav aria-label="Main"><a href="${o.base}/">Requests</a></nav>
  <form class="sign-out" method="post" action="${o.base}/sign-out">
    <input type="hidden" name="csrf" value="${o.csrf}">
    <button type="submit" class="quiet">Sign out</button>
  </form>`}
</header>
<main id="main" tabindex="-1">
${o.main}
</main>
</body>
</html>`;
}

/** A message box: `status` (polite) or `alert` (errors). Nothing when `text` is undefined. */
export function message(kind: "status" | "alert", text: string | undefined, id?: string): Html | string {
  if (text === undefined) return "";
  return html`<p class="message ${kind === "alert" ? "error" : "notice"}" role="${kind}"${id === undefined ? "" : html` id="${id}"`}>${text}</p>`;
}

/** A page saying what went wrong, with a way back. */
export function errorPage(o: { base: string; title: string; text: string; csrf?: string }): Html {
  const main = html`<h1>${o.title}</h1>
${message("alert", o.text)}
<p><a href="${o.base}/">Back to the requests</a></p>`;
  return layout({ base: o.base, title: o.title, main, ...(o.csrf === undefined ? {} : { csrf: o.csrf }) });
}

/** The sign-in form; `error` and `notice` are shown above it. */
export function signInPage(o: { base: string; error?: string; notice?: string }): Html {
  const describedBy = o.error === undefined ? "token-hint" : "token-hint sign-in-error";
  const invalid = o.error === undefined ? "" : html` aria-invalid="true"`;
  const main = html`<div class="sign-in">
<h1>Sign in</h1>
${message("status", o.notice)}
${message("alert", o.error, "sign-in-error")}
<form method="post" action="${o.base}/sign-in">
  <label for="token">Admin token</label>
  <p class="hint" id="token-hint">The value of <code>admin.token</code> in the configuration.</p>
  <input type="password" id="token" name="token" autocomplete="current-password" required autofocus aria-describedby="${describedBy}"${invalid}>
  <button type="submit" class="primary">Sign in</button>
</form>
</div>`;
  return layout({ base: o.base, title: "Sign in", main });
}
