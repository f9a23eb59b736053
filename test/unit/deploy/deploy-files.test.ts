/**
 * deploy/: the Dockerfile, the compose file, the Kubernetes manifests and
 * the systemd units, checked against the real program. No container engine
 * runs here, so each file is parsed (a Dockerfile line parser, YAML, an ini
 * parser) and what it says is compared with what scepgate really does:
 *
 * - every command and option it gives scepgate exists in `scepgate --help`
 *   (the real CLI, spawned, recursively for subcommands);
 * - every port it names is the listen port the config resolves to with the
 *   environment that setup gives the process (src/config loadConfig);
 * - the image is rebuilt as a directory (the final stage's COPYs, and
 *   node_modules as `npm ci --omit=dev` leaves it, from the lockfile); the
 *   Kubernetes front's arguments and the worker's run from there with the
 *   image's ENV, a real Redis and its help texts are what the invocations
 *   are checked against; every probe path answers 200 on that front,
 *   deploy/healthcheck.mjs passes against it and fails on a dead port, and
 *   both processes exit 0 on SIGTERM;
 * - every SCEPGATE_* variable names a config key (or an allowed non-key);
 * - the config files load; Redis has AOF and noeviction; stop timeouts
 *   exceed upstream.timeout; the RA files and the config file are where the
 *   mounts put them; no secret value is committed;
 * - the image copies what exists, keeps it in the build context, and has
 *   every runtime dependency the code imports.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { isSecretPath, loadConfig, NON_CONFIG_ENV_VARS, resolveEnvVar, type Config, type LoadedConfig } from "../../../src/config/index.js";
import {
  freePort, makeTempDir, run, sleep, startProcess, startRedis, uniquePrefix, waitForUrl, type ManagedProcess, type RedisHandle,
} from "../../harness/index.js";
import { childEnv, REPO_ROOT } from "../../harness/scepgate.js";

const DEPLOY = path.join(REPO_ROOT, "deploy");
const read = (rel: string): string => readFileSync(path.join(DEPLOY, rel), "utf8");

// ───────────────────────────── small typed accessors ─────────────────────────────

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(v)}`);
  return v;
}
function list(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}
function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}
function strings(v: unknown, what: string): string[] {
  return list(v, what).map((x, i) => str(x, `${what}[${i}]`));
}

// ───────────────────────────── the real CLI ─────────────────────────────

interface CliOption {
  names: string[];
  takesValue: boolean;
}
interface CliHelp {
  /** Subcommand name → how many positional arguments it takes at most. */
  commands: Map<string, number>;
  options: CliOption[];
}

/** The sections of commander's help: `Options:` and `Commands:` entries (2-space indented). */
function parseHelp(text: string): CliHelp {
  const commands = new Map<string, number>();
  const options: CliOption[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    const header = /^(\w[\w ]*):\s*$/.exec(line);
    if (header) {
      section = header[1] ?? "";
      continue;
    }
    const entry = /^ {2}(\S.*?)(?: {2,}|$)/.exec(line)?.[1];
    if (entry === undefined) continue;
    if (section === "Options" && entry.startsWith("-")) {
      const names = entry.replace(/\s*[<[].*$/, "").split(/,\s*/).filter((n) => n.startsWith("-"));
      options.push({ names, takesValue: /[<[]/.test(entry) });
    } else if (section === "Commands") {
      const [name, ...rest] = entry.split(/\s+/);
      if (name === undefined || name === "help") continue;
      commands.set(name, rest.filter((r) => r !== "[options]").length);
    }
  }
  return { commands, options };
}

const helpCache = new Map<string, Promise<CliHelp>>();
/** The image's /app, rebuilt from the Dockerfile (see buildImageLayout). */
let layout = "";

/** `node bin/scepgate.js ...path --help` run in the image layout, parsed; memoized. */
function helpOf(cmdPath: readonly string[]): Promise<CliHelp> {
  const key = cmdPath.join(" ");
  let help = helpCache.get(key);
  if (!help) {
    help = run(process.execPath, ["bin/scepgate.js", ...cmdPath, "--help"], { cwd: layout, env: childEnv(), timeoutMs: 30_000 }).then((r) => {
      if (r.code !== 0) throw new Error(`scepgate ${key} --help exited ${r.code}: ${r.stderr}`);
      return parseHelp(r.stdout);
    });
    helpCache.set(key, help);
  }
  return help;
}

/**
 * What is wrong with `argv` (the arguments after `bin/scepgate.js`) for the
 * real CLI: unknown command, unknown option, missing option value, extra
 * positional arguments, a command group without its subcommand. Empty = fine.
 */
async function checkArgv(argv: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  const cmdPath: string[] = [];
  let help = await helpOf([]);
  let positionals = 0;
  let i = 0;
  while (i < argv.length && help.commands.has(argv[i] ?? "")) {
    positionals = help.commands.get(argv[i] ?? "") ?? 0;
    cmdPath.push(argv[i] ?? "");
    help = await helpOf(cmdPath);
    i++;
  }
  const shown = `scepgate ${argv.join(" ")}`;
  if (cmdPath.length === 0) return [`${shown}: "${argv[0] ?? ""}" is not a scepgate command`];
  if (help.commands.size > 0) problems.push(`${shown}: "${cmdPath.join(" ")}" needs one of its subcommands (${[...help.commands.keys()].join(", ")})`);
  for (; i < argv.length; i++) {
    const token = argv[i] ?? "";
    if (token.startsWith("-")) {
      const name = token.split("=")[0] ?? token;
      const option = help.options.find((o) => o.names.includes(name));
      if (!option) problems.push(`${shown}: "${cmdPath.join(" ")}" has no option ${name}`);
      else if (option.takesValue && !token.includes("=")) {
        if (i + 1 >= argv.length) problems.push(`${shown}: ${name} needs a value`);
        i++;
      }
    } else if (--positionals < 0) {
      problems.push(`${shown}: unexpected argument "${token}"`);
    }
  }
  return problems;
}

// ───────────────────────────── Dockerfile ─────────────────────────────

interface DockerInstruction {
  op: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let buf = "";
  let start = 0;
  text.split("\n").forEach((raw, idx) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (buf === "" && line.trim() === "")) return;
    if (buf === "") start = idx + 1;
    if (line.endsWith("\\")) {
      buf += `${line.slice(0, -1)} `;
      return;
    }
    buf += line;
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(buf);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse ${JSON.stringify(buf)}`);
    out.push({ op: (m[1] ?? "").toUpperCase(), args: (m[2] ?? "").trim(), line: start });
    buf = "";
  });
  return out;
}

/** Exec form (`["a", "b"]`) or shell form split on blanks. */
function execForm(args: string): string[] {
  return args.startsWith("[") ? strings(JSON.parse(args), "exec form") : args.split(/\s+/);
}

/** `ENV A=1 B="x y"` (and the legacy `ENV A value`). */
function envPairs(args: string): [string, string][] {
  if (!/^\S+=/.test(args)) {
    const [key, ...rest] = args.split(/\s+/);
    return [[key ?? "", rest.join(" ")]];
  }
  return [...args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((m) => [m[1] ?? "", (m[2] ?? "").replace(/^"(.*)"$/, "$1")]);
}

interface ImageModel {
  stages: DockerInstruction[][];
  final: DockerInstruction[];
  env: Record<string, string>;
  workdir: string;
  /** COPY from the build context: image path → repo-relative source. */
  copies: { source: string; imagePath: string; line: number }[];
  entrypoint: string[];
  cmd: string[];
  expose: number[];
  healthcheck: string[];
  user: string;
  volumes: string[];
}

function imageModel(text: string): ImageModel {
  const stages: DockerInstruction[][] = [];
  for (const ins of parseDockerfile(text)) {
    if (ins.op === "FROM") stages.push([]);
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${ins.line}: ${ins.op} before FROM`);
    stage.push(ins);
  }
  const final = stages.at(-1) ?? [];
  const m: ImageModel = { stages, final, env: {}, workdir: "/", copies: [], entrypoint: [], cmd: [], expose: [], healthcheck: [], user: "", volumes: [] };
  for (const ins of final) {
    switch (ins.op) {
      case "ENV":
        for (const [k, v] of envPairs(ins.args)) m.env[k] = v;
        break;
      case "WORKDIR":
        m.workdir = path.posix.resolve(m.workdir, ins.args);
        break;
      case "COPY": {
        const words = execForm(ins.args);
        if (words.some((w) => w.startsWith("--from"))) break;
        const parts = words.filter((w) => !w.startsWith("--"));
        const dest = parts.pop() ?? "";
        for (const source of parts) {
          const target = dest.endsWith("/") ? path.posix.join(dest, path.posix.basename(source)) : dest;
          m.copies.push({ source: path.posix.normalize(source), imagePath: path.posix.resolve(m.workdir, target), line: ins.line });
        }
        break;
      }
      case "ENTRYPOINT":
        m.entrypoint = execForm(ins.args);
        break;
      case "CMD":
        m.cmd = execForm(ins.args);
        break;
      case "EXPOSE":
        m.expose.push(...ins.args.split(/\s+/).map((p) => Number(p.replace(/\/tcp$/, ""))));
        break;
      case "HEALTHCHECK": {
        const hc = /^(?:--\S+\s+)*CMD\s+(.*)$/.exec(ins.args);
        m.healthcheck = hc ? execForm(hc[1] ?? "") : [];
        break;
      }
      case "USER":
        m.user = ins.args;
        break;
      case "VOLUME":
        m.volumes.push(...execForm(ins.args));
        break;
    }
  }
  return m;
}

/** The repo file an image path (absolute, or relative to WORKDIR) comes from, if a COPY puts it there. */
function repoFileOf(image: ImageModel, file: string): string | undefined {
  const abs = path.posix.resolve(image.workdir, file);
  for (const c of image.copies) {
    if (abs === c.imagePath) return c.source;
    if (abs.startsWith(`${c.imagePath}/`)) return path.posix.join(c.source, abs.slice(c.imagePath.length + 1));
  }
  return undefined;
}

/** .dockerignore semantics: last matching pattern wins; a pattern also matches everything below what it matches. */
function dockerIgnored(patterns: readonly string[], file: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = path.posix.normalize((negated ? raw.slice(1) : raw).replace(/^\/+/, ""));
    const re = new RegExp(`^${pattern.split("**").map((p) => p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")).join(".*")}(?:/.*)?$`);
    if (re.test(file)) ignored = !negated;
  }
  return ignored;
}

// ───────────────────────────── systemd units ─────────────────────────────

type Ini = Map<string, Map<string, string[]>>;

/** A systemd unit file: `[Section]`, `Key=Value` (repeatable), `#`/`;` comments, `\` continuations. */
function parseIni(text: string): Ini {
  const ini: Ini = new Map();
  let section: Map<string, string[]> | undefined;
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = pending + raw.trim();
    pending = "";
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.endsWith("\\")) {
      pending = `${line.slice(0, -1).trimEnd()} `;
      continue;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = new Map();
      ini.set(header[1] ?? "", section);
      continue;
    }
    const kv = /^([A-Za-z][\w]*)\s*=\s*(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`unit file: cannot parse ${JSON.stringify(line)}`);
    const key = kv[1] ?? "";
    section.set(key, [...(section.get(key) ?? []), kv[2] ?? ""]);
  }
  return ini;
}

function iniValue(ini: Ini, section: string, key: string): string | undefined {
  return ini.get(section)?.get(key)?.at(-1);
}

/** systemd time span: `60`, `60s`, `1min`, `1m 30s`. */
function systemdSeconds(v: string): number {
  if (/^\d+$/.test(v.trim())) return Number(v);
  let total = 0;
  for (const m of v.matchAll(/(\d+)\s*(ms|s|sec|m|min|h)\b/g)) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "m" || m[2] === "min" ? n * 60 : m[2] === "h" ? n * 3600 : n;
  }
  return total;
}

/** Compose duration: `60s`, `1m`, `1m30s`. */
function composeSeconds(v: string): number {
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "m" ? n * 60 : m[2] === "h" ? n * 3600 : n;
  }
  return total;
}

// ───────────────────────────── shell lines ─────────────────────────────

/** Splits a shell command line into words ('…' and "…" quoting); stops at an operator or comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /\s*(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"`;&|)#]+)|([;&|)#`]))/y;
  let word: string | undefined;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m[4] !== undefined) break;
    word = m[1] ?? m[2] ?? m[3];
    if (word !== undefined) words.push(word);
  }
  return words;
}

/**
 * Every scepgate invocation written in `text`, comments and docs included
 * (`\` continuations joined): `node …bin/scepgate.js ARGS` and
 * `docker run … scepgate ARGS`.
 */
function scriptInvocations(text: string): { argv: string[]; line: string }[] {
  const joined = text.replace(/\\\n\s*/g, " ");
  const out: { argv: string[]; line: string }[] = [];
  for (const line of joined.split("\n")) {
    for (const m of line.matchAll(/\bnode\s+\S*bin\/scepgate\.js(?=\s)|\bdocker run\b.*?\sscepgate(?=\s)/g)) {
      out.push({ argv: shellWords(line.slice((m.index ?? 0) + m[0].length)), line: line.trim() });
    }
  }
  return out;
}

// ───────────────────────────── deploy/ as data ─────────────────────────────

function deployFiles(dir = DEPLOY): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? deployFiles(full) : [path.relative(DEPLOY, full)];
  });
}

/** `KEY=VALUE` lines (env files). */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1] ?? ""] = (m[2] ?? "").trim();
  }
  return env;
}

interface ComposeService {
  name: string;
  raw: Obj;
  command: string[] | undefined;
  ports: { host: number; container: number }[];
  environment: Record<string, string>;
  envFiles: string[];
  volumes: { source: string; target: string; readOnly: boolean }[];
  scepgate: boolean;
}

function composeServices(doc: Obj): ComposeService[] {
  return Object.entries(obj(doc["services"], "services")).map(([name, value]) => {
    const s = obj(value, `services.${name}`);
    const what = `services.${name}`;
    const cmd = s["command"];
    const env = s["environment"];
    const environment: Record<string, string> = {};
    if (Array.isArray(env)) for (const e of strings(env, `${what}.environment`)) environment[e.split("=")[0] ?? ""] = e.slice(e.indexOf("=") + 1);
    else if (env !== undefined) for (const [k, v] of Object.entries(obj(env, `${what}.environment`))) environment[k] = str(v, `${what}.environment.${k}`);
    const envFile = s["env_file"];
    const envFiles = envFile === undefined ? [] : typeof envFile === "string" ? [envFile]
      : list(envFile, `${what}.env_file`).map((f) => (typeof f === "string" ? f : str(obj(f, "env_file").path, "env_file.path")));
    const ports = list(s["ports"], `${what}.ports`).map((p) => {
      if (isObj(p)) return { host: Number(p["published"]), container: Number(p["target"]) };
      const parts = String(p).split(":");
      return { host: Number(parts.at(-2)), container: Number((parts.at(-1) ?? "").replace(/\/tcp$/, "")) };
    });
    const volumes = list(s["volumes"], `${what}.volumes`).map((v) => {
      if (isObj(v)) return { source: str(v["source"], "volume.source"), target: str(v["target"], "volume.target"), readOnly: v["read_only"] === true };
      const [source = "", target = "", mode = ""] = str(v, `${what}.volumes[]`).split(":");
      return { source, target, readOnly: mode.split(",").includes("ro") };
    });
    const build = s["build"];
    const dockerfile = isObj(build) ? build["dockerfile"] : undefined;
    const image = typeof s["image"] === "string" ? s["image"] : "";
    return {
      name,
      raw: s,
      command: cmd === undefined ? undefined : typeof cmd === "string" ? shellWords(cmd) : strings(cmd, `${what}.command`),
      ports,
      environment,
      envFiles,
      volumes,
      scepgate: dockerfile === "deploy/Dockerfile" || /^scepgate(:|$)/.test(image),
    };
  });
}

interface K8sWorkload {
  file: string;
  kind: string;
  name: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  pod: Obj;
  containers: Obj[];
}

function k8sDocs(): { file: string; doc: Obj }[] {
  return deployFiles(path.join(DEPLOY, "k8s")).filter((f) => /\.ya?ml$/.test(f)).flatMap((file) => {
    // Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml): `yes` is a boolean there.
    const docs = parseAllDocuments(read(file), { version: "1.1" });
    return docs.map((d, i) => {
      if (d.errors.length > 0) throw new Error(`${file} document ${i}: ${d.errors[0]?.message ?? ""}`);
      return { file, doc: obj(d.toJS(), `${file} document ${i}`) };
    });
  });
}

function labelsOf(v: unknown, what: string): Record<string, string> {
  return Object.fromEntries(Object.entries(isObj(v) ? v : {}).map(([k, x]) => [k, str(x, `${what}.${k}`)]));
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function workloads(docs: { file: string; doc: Obj }[]): K8sWorkload[] {
  return docs.filter(({ doc }) => ["Deployment", "StatefulSet", "DaemonSet"].includes(String(doc["kind"]))).map(({ file, doc }) => {
    const meta = obj(doc["metadata"], `${file} metadata`);
    const spec = obj(doc["spec"], `${file} spec`);
    const template = obj(spec["template"], `${file} spec.template`);
    const pod = obj(template["spec"], `${file} pod spec`);
    return {
      file,
      kind: String(doc["kind"]),
      name: str(meta["name"], `${file} metadata.name`),
      labels: labelsOf(obj(template["metadata"], `${file} template.metadata`)["labels"], `${file} template labels`),
      selector: labelsOf(obj(spec["selector"], `${file} spec.selector`)["matchLabels"], `${file} matchLabels`),
      pod,
      containers: list(pod["containers"], `${file} containers`).map((c) => obj(c, `${file} container`)),
    };
  });
}

function isScepgateContainer(c: Obj): boolean {
  return /^scepgate(:|@|$)/.test(String(c["image"]));
}

/** A container's env: plain values, and secretKeyRefs filled with a placeholder of the right shape (tokens need 16+ characters). */
function containerEnv(c: Obj, what: string): { env: Record<string, string>; secretRefs: { var: string; name: string; key: string }[] } {
  const env: Record<string, string> = {};
  const secretRefs: { var: string; name: string; key: string }[] = [];
  for (const e of list(c["env"], `${what}.env`)) {
    const entry = obj(e, `${what}.env[]`);
    const name = str(entry["name"], `${what}.env[].name`);
    if ("value" in entry) env[name] = str(entry["value"], `${what}.env.${name}.value (Kubernetes wants a string)`);
    const ref = isObj(entry["valueFrom"]) ? entry["valueFrom"]["secretKeyRef"] : undefined;
    if (isObj(ref)) {
      secretRefs.push({ var: name, name: str(ref["name"], "secretKeyRef.name"), key: str(ref["key"], "secretKeyRef.key") });
      env[name] = "placeholder-from-a-kubernetes-secret";
    }
  }
  return { env, secretRefs };
}

/** A k8s port reference (number or name) resolved against the container's ports. */
function resolvePort(ref: unknown, container: Obj): number | undefined {
  if (typeof ref === "number") return ref;
  const port = list(container["ports"], "ports").map((p) => obj(p, "port")).find((p) => p["name"] === ref);
  return port === undefined ? undefined : Number(port["containerPort"]);
}

// ───────────────────────────── config helpers ─────────────────────────────

/** The stop timeout a setup needs: the longest upstream.timeout + 15 s (what a worker may wait for on SIGTERM). */
function minGraceSeconds(config: Config): number {
  const timeouts = Object.values(config.profiles).map((p) => p.upstream?.timeout ?? 30_000);
  return Math.max(30_000, ...timeouts) / 1000 + 15;
}

/** Leaf paths of a parsed YAML document that hold a non-empty value at a secret key. */
function secretValuesIn(node: unknown, at: string[] = []): string[] {
  if (isObj(node)) return Object.entries(node).flatMap(([k, v]) => secretValuesIn(v, [...at, k]));
  const set = node !== undefined && node !== null && node !== "";
  return set && isSecretPath(at) ? [at.join(".")] : [];
}

/** Placeholders that are obviously not secret values. */
const PLACEHOLDER = /^(?:|<[^>]*>|"?\$\([^)]*\)"?|CHANGE[-_]?ME.*|\.\.\.)$/i;

/** Loads a config file with the environment the setup gives the process. */
async function loadWith(file: string, env: Record<string, string>): Promise<LoadedConfig> {
  return loadConfig({ file, env, cwd: scratch });
}

let scratch = "";

// ───────────────────────────── the tests ─────────────────────────────

const image = imageModel(read("Dockerfile"));
const composeDoc = obj(parseYaml(read("compose.yaml"), { merge: true }), "compose.yaml");
const services = composeServices(composeDoc);
const gateServices = services.filter((s) => s.scepgate);
const k8s = k8sDocs();
const pods = workloads(k8s);
const gatePods = pods.filter((w) => w.containers.some(isScepgateContainer));
const units = deployFiles(path.join(DEPLOY, "systemd")).filter((f) => f.endsWith(".service")).map((file) => ({ file, ini: parseIni(read(file)) }));
const readme = read("README.md");
const pkg = obj(JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")), "package.json");

/** The command each setup runs, by file. */
function declaredInvocations(): { where: string; argv: string[] }[] {
  const out: { where: string; argv: string[] }[] = [{ where: "Dockerfile CMD", argv: image.cmd }];
  for (const s of gateServices) out.push({ where: `compose.yaml ${s.name}`, argv: s.command ?? image.cmd });
  for (const w of gatePods) {
    for (const c of w.containers.filter(isScepgateContainer)) out.push({ where: `${w.file} ${w.name}`, argv: strings(c["args"], "args") });
  }
  for (const { file, ini } of units) {
    const exec = shellWords(iniValue(ini, "Service", "ExecStart") ?? "");
    out.push({ where: `${file} ExecStart`, argv: exec.slice(2) });
  }
  for (const file of deployFiles()) {
    for (const { argv, line } of scriptInvocations(read(file))) out.push({ where: `${file}: ${line}`, argv });
  }
  return out;
}

/** Every HTTP path a health check or probe in deploy/ requests. */
function declaredProbePaths(): { where: string; path: string }[] {
  const scriptPath = (argv: readonly string[], at: number) => (argv[at]?.startsWith("/") ? argv[at] : "/healthz") ?? "/healthz";
  const out = [{ where: "Dockerfile HEALTHCHECK", path: scriptPath(image.healthcheck, 2) }];
  for (const s of gateServices) {
    const hc = s.raw["healthcheck"];
    if (!isObj(hc) || hc["test"] === undefined) continue;
    const test = strings(hc["test"], `${s.name}.healthcheck.test`);
    if (test[2]?.endsWith("healthcheck.mjs")) out.push({ where: `compose.yaml ${s.name} healthcheck`, path: scriptPath(test, 3) });
  }
  for (const w of gatePods) {
    for (const c of w.containers.filter(isScepgateContainer)) {
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        const get = isObj(c[probe]) ? (c[probe] as Obj)["httpGet"] : undefined;
        if (isObj(get)) out.push({ where: `${w.file} ${w.name}.${probe}`, path: str(get["path"], `${probe}.httpGet.path`) });
      }
    }
  }
  return out;
}

/**
 * The image's working directory without a container engine: every COPY of
 * the final stage from the build context, and node_modules as
 * `npm prune --omit=dev` leaves it (the lockfile's packages not marked dev;
 * optional ones for another platform are absent here as there). The image's
 * dist/ is left out: without it bin/scepgate.js runs the sources through tsx,
 * so this also proves the runtime dependencies suffice for that path.
 */
function buildImageLayout(root: string): void {
  for (const c of image.copies) {
    const rel = path.posix.relative(image.workdir, c.imagePath);
    if (rel.startsWith("..")) throw new Error(`COPY ${c.source} goes outside WORKDIR ${image.workdir}: extend buildImageLayout`);
    cpSync(path.join(REPO_ROOT, c.source), path.join(root, rel), { recursive: true });
  }
  const lock = obj(JSON.parse(readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")), "package-lock.json");
  for (const [key, meta] of Object.entries(obj(lock["packages"], "packages"))) {
    if (!key.startsWith("node_modules/") || obj(meta, key)["dev"] === true) continue;
    const source = path.join(REPO_ROOT, key);
    if (!existsSync(source)) continue;
    const nested = `${source}${path.sep}node_modules${path.sep}`; // nested packages are lockfile entries of their own
    cpSync(source, path.join(root, key), { recursive: true, filter: (f) => !f.startsWith(nested) });
  }
}

const dockerEnv = (): Record<string, string> => ({ ...image.env });

describe("deploy/ against the real scepgate", () => {
  let redis: RedisHandle | undefined;
  let front: ManagedProcess | undefined;
  let frontPort = 0;
  const argsOf = (name: string) => strings(gatePods.find((w) => w.name === name)?.containers.find(isScepgateContainer)?.["args"], `${name} args`);
  /** The container's environment: the image's ENV, with the data dir, port and Redis of this test. */
  const imageEnv = (port: number) => childEnv({
    ...image.env,
    SCEPGATE_DATA_DIR: path.join(scratch, "data"),
    SCEPGATE_LISTEN_PORT: String(port),
    SCEPGATE_REDIS_URL: redis?.url ?? "",
    SCEPGATE_REDIS_KEY_PREFIX: uniquePrefix("deploy"),
  });

  beforeAll(async () => {
    scratch = makeTempDir("deploy-");
    layout = path.join(scratch, "app");
    buildImageLayout(layout);
    redis = await startRedis();
    // The Kubernetes front's exact arguments, run the way the image runs them.
    frontPort = await freePort();
    front = startProcess(process.execPath, [...image.entrypoint.slice(1), ...argsOf("scepgate-front")], { cwd: layout, env: imageEnv(frontPort), name: "image-front" });
    await waitForUrl(`http://127.0.0.1:${frontPort}/healthz`, { process: front, timeoutMs: 60_000, accept: (r) => r.ok });
  });

  afterAll(async () => {
    if (front?.isRunning()) await front.stop({ graceMs: 10_000 });
    await redis?.stop();
  });

  describe("the checkers themselves", () => {
    it("fail/checkArgv rejects unknown commands, unknown options, missing values, extra arguments", async () => {
      expect(await checkArgv(["serve", "--no-workers"])).toEqual([]);
      expect(await checkArgv(["serve", "--no-worker"])).toEqual([expect.stringContaining("has no option --no-worker")]);
      expect(await checkArgv(["wrker"])).toEqual([expect.stringContaining("not a scepgate command")]);
      expect(await checkArgv(["worker", "--config"])).toEqual([expect.stringContaining("needs a value")]);
      expect(await checkArgv(["worker", "extra"])).toEqual([expect.stringContaining("unexpected argument")]);
      expect(await checkArgv(["ra"])).toEqual([expect.stringContaining("needs one of its subcommands")]);
      expect(await checkArgv(["ra", "init", "--subject", "CN=x", "--force"])).toEqual([]);
    });

    it("fail/the parsers see what a container engine or systemd would", () => {
      expect(parseDockerfile("FROM a\n# c\nRUN x \\\n  && y\nCMD [\"serve\"]\n").map((i) => [i.op, i.args.replace(/\s+/g, " ")])).toEqual([
        ["FROM", "a"], ["RUN", "x && y"], ["CMD", "[\"serve\"]"],
      ]);
      expect(dockerIgnored(["**", "!src"], "src/a/b.ts")).toBe(false);
      expect(dockerIgnored(["**", "!src"], "data/ra.key")).toBe(true);
      expect(dockerIgnored(["node_modules"], "node_modules/x/y.js")).toBe(true);
      const ini = parseIni("[Service]\nEnvironment=A=1\nEnvironment=B=2\nExecStart=/x \\\n  y\n");
      expect(ini.get("Service")?.get("Environment")).toEqual(["A=1", "B=2"]);
      expect(iniValue(ini, "Service", "ExecStart")).toBe("/x y");
      expect(systemdSeconds("1min 30s")).toBe(90);
      expect(composeSeconds("1m30s")).toBe(90);
      expect(shellWords("node bin/scepgate.js ra init --challenge '<x y>' && echo")).toEqual(["node", "bin/scepgate.js", "ra", "init", "--challenge", "<x y>"]);
    });
  });

  describe("commands and options", () => {
    it("ok/every scepgate invocation in deploy/ is a real command with real options", async () => {
      const invocations = declaredInvocations();
      expect(invocations.length).toBeGreaterThan(10);
      const problems = (await Promise.all(invocations.map(async ({ where, argv }) => (await checkArgv(argv)).map((p) => `${where}: ${p}`)))).flat();
      expect(problems).toEqual([]);
    });

    it("ok/the topology: the image serves by default, fronts run serve --no-workers, workers run worker", () => {
      expect(image.entrypoint).toEqual(["node", "bin/scepgate.js"]);
      expect(image.cmd).toEqual(["serve"]);
      const byRole = (s: ComposeService) => (s.command ?? image.cmd).join(" ");
      const running = gateServices.filter((s) => s.raw["profiles"] === undefined);
      expect(running.filter((s) => byRole(s) === "serve --no-workers").map((s) => s.name)).toEqual(["front-1", "front-2"]);
      expect(running.filter((s) => byRole(s) === "worker").map((s) => s.name)).toEqual(["worker-1", "worker-2"]);
      expect(running.every((s) => ["serve --no-workers", "worker"].includes(byRole(s)))).toBe(true);
      const front = gatePods.find((w) => w.name === "scepgate-front");
      const worker = gatePods.find((w) => w.name === "scepgate-worker");
      expect(front?.containers[0]?.["args"]).toEqual(["serve", "--no-workers"]);
      expect(worker?.containers[0]?.["args"]).toEqual(["worker"]);
      for (const w of gatePods) {
        // `command` would replace the image's ENTRYPOINT (node bin/scepgate.js)
        expect(w.containers.filter(isScepgateContainer).map((c) => c["command"])).toEqual([undefined]);
        expect(selects(w.selector, w.labels), `${w.file}: selector matches its pods`).toBe(true);
      }
      const unitArgs = Object.fromEntries(units.map(({ file, ini }) => [file, shellWords(iniValue(ini, "Service", "ExecStart") ?? "").slice(2, 4)]));
      expect(unitArgs).toEqual({
        "systemd/scepgate.service": ["serve", "--no-workers"],
        "systemd/scepgate-worker@.service": ["worker", "--config"],
      });
    });
  });

  describe("Dockerfile", () => {
    it("ok/copies only files that exist, into the build context the dockerignore lets through", () => {
      const ignore = read("Dockerfile.dockerignore").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
      expect(image.copies.length).toBeGreaterThan(3);
      for (const c of image.copies) {
        expect(statSync(path.join(REPO_ROOT, c.source), { throwIfNoEntry: false }), `COPY ${c.source} (line ${c.line}) exists`).toBeDefined();
        expect(dockerIgnored(ignore, c.source), `COPY ${c.source} is in the build context`).toBe(false);
      }
      // the deps stage too
      const depsCopies = (image.stages[0] ?? []).filter((i) => i.op === "COPY").flatMap((i) => execForm(i.args).slice(0, -1));
      for (const source of depsCopies) expect(dockerIgnored(ignore, source), `deps stage COPY ${source}`).toBe(false);
      for (const secret of ["data/profiles/default/ra.key", "scepgate.yaml", "deploy/secrets/ra.key", "deploy/scepgate.env", "node_modules/x/index.js", ".git/config"]) {
        expect(dockerIgnored(ignore, secret), `${secret} stays out of the build context`).toBe(true);
      }
    });

    it("ok/runs bin/scepgate.js and the health check from copied files; the runtime dependencies survive npm ci --omit=dev", () => {
      expect(repoFileOf(image, image.entrypoint[1] ?? "")).toBe("bin/scepgate.js");
      expect(image.healthcheck[0]).toBe("node");
      expect(repoFileOf(image, image.healthcheck[1] ?? "")).toBe("deploy/healthcheck.mjs");
      const runs = image.stages.flat().filter((i) => i.op === "RUN").map((i) => i.args);
      expect(runs.some((r) => /npm ci\b.*&& npm prune --omit=dev/.test(r)), "build stage: npm ci (builds dist), then prune the dev dependencies").toBe(true);
      expect(image.final.some((i) => i.op === "COPY" && /--from=build\b.*node_modules/.test(i.args))).toBe(true);
      expect(image.final.some((i) => i.op === "COPY" && /--from=build\b.*dist/.test(i.args))).toBe(true);
      for (const dir of ["src", "workers", "bin"]) expect(repoFileOf(image, dir), `${dir} is copied`).toBe(dir);

      const deps = new Set(Object.keys(obj(pkg["dependencies"], "dependencies")));
      const builtins = new Set(builtinModules);
      const imported = new Set<string>();
      const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : /\.(ts|js|mjs)$/.test(e.name) ? [path.join(dir, e.name)] : []));
      for (const file of ["src", "workers", "bin"].flatMap((d) => walk(path.join(REPO_ROOT, d)))) {
        const code = readFileSync(file, "utf8");
        const specifiers = /^\s*(?:import|export)\s[^;"'=]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;
        for (const m of code.matchAll(specifiers)) {
          const spec = m[1] ?? m[2] ?? m[3] ?? "";
          if (spec.startsWith(".")) continue;
          if (spec.startsWith("node:") || !/^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]*)?$/.test(spec)) continue;
          const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? spec);
          if (!builtins.has(name)) imported.add(name);
        }
      }
      expect(imported.has("tsx") && imported.has("pkijs")).toBe(true);
      expect([...imported].filter((name) => !deps.has(name)), "imported at run time but not in dependencies").toEqual([]);
      expect([...deps].filter((name) => !imported.has(name)), "in dependencies but imported nowhere").toEqual([]);
    });

    it("ok/non-root, a data volume where SCEPGATE_DATA_DIR points, the listen port exposed, a Node the package accepts", async () => {
      expect(image.user).toMatch(/^[1-9]\d*(:\d+)?$/); // numeric, so Kubernetes' runAsNonRoot can verify it
      expect(image.volumes).toContain(image.env["SCEPGATE_DATA_DIR"]);
      const loaded = await loadConfig({ env: dockerEnv(), cwd: scratch });
      expect(loaded.config.listen.host).toBe("0.0.0.0");
      expect(loaded.config.dataDir).toBe(image.env["SCEPGATE_DATA_DIR"]);
      expect(image.expose).toEqual([loaded.config.listen.port]);
      const engines = str(obj(pkg["engines"], "engines")["node"], "engines.node"); // ">=20.19"
      for (const from of image.stages.map((s) => s[0]?.args ?? "")) {
        const major = /^node:(\d+)-/.exec(from)?.[1];
        expect(Number(major), `FROM ${from} vs engines ${engines}`).toBeGreaterThanOrEqual(Number(/(\d+)/.exec(engines)?.[1]));
      }
    });
  });

  describe("compose.yaml", () => {
    it("ok/Redis runs with appendonly yes and maxmemory-policy noeviction, on a volume", () => {
      const redis = services.find((s) => s.name === "redis");
      const argv = redis?.command ?? [];
      expect(argv[argv.indexOf("--appendonly") + 1]).toBe("yes");
      expect(argv[argv.indexOf("--maxmemory-policy") + 1]).toBe("noeviction");
      expect(redis?.volumes.map((v) => v.target)).toContain("/data");
      for (const s of gateServices.filter((x) => x.raw["profiles"] === undefined)) {
        expect(obj(obj(s.raw["depends_on"], `${s.name}.depends_on`)["redis"], `${s.name}.depends_on.redis`)["condition"]).toBe("service_healthy");
      }
    });

    it("ok/each scepgate service's config loads with its environment; ports, grace period, config and RA mounts agree with it", async () => {
      expect(gateServices.length).toBeGreaterThanOrEqual(4);
      const hostPorts: number[] = [];
      for (const s of gateServices) {
        const fileEnv = Object.assign({}, ...s.envFiles.map((f) => parseEnvFile(read(`${f}.example`)))) as Record<string, string>;
        const env = { ...dockerEnv(), ...fileEnv, ...s.environment };
        const configPath = env["SCEPGATE_CONFIG"] ?? "";
        const mount = s.volumes.find((v) => v.target === configPath);
        expect(mount, `${s.name}: ${configPath} is mounted`).toBeDefined();
        const loaded = await loadWith(path.resolve(DEPLOY, mount?.source ?? ""), env);
        const { config } = loaded;
        expect(config.listen.host, s.name).toBe("0.0.0.0");
        expect(config.redis.url, `${s.name}: talks to the compose Redis`).toMatch(/^redis:\/\/redis:6379\//);
        for (const p of s.ports) {
          expect(p.container, `${s.name}: container port`).toBe(config.listen.port);
          hostPorts.push(p.host);
        }
        expect(composeSeconds(str(s.raw["stop_grace_period"], `${s.name}.stop_grace_period`)), s.name).toBeGreaterThanOrEqual(minGraceSeconds(config));
        for (const [name, profile] of Object.entries(config.profiles)) {
          expect(profile.ra, `${s.name}: profile ${name} has one configured RA identity`).toBeDefined();
          for (const file of [profile.ra?.cert, profile.ra?.key]) {
            const dirMount = s.volumes.find((v) => path.posix.dirname(file ?? "") === v.target);
            expect(dirMount, `${s.name}: ${file} is in a mounted directory`).toBeDefined();
            expect(statSync(path.resolve(DEPLOY, dirMount?.source ?? ""), { throwIfNoEntry: false })?.isDirectory(), `${s.name}: ${dirMount?.source}`).toBe(true);
            // read-only for the long-running services; only the one-off ra-init writes there
            expect(dirMount?.readOnly, `${s.name}: ${dirMount?.target} read-only`).toBe(s.raw["profiles"] === undefined);
          }
        }
      }
      expect(hostPorts.sort((a, b) => a - b)).toEqual([8080, 8081]);
      // fronts and workers share one RA directory
      const raSources = new Set(gateServices.flatMap((s) => s.volumes.filter((v) => v.target === "/etc/scepgate/ra").map((v) => v.source)));
      expect(raSources.size).toBe(1);
    });

    it("ok/fronts are health-checked on a probe path, workers (no HTTP) are not", () => {
      for (const s of gateServices) {
        const hc = obj(s.raw["healthcheck"] ?? {}, `${s.name}.healthcheck`);
        const role = (s.command ?? image.cmd)[0];
        if (role === "serve") {
          const test = strings(hc["test"], `${s.name}.healthcheck.test`);
          expect(test.slice(0, 2)).toEqual(["CMD", "node"]);
          expect(repoFileOf(image, test[2] ?? ""), `${s.name}: healthcheck script is in the image`).toBe("deploy/healthcheck.mjs");
        } else {
          expect(hc["disable"], `${s.name}: the image's HTTP healthcheck would fail for ${role}`).toBe(true);
        }
      }
    });
  });

  describe("k8s/", () => {
    const configMap = k8s.find(({ doc }) => doc["kind"] === "ConfigMap")?.doc;

    it("ok/kustomization lists every manifest beside it; no Secret with values is committed", () => {
      const kustomization = k8s.find(({ doc }) => doc["kind"] === "Kustomization");
      const resources = strings(kustomization?.doc["resources"], "resources").map((r) => path.posix.join("k8s", r)).sort();
      const beside = deployFiles(path.join(DEPLOY, "k8s")).filter((f) => /^k8s\/[^/]+\.ya?ml$/.test(f) && f !== "k8s/kustomization.yaml").sort();
      expect(resources).toEqual(beside);
      expect(k8s.filter(({ doc }) => doc["kind"] === "Secret").map(({ file }) => file)).toEqual([]);
    });

    it("ok/the ConfigMap config loads with each container's environment; ports, probes, mounts and grace periods agree with it", async () => {
      expect(configMap).toBeDefined();
      const cmName = str(obj(configMap?.["metadata"], "metadata")["name"], "ConfigMap name");
      const cmData = obj(configMap?.["data"], "ConfigMap data");
      expect(gatePods.map((w) => w.name).sort()).toEqual(["scepgate-front", "scepgate-worker"]);
      for (const w of gatePods) {
        const c = w.containers.find(isScepgateContainer) ?? {};
        const what = `${w.file} ${w.name}`;
        const { env } = containerEnv(c, what);
        const mounts = list(c["volumeMounts"], "volumeMounts").map((m) => obj(m, "volumeMount"));
        const volumes = list(w.pod["volumes"], "volumes").map((v) => obj(v, "volume"));
        const volumeOf = (mountPath: string) => {
          const m = mounts.find((x) => x["mountPath"] === mountPath);
          return { mount: m, volume: volumes.find((v) => v["name"] === m?.["name"]) };
        };
        // SCEPGATE_CONFIG is the ConfigMap's key in its mounted directory
        const configPath = env["SCEPGATE_CONFIG"] ?? "";
        const { volume: cfgVolume } = volumeOf(path.posix.dirname(configPath));
        expect(obj(cfgVolume?.["configMap"], `${what}: ${configPath} comes from a ConfigMap`)["name"]).toBe(cmName);
        const key = path.posix.basename(configPath);
        const file = path.join(scratch, "k8s", w.name, key);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, str(cmData[key], `ConfigMap data.${key}`));
        const { config } = await loadWith(file, { ...dockerEnv(), ...env });
        expect(config.listen.host, what).toBe("0.0.0.0");
        expect(w.pod["terminationGracePeriodSeconds"], `${what}: terminationGracePeriodSeconds`).toBeGreaterThanOrEqual(minGraceSeconds(config));

        // non-root, read-only root: the data dir and /tmp (tsx's cache) are writable volumes
        const podSc = obj(w.pod["securityContext"], `${what} pod securityContext`);
        const sc = obj(c["securityContext"], `${what} securityContext`);
        expect(podSc["runAsNonRoot"]).toBe(true);
        expect(String(podSc["runAsUser"])).toBe(image.user.split(":")[0]);
        expect(sc["readOnlyRootFilesystem"]).toBe(true);
        expect(sc["allowPrivilegeEscalation"]).toBe(false);
        for (const dir of [config.dataDir, "/tmp"]) {
          const { mount, volume } = volumeOf(dir);
          expect(volume?.["emptyDir"] ?? volume?.["persistentVolumeClaim"], `${what}: ${dir} is a writable volume`).toBeDefined();
          expect(mount?.["readOnly"], `${what}: ${dir}`).not.toBe(true);
        }
        // the one RA identity: every ra file is a key of the mounted Secret
        for (const [name, profile] of Object.entries(config.profiles)) {
          expect(profile.ra, `${what}: profile ${name} has a configured RA identity`).toBeDefined();
          for (const raFile of [profile.ra?.cert, profile.ra?.key]) {
            const { mount, volume } = volumeOf(path.posix.dirname(raFile ?? ""));
            expect(mount?.["readOnly"], `${what}: ${raFile} read-only`).toBe(true);
            const secret = obj(volume?.["secret"], `${what}: ${raFile} comes from a Secret`);
            expect(readmeSecrets().get(str(secret["secretName"], "secretName"))?.has(path.posix.basename(raFile ?? "")), `${what}: ${raFile} is a key of the Secret the README creates`).toBe(true);
          }
        }

        const ports = list(c["ports"], "ports").map((p) => obj(p, "port"));
        const isFront = strings(c["args"], "args")[0] === "serve";
        if (!isFront) {
          expect(ports, `${what}: a worker listens on nothing`).toEqual([]);
          continue;
        }
        expect(ports.map((p) => p["containerPort"]), `${what}: containerPort`).toEqual([config.listen.port]);
        for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
          const get = obj(obj(c[probe], `${what}.${probe}`)["httpGet"], `${what}.${probe}.httpGet`);
          expect(resolvePort(get["port"], c), `${what}.${probe} port`).toBe(config.listen.port);
        }
        expect(obj(obj(c["livenessProbe"], "liveness")["httpGet"], "httpGet")["path"]).toBe("/healthz");
        expect(obj(obj(c["readinessProbe"], "readiness")["httpGet"], "httpGet")["path"]).toBe("/readyz");
      }
    });

    it("ok/the Service selects the fronts only and targets their listen port", () => {
      const svcs = k8s.filter(({ doc }) => doc["kind"] === "Service" && !String(obj(doc["metadata"], "m")["name"]).includes("redis"));
      expect(svcs.length).toBe(1);
      const spec = obj(svcs[0]?.doc["spec"], "Service spec");
      const selector = labelsOf(spec["selector"], "Service selector");
      expect(gatePods.filter((w) => selects(selector, w.labels)).map((w) => w.name)).toEqual(["scepgate-front"]);
      const front = gatePods.find((w) => w.name === "scepgate-front");
      const c = front?.containers.find(isScepgateContainer) ?? {};
      for (const p of list(spec["ports"], "Service ports").map((x) => obj(x, "Service port"))) {
        expect(resolvePort(p["targetPort"], c), `Service targetPort ${String(p["targetPort"])}`).toBe(8080);
      }
      const pdb = k8s.find(({ doc }) => doc["kind"] === "PodDisruptionBudget");
      if (pdb) {
        const sel = labelsOf(obj(obj(pdb.doc["spec"], "pdb spec")["selector"], "pdb selector")["matchLabels"], "pdb");
        expect(gatePods.filter((w) => selects(sel, w.labels)).map((w) => w.name)).toEqual(["scepgate-front"]);
      }
    });

    it("ok/secrets come from secretKeyRefs the README creates; secret variables never carry a literal value", () => {
      const created = readmeSecrets();
      for (const w of gatePods) {
        for (const c of w.containers.filter(isScepgateContainer)) {
          const { env, secretRefs } = containerEnv(c, w.name);
          for (const ref of secretRefs) expect(created.get(ref.name)?.has(ref.key), `${w.name}: ${ref.var} from secret ${ref.name}/${ref.key}`).toBe(true);
          const literal = list(c["env"], "env").map((e) => obj(e, "env")).filter((e) => "value" in e).map((e) => String(e["name"]));
          const secretVars = Object.keys(env).filter((v) => isSecretPath(resolveEnvVar(v, ["default"]) ?? []));
          expect(secretVars.filter((v) => literal.includes(v)), `${w.name}: secret variables with a literal value`).toEqual([]);
        }
      }
    });

    it("ok/the optional Redis runs with appendonly yes and maxmemory-policy noeviction", () => {
      const redis = pods.find((w) => w.name === "scepgate-redis");
      const args = strings(redis?.containers[0]?.["args"], "redis args");
      expect(args[args.indexOf("--appendonly") + 1]).toBe("yes");
      expect(args[args.indexOf("--maxmemory-policy") + 1]).toBe("noeviction");
      // and its Service is the host the ConfigMap's redis.url names
      const cmConfig = obj(parseYaml(str(obj(configMap?.["data"], "data")["scepgate.yaml"], "data")), "ConfigMap config");
      const url = new URL(str(obj(cmConfig["redis"], "redis")["url"], "redis.url"));
      const svc = k8s.find(({ doc }) => doc["kind"] === "Service" && obj(doc["metadata"], "m")["name"] === url.hostname);
      expect(svc?.file).toBe("k8s/optional/redis.yaml");
    });
  });

  describe("systemd/", () => {
    it("ok/units run node on the checkout as the scepgate user, hardened, with a 60 s stop on SIGTERM", async () => {
      expect(units.map((u) => u.file).sort()).toEqual(["systemd/scepgate-worker@.service", "systemd/scepgate.service"]);
      const config = (await loadWith(path.join(DEPLOY, "systemd", "scepgate.yaml"), parseEnvFile(read("systemd/env.example")))).config;
      for (const { file, ini } of units) {
        const get = (key: string) => iniValue(ini, "Service", key);
        const exec = shellWords(get("ExecStart") ?? "");
        const workdir = get("WorkingDirectory") ?? "";
        expect(path.isAbsolute(exec[0] ?? ""), `${file}: ExecStart names node by absolute path`).toBe(true);
        expect(path.basename(exec[0] ?? "")).toBe("node");
        expect(exec[1], `${file}: runs the checkout in WorkingDirectory`).toBe(path.posix.join(workdir, "bin/scepgate.js"));
        const configArg = exec[exec.indexOf("--config") + 1];
        expect(configArg, `${file}: --config`).toBe("/etc/scepgate/scepgate.yaml");
        expect(readme).toContain(`deploy/systemd/scepgate.yaml ${configArg}`);
        expect(get("User")).toBe("scepgate");
        expect(get("Restart")).toBe("on-failure");
        expect(get("KillSignal")).toBe("SIGTERM");
        expect(systemdSeconds(get("TimeoutStopSec") ?? "0"), `${file}: TimeoutStopSec`).toBeGreaterThanOrEqual(minGraceSeconds(config));
        for (const [key, value] of [["NoNewPrivileges", "yes"], ["ProtectSystem", "strict"], ["PrivateTmp", "yes"], ["ProtectHome", "yes"]]) {
          expect(get(key ?? ""), `${file}: ${key}`).toBe(value);
        }
        expect(get("MemoryDenyWriteExecute"), "V8's JIT needs W+X memory").toBeUndefined();
        // the data directory the process resolves is writable under ProtectSystem=strict
        const unitEnv = Object.fromEntries((ini.get("Service")?.get("Environment") ?? []).map((e) => [e.split("=")[0] ?? "", e.slice(e.indexOf("=") + 1)]));
        const effective = await loadWith(path.join(DEPLOY, "systemd", "scepgate.yaml"), { ...unitEnv, ...parseEnvFile(read("systemd/env.example")) });
        expect((get("ReadWritePaths") ?? "").split(/\s+/), `${file}: ReadWritePaths`).toContain(effective.config.dataDir);
        expect((get("EnvironmentFile") ?? "").replace(/^-/, "")).toBe("/etc/scepgate/env");
        expect(readme).toContain(`deploy/systemd/env.example /etc/scepgate/env`);
        expect(iniValue(ini, "Install", "WantedBy")).toBe("multi-user.target");
      }
    });
  });

  describe("environment variables and secrets", () => {
    it("ok/every SCEPGATE_* variable named anywhere in deploy/ is a config key or an allowed non-key variable", () => {
      const named = new Map<string, string>();
      for (const file of deployFiles()) {
        for (const m of read(file).matchAll(/\bSCEPGATE_[A-Z0-9_]*/g)) {
          const next = read(file)[(m.index ?? 0) + m[0].length] ?? "";
          if (next === "<" || next === "*" || m[0].endsWith("_")) continue; // SCEPGATE_*, SCEPGATE_PROFILES_<NAME>_… are patterns
          named.set(m[0], file);
        }
      }
      expect(named.size).toBeGreaterThan(5);
      const known = (name: string): boolean =>
        NON_CONFIG_ENV_VARS.includes(name) || resolveEnvVar(name.replace(/_FILE$/, ""), ["default"]) !== undefined;
      const unknown = [...named].filter(([name]) => !known(name));
      expect(unknown.map(([name, file]) => `${file}: ${name}`)).toEqual([]);
    });

    it("ok/no secret value is committed: no keys, no secret config values, secret variables empty or placeholders", async () => {
      const files = deployFiles();
      expect(files.filter((f) => /\.(key|pem|p12|pfx|crt|der)$/i.test(f) || /(^|\/)scepgate\.env$/.test(f))).toEqual([]);
      expect(files.filter((f) => f.startsWith("secrets/"))).toEqual(["secrets/README.md"]);
      for (const file of files) {
        const text = read(file);
        expect(text, `${file}: PEM private key`).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
        // KEY=VALUE (env files, units, shells) and KEY: VALUE (compose) for the secret variables
        for (const m of text.matchAll(/\b(SCEPGATE_[A-Z0-9_]+)(?:=|:[ \t]+)([^\s#,]*)/g)) {
          const keyPath = resolveEnvVar(m[1] ?? "", ["default"]);
          if (keyPath && isSecretPath(keyPath)) expect(m[2] ?? "", `${file}: ${m[1]}`).toMatch(PLACEHOLDER);
        }
        // command lines: --challenge X, --from-literal=key=X
        for (const m of text.matchAll(/--challenge[ =]('[^']*'|"[^"]*"|\S+)|--from-literal=[\w.-]+=('[^']*'|"(?:[^"\\]|\\.)*"|\S+)/g)) {
          const value = (m[1] ?? m[2] ?? "").replace(/^'(.*)'$/, "$1");
          expect(value, `${file}: ${m[0]}`).toMatch(/^(?:<[^>]*>|"?\$\([^)]*\)"?|X)$/);
        }
      }
      // the scepgate config files: no secret key holds a value, no password in a URL
      const configs: [string, string][] = [
        ["scepgate.compose.yaml", read("scepgate.compose.yaml")],
        ["systemd/scepgate.yaml", read("systemd/scepgate.yaml")],
        ["k8s/configmap.yaml", String(obj(k8s.find(({ doc }) => doc["kind"] === "ConfigMap")?.doc["data"], "data")["scepgate.yaml"])],
      ];
      for (const [file, text] of configs) {
        const doc = parseYaml(text) as unknown;
        expect(secretValuesIn(doc), `${file}: secret keys with values`).toEqual([]);
        for (const m of text.matchAll(/url:\s*(\S+)/g)) expect(new URL(m[1] ?? "").password, `${file}: ${m[1]}`).toBe("");
      }
      // compose: secret variables only from the env file
      for (const s of gateServices) {
        expect(Object.keys(s.environment).filter((v) => isSecretPath(resolveEnvVar(v, ["default"]) ?? [])), s.name).toEqual([]);
      }
    });
  });

  describe("probes against a running scepgate serve --no-workers", () => {
    it("ok/every probe path in deploy/ answers 200", async () => {
      const probePaths = declaredProbePaths();
      expect(probePaths.length).toBeGreaterThanOrEqual(6); // image, 2 compose fronts, 3 k8s probes
      expect(probePaths.map((p) => p.path)).toEqual(expect.arrayContaining(["/healthz", "/readyz"]));
      for (const { where, path: p } of probePaths) {
        const res = await fetch(`http://127.0.0.1:${frontPort}${p}`);
        await res.arrayBuffer();
        expect(res.status, `${where}: GET ${p}`).toBe(200);
      }
    });

    it("ok/deploy/healthcheck.mjs passes on the running front, fails on a port where nothing listens", async () => {
      const script = path.join(DEPLOY, "healthcheck.mjs");
      const host = image.env["SCEPGATE_LISTEN_HOST"] ?? "";
      const up = await run(process.execPath, [script], { env: childEnv({ SCEPGATE_LISTEN_HOST: host, SCEPGATE_LISTEN_PORT: String(frontPort) }), timeoutMs: 15_000 });
      expect(up.code, up.stderr).toBe(0);
      const ready = await run(process.execPath, [script, "/readyz"], { env: childEnv({ SCEPGATE_LISTEN_PORT: String(frontPort) }), timeoutMs: 15_000 });
      expect(ready.code, ready.stderr).toBe(0);
      const notFound = await run(process.execPath, [script, "/no-such-path"], { env: childEnv({ SCEPGATE_LISTEN_PORT: String(frontPort) }), timeoutMs: 15_000 });
      expect(notFound.code).toBe(1);
      const down = await run(process.execPath, [script], { env: childEnv({ SCEPGATE_LISTEN_PORT: String(await freePort()) }), timeoutMs: 15_000 });
      expect(down.code).toBe(1);
    });

    it("ok/the worker runs from the image layout and exits 0 on SIGTERM; so does the front", async () => {
      const worker = startProcess(process.execPath, [...image.entrypoint.slice(1), ...argsOf("scepgate-worker")], { cwd: layout, env: imageEnv(0), name: "image-worker" });
      await worker.waitForOutput(/forward workers/, 60_000);
      await sleep(1_000); // the SIGTERM handler is installed just after that line is logged
      expect(await worker.stop({ graceMs: 45_000 }), worker.output()).toEqual({ code: 0, signal: null });
      expect(await front?.stop({ graceMs: 45_000 }), front?.output()).toEqual({ code: 0, signal: null });
    });
  });
});

/** Secrets the README's `kubectl create secret` commands make: name → keys. */
function readmeSecrets(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const joined = readme.replace(/\\\n\s*/g, " ");
  for (const m of joined.matchAll(/kubectl create secret (tls|generic) ([\w.-]+)([^\n]*)/g)) {
    const keys = new Set<string>(m[1] === "tls" ? ["tls.crt", "tls.key"] : []);
    for (const k of (m[3] ?? "").matchAll(/--from-(?:literal|file)=([\w.-]+)=/g)) keys.add(k[1] ?? "");
    out.set(m[2] ?? "", keys);
  }
  return out;
}
