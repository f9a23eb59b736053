/**
 * Container health check of `scepgate serve` (the Dockerfile's HEALTHCHECK,
 * compose healthchecks): GET /healthz on the listen address, exit 0 on 200,
 * else 1. The slim image has neither curl nor wget; node is there.
 *
 * The address comes from the same variables scepgate reads:
 * SCEPGATE_LISTEN_PORT (default 8080) and SCEPGATE_LISTEN_HOST (a wildcard
 * address such as 0.0.0.0 or :: is probed on 127.0.0.1). Set the port through
 * SCEPGATE_LISTEN_PORT, not only in the config file, or the check probes 8080.
 *
 *   node deploy/healthcheck.mjs [PATH]     # PATH default /healthz
 *
 * `scepgate worker` has no HTTP endpoint: disable the check for workers.
 */
const WILDCARDS = new Set(["", "0.0.0.0", "::", "[::]"]);

const port = process.env.SCEPGATE_LISTEN_PORT || "8080";
const configuredHost = (process.env.SCEPGATE_LISTEN_HOST || "").trim();
const host = WILDCARDS.has(configuredHost) ? "127.0.0.1" : configuredHost.includes(":") ? `[${configuredHost}]` : configuredHost;
const path = process.argv[2] || "/healthz";

try {
  const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  await res.arrayBuffer();
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  process.stderr.write(`healthcheck: ${host}:${port}${path}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
