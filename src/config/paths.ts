/**
 * Relative file paths in the configuration resolve against the directory of
 * the config file (or the working directory when there is no file), so that
 * a config file can be moved together with its keys.
 *
 * @module
 */
import path from "node:path";
import type { Config, RaConfig } from "./schema.js";

type Identity = Omit<RaConfig, "encryption">;

function resolveIdentity<T extends Identity>(identity: T, baseDir: string): T {
  const out = { ...identity };
  for (const key of ["cert", "key", "p12"] as const) {
    const file = out[key];
    if (file !== undefined) out[key] = path.resolve(baseDir, file);
  }
  return out;
}

/**
 * Returns `config` with `dataDir`, `audit.file` and every `ra` file (`cert`,
 * `key`, `p12`, and those of `ra.encryption`) made absolute against `baseDir`.
 */
export function resolvePaths(config: Config, baseDir: string): Config {
  const profiles = Object.fromEntries(Object.entries(config.profiles).map(([name, profile]) => {
    const ra = profile.ra;
    if (ra === undefined) return [name, profile];
    const resolved = resolveIdentity(ra, baseDir);
    if (ra.encryption !== undefined) resolved.encryption = resolveIdentity(ra.encryption, baseDir);
    return [name, { ...profile, ra: resolved }];
  }));
  const audit = config.audit.file === undefined ? config.audit : { ...config.audit, file: path.resolve(baseDir, config.audit.file) };
  return { ...config, dataDir: path.resolve(baseDir, config.dataDir), audit, profiles };
}
