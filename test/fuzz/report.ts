/** The end-of-run report: inputs, crashes, disagreements, hangs, throughput, and the findings written to disk. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CampaignResult } from "./decoder-campaign.js";

export interface Figures {
  inputs: number;
  crashes: number;
  disagreements: number;
  hangs: number;
  inputsPerSecond: number;
}

export function figuresOf(r: CampaignResult): Figures {
  const count = (k: string): number => r.findings.filter((f) => f.kind === k).length;
  return { inputs: r.inputs, crashes: count("crash"), disagreements: count("disagreement"), hangs: count("hang"), inputsPerSecond: Math.round(r.inputs / r.seconds) };
}

/** Groups findings by what went wrong (numbers and hex blurred), most frequent first. */
function groups(r: CampaignResult): Array<[string, number, string]> {
  const m = new Map<string, [number, string]>();
  for (const f of r.findings) {
    const key = `${f.kind} ${f.inputKind}: ${f.detail.replace(/[0-9a-f]{6,}/g, "…").replace(/\d+/g, "N").slice(0, 140)}`;
    const g = m.get(key);
    if (g) g[0]++;
    else m.set(key, [1, f.input]);
  }
  return [...m].map(([k, [n, ex]]) => [k, n, ex] as [string, number, string]).sort((a, b) => b[1] - a[1]);
}

function opensslLines(r: CampaignResult): string[] {
  const o = r.openssl;
  if (!o.inputs) return ["openssl sample: off"];
  const found = r.findings.filter((f) => f.origin.endsWith("(openssl)")).length;
  return [
    `openssl sample  ${o.inputs} inputs (${Math.round(o.ms / o.inputs)} ms each): both accept ${o.bothAccept}, both reject ${o.bothReject}, disagreements/crashes ${found}`,
    `  openssl: stricter (documented): ${JSON.stringify(o.stricter)}`,
    `  openssl: lenient (documented): ${JSON.stringify(o.lenient)}`,
    `  openssl: fields not compared: ${JSON.stringify(o.notes)}`,
  ];
}

/** Prints the report to stdout and writes every finding to `dir/findings.json`. */
export function printReport(r: CampaignResult, dir: string, extra: string[] = []): Figures {
  const fig = figuresOf(r);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "findings.json"), JSON.stringify(r.findings, null, 1));
  const lines = [
    "",
    "== scepgate decoder fuzzing ==",
    `inputs         ${fig.inputs}  (${Object.entries(r.byKind).map(([k, v]) => `${k} ${v}`).join(", ")})`,
    `crashes        ${fig.crashes}`,
    `disagreements  ${fig.disagreements}`,
    `hangs          ${fig.hangs}`,
    `throughput     ${fig.inputsPerSecond} inputs/s over ${r.seconds.toFixed(1)} s (our decoder ${(r.ourMs / 1000).toFixed(1)} s, reference ${(r.refMs / 1000).toFixed(1)} s of CPU)`,
    `stricter (documented): ${JSON.stringify(r.stricter)}`,
    `lenient on opaque parts (reported, not failures): ${JSON.stringify(r.lenient)}`,
    `der inputs whose primitive values only asn1js reads: ${r.opaque}`,
    ...opensslLines(r),
    ...extra,
  ];
  for (const [k, n] of groups(r).slice(0, 25)) lines.push(`  ${String(n).padStart(6)}  ${k}`);
  lines.push(`findings: ${join(dir, "findings.json")}`);
  console.log(lines.join("\n"));
  return fig;
}
