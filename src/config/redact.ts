/**
 * Secrets in the configuration: which keys hold them, and a copy of the
 * configuration fit for logging.
 *
 * @module
 */
import type { Config } from "./schema.js";
import type { KeyPath } from "./schema-walk.js";

/** What a secret is replaced with. */
export const REDACTED = "***";

/** Paths of the secret keys; `*` is any profile name. */
const SECRET_PATHS: readonly (readonly string[])[] = [
  ["admin", "token"],
  ["redis", "sentinel", "password"],
  ["redis", "sentinel", "sentinelPassword"],
  ["profiles", "*", "ra", "keyPassphrase"],
  ["profiles", "*", "ra", "p12Passphrase"],
  ["profiles", "*", "ra", "encryption", "keyPassphrase"],
  ["profiles", "*", "ra", "encryption", "p12Passphrase"],
  ["profiles", "*", "ra", "pkcs11", "pin"],
  ["profiles", "*", "ra", "encryption", "pkcs11", "pin"],
  ["profiles", "*", "challenge", "value"],
  ["profiles", "*", "upstream", "challenge"],
  ["profiles", "*", "challenge", "secret"],
  ["profiles", "*", "notify", "*", "secret"],
  ["notify", "*", "secret"],
];

/**
 * True when the key at `path` holds a secret, or lies below one:
 * `admin.token`, `redis.sentinel.password` / `sentinelPassword`, the `keyPassphrase` / `p12Passphrase` of `ra` and
 * `ra.encryption`, the PKCS#11 `pin` of both, `challenge.value`, `upstream.challenge`, the webhook
 * `secret`s (`challenge.secret`, `notify[].secret`).
 */
export function isSecretPath(path: KeyPath): boolean {
  return SECRET_PATHS.some((secret) => secret.length <= path.length
    && secret.every((segment, i) => segment === "*" || segment === path[i]));
}

/** True when the key at `path` is a URL that may carry a password (`redis.url`, `upstream.url`). */
export function isUrlPath(path: KeyPath): boolean {
  return path[path.length - 1] === "url";
}

/** Replaces the password of a URL's userinfo (`redis://:pw@host`) with {@link REDACTED}. */
export function redactUrl(value: string): string {
  if (!URL.canParse(value)) return value;
  const parsed = new URL(value);
  if (parsed.password === "") return value;
  parsed.password = REDACTED;
  return parsed.toString();
}

function redactNode(node: unknown, path: PropertyKey[]): unknown {
  if (node === undefined) return undefined;
  if (isSecretPath(path)) return REDACTED;
  if (typeof node === "string" && isUrlPath(path)) return redactUrl(node);
  if (Array.isArray(node)) return node.map((item, i) => redactNode(item, [...path, i]));
  if (typeof node === "object" && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, redactNode(value, [...path, key])]));
  }
  return node;
}

/**
 * A deep copy of `config` fit for logging: every secret that is set is
 * replaced by `"***"` (unset ones stay `undefined`, so the log still shows
 * which are set), and passwords inside URLs are masked.
 */
export function redactConfig(config: Config): Config {
  return redactNode(config, []) as Config;
}
