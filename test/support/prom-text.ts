/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests
 * (prom-client has none). Every line must be `# HELP`, `# TYPE`, a sample
 * `name{label="value",...} value`, or blank; a sample must belong to a
 * family declared by `# TYPE` before it (histograms: `_bucket`, `_sum`,
 * `_count`); label values may only use the three escapes; anything else
 * throws naming the line.
 */

/** One sample: its series name, labels and value. */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** A parsed exposition: the samples and each family's type. */
export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses `text`; throws on the first line that is not valid exposition format. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  text.split("\n").forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.trim() === "") return;
    if (line.startsWith("# HELP ")) {
      if (!NAME.test(line.slice(7).split(" ")[0] ?? "")) throw new Error(`bad HELP, ${where}`);
      return;
    }
    if (line.startsWith("# TYPE ")) {
      const [name = "", type = "", ...rest] = line.slice(7).split(" ");
      if (!NAME.test(name) || !TYPES.has(type) || rest.length > 0) throw new Error(`bad TYPE, ${where}`);
      if (types.has(name)) throw new Error(`second TYPE for ${name}, ${where}`);
      types.set(name, type);
      return;
    }
    if (line.startsWith("#")) throw new Error(`unexpected comment, ${where}`);
    const sample = parseSample(line, where);
    if (familyOf(sample.name, types) === undefined) throw new Error(`sample before its TYPE, ${where}`);
    samples.push(sample);
  });
  return { samples, types };
}

function parseSample(line: string, where: string): Sample {
  const brace = line.indexOf("{");
  const space = line.indexOf(" ");
  if (brace >= 0 && brace < space) {
    const name = line.slice(0, brace);
    const [labels, end] = parseLabels(line, brace + 1, where);
    if (line[end] !== " ") throw new Error(`expected a space after the labels, ${where}`);
    return { name: checkedName(name, where), labels, value: parseValue(line.slice(end + 1), where) };
  }
  if (space < 0) throw new Error(`no value, ${where}`);
  return { name: checkedName(line.slice(0, space), where), labels: {}, value: parseValue(line.slice(space + 1), where) };
}

function checkedName(name: string, where: string): string {
  if (!NAME.test(name)) throw new Error(`bad metric name ${JSON.stringify(name)}, ${where}`);
  return name;
}

/** Labels from `start` (just after `{`) to the closing `}`; returns them and the index after `}`. */
function parseLabels(line: string, start: number, where: string): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start;
  while (line[i] !== "}") {
    const eq = line.indexOf("=", i);
    const key = line.slice(i, eq);
    if (eq < 0 || !LABEL.test(key) || line[eq + 1] !== '"') throw new Error(`bad label at ${i}, ${where}`);
    let value = "";
    for (i = eq + 2; line[i] !== '"'; i++) {
      if (i >= line.length) throw new Error(`unterminated label value, ${where}`);
      if (line[i] === "\\") {
        const next = line[++i];
        if (next === "n") value += "\n";
        else if (next === "\\" || next === '"') value += next;
        else throw new Error(`bad escape \\${next}, ${where}`);
      } else value += line[i];
    }
    if (key in labels) throw new Error(`duplicate label ${key}, ${where}`);
    labels[key] = value;
    i++;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") throw new Error(`expected , or } at ${i}, ${where}`);
  }
  return [labels, i + 1];
}

function parseValue(text: string, where: string): number {
  const [v = "", timestamp, ...rest] = text.split(" ");
  if (rest.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`bad value/timestamp, ${where}`);
  // Values are Go floats (strconv.ParseFloat), which spell Inf and NaN in any case: prom-client writes "Nan".
  if (/^\+?inf(inity)?$/i.test(v)) return Infinity;
  if (/^-inf(inity)?$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`bad value ${JSON.stringify(v)}, ${where}`);
  return Number(v);
}

/** The declared family a series name belongs to (itself, or a histogram/summary's part). */
export function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return undefined;
}

/** The value of the one sample of `name` whose labels are exactly `labels`; undefined when there is none. */
export function sampleValue(e: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const want = Object.entries(labels);
  const hits = e.samples.filter((s) => s.name === name && Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(e: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
  return e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** Fetches `url` (a /metrics endpoint) and parses it; fails on a status other than 200 or a foreign media type. */
export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${text}`);
  if (!(res.headers.get("content-type") ?? "").startsWith("text/plain; version=0.0.4")) throw new Error(`GET ${url}: content-type ${res.headers.get("content-type")}`);
  return parseExposition(text);
}
