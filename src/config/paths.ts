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

/** `files` with each of `keys` that is set made absolute against `baseDir`. */
function resolveFiles<T extends object, K extends keyof T>(files: T, keys: readonly K[], baseDir: string): T {
  const out = { ...files };
  for (const key of keys) {
    const file = out[key];
    if (typeof file === "string") out[key] = path.resolve(baseDir, file) as T[K];
  }
  return out;
}

function resolveIdentity<T extends Identity>(identity: T, baseDir: string): T {
  const out = resolveFiles(identity, ["cert", "key", "p12"], baseDir);
  // A module given by a bare name (libsofthsm2.so) is left to the dynamic loader's search path.
  if (out.pkcs11 !== undefined) {
    const module = out.pkcs11.module.includes("/") ? path.resolve(baseDir, out.pkcs11.module) : out.pkcs11.module;
    out.pkcs11 = { ...resolveFiles(out.pkcs11, ["pinFile"], baseDir), module };
  }
  return out;
}

/**
 * Returns `config` with `dataDir`, `audit.file`, `listen.tls`, every `ra` file
 * (`cert`, `key`, `p12`, `pkcs11.pinFile` and a `pkcs11.module` path, and
 * those of `ra.encryption`) and every `upstream.tls` file made absolute
 * against `baseDir`.
 */
export function resolvePaths(config: Config, baseDir: string): Config {
  const profiles = Object.fromEntries(Object.entries(config.profiles).map(([name, profile]) => {
    const out = { ...profile };
    if (profile.ra !== undefined) {
      out.ra = resolveIdentity(profile.ra, baseDir);
      if (profile.ra.encryption !== undefined) out.ra.encryption = resolveIdentity(profile.ra.encryption, baseDir);
    }
    if (profile.upstream?.tls !== undefined) {
      out.upstream = { ...profile.upstream, tls: resolveFiles(profile.upstream.tls, ["ca", "cert", "key"], baseDir) };
    }
    return [name, out];
  }));
  const audit = config.audit.file === undefined ? config.audit : { ...config.audit, file: path.resolve(baseDir, config.audit.file) };
  const listen = config.listen.tls === undefined ? config.listen : { ...config.listen, tls: resolveFiles(config.listen.tls, ["cert", "key"], baseDir) };
  return { ...config, listen, dataDir: path.resolve(baseDir, config.dataDir), audit, profiles };
}
