/**
 * Where scepgate's Redis is, as one small value every connection is made
 * from (the store's, the subscribers', BullMQ's, the retention sweep's), and
 * the one place that turns it into ioredis options.
 */
import { Redis, type RedisOptions } from "ioredis";

/** A Sentinel-monitored primary (`redis.sentinel`). */
export interface SentinelEndpoint {
  /** The master group name the Sentinels monitor. */
  readonly name: string;
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly sentinelUsername?: string | undefined;
  readonly sentinelPassword?: string | undefined;
  readonly db: number;
  readonly tls: boolean;
}

/**
 * A Redis to connect to: a URL (`redis://[:password@]host:port/db`,
 * `rediss://…`, an absolute unix socket path `/run/redis.sock?db=0` or
 * `unix:/run/redis.sock`), or the primary a set of Sentinels names.
 */
export type RedisEndpoint = { readonly url: string } | { readonly sentinel: SentinelEndpoint };

/** Reconnect delays behind Sentinel: 50 ms doubling to 1 s, so a client finds a new primary within about a second of the failover. */
function sentinelRetry(times: number): number {
  return Math.min(50 * 2 ** (times - 1), 1_000);
}

/**
 * A write sent to a primary that was just demoted fails with READONLY:
 * reconnect (Sentinel names the new primary) and resend the command.
 */
function reconnectOnReadonly(err: Error): 2 | false {
  return err.message.startsWith("READONLY") ? 2 : false;
}

function sentinelOptions(s: SentinelEndpoint): RedisOptions {
  const tls = s.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {};
  return {
    name: s.name,
    sentinels: s.sentinels.map((a) => ({ host: a.host, port: a.port })),
    role: "master",
    db: s.db,
    ...(s.username === undefined ? {} : { username: s.username }),
    ...(s.password === undefined ? {} : { password: s.password }),
    ...(s.sentinelUsername === undefined ? {} : { sentinelUsername: s.sentinelUsername }),
    ...(s.sentinelPassword === undefined ? {} : { sentinelPassword: s.sentinelPassword }),
    ...tls,
    // Subscribes to the Sentinels' +switch-master, so a failover of a live primary is noticed at once.
    failoverDetector: true,
    retryStrategy: sentinelRetry,
    reconnectOnError: reconnectOnReadonly,
  };
}

/** `unix:/path` or `unix:///path` (with an optional `?db=N`) → `/path?db=N`, which ioredis reads as a socket. */
function unixSchemeToPath(url: string): string {
  const m = /^unix:(?:\/\/)?(\/.*)$/i.exec(url);
  return m?.[1] ?? url;
}

/**
 * A new ioredis connection to `endpoint` with `extra` options on top
 * (`lazyConnect`, `maxRetriesPerRequest: null` for BullMQ, a connection name).
 */
export function openEndpoint(endpoint: RedisEndpoint, extra: RedisOptions = {}): Redis {
  if ("sentinel" in endpoint) return new Redis({ ...sentinelOptions(endpoint.sentinel), ...extra });
  return new Redis(unixSchemeToPath(endpoint.url), extra);
}

/** The endpoint for logs: the URL with its password masked, or the Sentinels and the master name. Never a secret. */
export function describeEndpoint(endpoint: RedisEndpoint): string {
  if ("sentinel" in endpoint) {
    const s = endpoint.sentinel;
    return `sentinel ${s.name} via ${s.sentinels.map((a) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`)).join(",")} db ${s.db}`;
  }
  if (!URL.canParse(endpoint.url)) return endpoint.url;
  const u = new URL(endpoint.url);
  if (u.password === "") return endpoint.url;
  u.password = "***";
  return u.toString();
}
