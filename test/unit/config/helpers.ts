import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, loadConfig, type LoadedConfig } from "../../../src/config/index.js";

/** A fresh empty directory under the OS temp dir. */
export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "scepgate-config-"));
}

/** Writes `text` to `name` inside a fresh temp dir (creating subdirectories) and returns its path. */
export async function writeConfig(text: string, name = "scepgate.yaml"): Promise<string> {
  const file = path.join(await tempDir(), name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** Loads `text` as a config file with the given environment. */
export async function loadText(text: string, env: NodeJS.ProcessEnv = {}): Promise<LoadedConfig> {
  return loadConfig({ file: await writeConfig(text), env });
}

/** Loads with no file at all (an empty cwd) and the given environment. */
export async function loadEnv(env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  return loadConfig({ env, cwd: await tempDir() });
}

/** The ConfigError that `promise` rejects with (fails the test otherwise). */
export async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError, but loading succeeded");
}
