/**
 * Requests per hour over the last day, as inline SVG drawn on the server:
 * one bar per hour, the hours on the x axis every six hours, the peak on the
 * y axis. Screen readers get the caption and the one-line summary under
 * it; pointer users also a tooltip (`<title>`) per bar. Colors come from the stylesheet (the CSP
 * allows no inline style); the shapes use presentation attributes only.
 */
import { html } from "hono/html";
import type { RequestStats } from "../../../ra/ports.js";
import type { Html } from "./format.js";

const WIDTH = 480;
const HEIGHT = 140;
const LEFT = 30;
const RIGHT = 6;
const TOP = 12;
const BOTTOM = 22;

/** `08:00` (UTC) of the window starting at `ms`. */
function hourText(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** `42 requests in the last 24 hours; busiest hour 08:00–09:00 UTC with 9.` */
export function chartSummary(stats: RequestStats): string {
  const total = stats.perBucket.reduce((a, b) => a + b, 0);
  const hours = stats.perBucket.length;
  if (total === 0) return `No requests in the last ${hours} hours.`;
  const peak = Math.max(...stats.perBucket);
  const at = Date.parse(stats.since) + stats.perBucket.indexOf(peak) * stats.bucketMs;
  const noun = total === 1 ? "request" : "requests";
  return `${total} ${noun} in the last ${hours} hours; busiest hour ${hourText(at)}–${hourText(at + stats.bucketMs)} UTC with ${peak}.`;
}

export function requestsChart(stats: RequestStats): Html {
  const n = Math.max(1, stats.perBucket.length);
  const peak = Math.max(1, ...stats.perBucket);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / n;
  const barW = Math.max(1, slot - 3);
  const start = Date.parse(stats.since);
  const bars = stats.perBucket.map((count, i) => {
    const h = count === 0 ? 0 : Math.max(2, (count / peak) * plotH);
    const x = LEFT + i * slot + (slot - barW) / 2;
    const from = start + i * stats.bucketMs;
    const label = `${hourText(from)}–${hourText(from + stats.bucketMs)} UTC: ${count} ${count === 1 ? "request" : "requests"}`;
    return html`<rect class="bar" x="${x.toFixed(1)}" y="${(TOP + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}"><title>${label}</title></rect>`;
  });
  const ticks = stats.perBucket.map((_, i) =>
    i % 6 === 0 || i === n - 1
      ? html`<text class="tick" x="${(LEFT + i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="middle">${hourText(start + i * stats.bucketMs)}</text>`
      : "",
  );
  return html`<figure class="chart">
<figcaption id="chart-title">Requests per hour, last 24 hours (UTC)</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="chart-title" aria-describedby="chart-summary" focusable="false">
<line class="axis" x1="${LEFT}" y1="${TOP + plotH + 0.5}" x2="${WIDTH - RIGHT}" y2="${TOP + plotH + 0.5}"></line>
<line class="grid" x1="${LEFT}" y1="${TOP + 0.5}" x2="${WIDTH - RIGHT}" y2="${TOP + 0.5}"></line>
<text class="tick" x="${LEFT - 5}" y="${TOP + 4}" text-anchor="end">${peak}</text>
<text class="tick" x="${LEFT - 5}" y="${TOP + plotH + 4}" text-anchor="end">0</text>
${bars}
${ticks}
</svg>
<p class="chart-summary" id="chart-summary">${chartSummary(stats)}</p>
</figure>`;
}
