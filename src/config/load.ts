/**
 * `loadConfig`: file (or zero-config defaults) + `SCEPGATE_*` environment →
 * a validated {@link Config}.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { applyEnvOverrides, readEnvOverrides } from "./env.js";
import { issuesToError } from "./issues.js";
import { readOperatorDigests } from "./operators.js";
import { resolvePaths } from "./paths.js";
import { configSchema, type Config } from "./schema.js";
import { readYamlFile, type YamlFile } from "./yaml-file.js";

/** The file looked for in the working directory when no file is named. */
export const DEFAULT_CONFIG_FILE = "scepgate.yaml";

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** `--config FILE`: must exist. Else `$SCEPGATE_CONFIG`, else `./scepgate.yaml` if present, else defaults. */
  readonly file?: string | undefined;
  /** The environment to read `SCEPGATE_*` overrides from; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** The working directory; default `process.cwd()`. */
  readonly cwd?: string | undefined;
}

/** What {@link loadConfig} returns. */
export interface LoadedConfig {
  /** The validated configuration, defaults filled in, file paths absolute. */
  readonly config: Config;
  /** The config file's absolute path, or `"defaults"` when no file was used. */
  readonly source: string;
  /** The directory relative paths were resolved against: the file's, else `cwd`. */
  readonly baseDir: string;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The config file to read, or `undefined` for the zero-config defaults. */
async function chooseFile(opts: LoadConfigOptions, env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  const named = opts.file ?? (env.SCEPGATE_CONFIG === "" ? undefined : env.SCEPGATE_CONFIG);
  if (named !== undefined) return path.resolve(cwd, named);
  const implicit = path.join(cwd, DEFAULT_CONFIG_FILE);
  return (await isFile(implicit)) ? implicit : undefined;
}

function profileNames(data: Record<string, unknown>): string[] {
  const profiles = data.profiles;
  return typeof profiles === "object" && profiles !== null ? Object.keys(profiles) : [];
}

/**
 * Loads the configuration: the YAML file (see {@link LoadConfigOptions.file}),
 * then the `SCEPGATE_*` environment overrides on top, validated against the
 * schema with defaults filled in, relative paths made absolute.
 *
 * @throws ConfigError (one line, naming the key, the env var if any, never a
 *   secret's value) when the file cannot be read or parsed, an environment
 *   variable names no key, or a value is invalid
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const file = await chooseFile(opts, env, cwd);
  const yaml: YamlFile | undefined = file === undefined ? undefined : await readYamlFile(file);
  const data = yaml?.data ?? {};
  const overrides = readEnvOverrides(env, profileNames(data));
  const input = applyEnvOverrides(data, overrides);
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw issuesToError(result.error.issues, { input, overrides, file, locate: yaml?.locate });
  }
  const baseDir = file === undefined ? cwd : path.dirname(file);
  const config = resolvePaths(result.data, baseDir);
  if (config.admin.operators === undefined) return { config, source: file ?? "defaults", baseDir };
  const operators = await readOperatorDigests(config.admin.operators, baseDir);
  return { config: { ...config, admin: { ...config.admin, operators } }, source: file ?? "defaults", baseDir };
}
