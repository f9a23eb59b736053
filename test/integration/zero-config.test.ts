/**
 * `scepgate serve` with no configuration at all, in an empty working
 * directory: the development setup of DESIGN.md (data under ./data, the
 * embedded CA, a generated RA certificate, a private redis-server child on a
 * unix socket with AOF on), the port from SCEPGATE_LISTEN_PORT. Then SIGTERM,
 * a second start on the same data, and a start that cannot find redis-server.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollScepclient, randomSuffix, type ScepclientResult } from "../harness/clients.js";
import { certInfo, fetchCaChain, isSelfSigned, keyUsage, sameKey, verifyCert, type CaChain } from "../harness/openssl.js";
import { freePort } from "../harness/ports.js";
import { privateRedisPid, runScepgate, startScepgate, type Scepgate } from "../harness/scepgate.js";
import { makeTempDir } from "../harness/tmp.js";
import { recordReader } from "./support/redis-records.js";

const CAPS = ["AES", "DES3", "GetNextCACert", "POSTPKIOperation", "Renewal", "SCEPStandard", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];

/** Pids of every live redis-server whose command line names `socketPath`. */
function redisServersWith(socketPath: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      const zombie = /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${entry}/stat`, "utf8"));
      if (!zombie && cmdline.includes("redis-server") && cmdline.includes(socketPath)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Every file under `dir`, relative paths. */
function walk(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

function mode(file: string): string {
  return (statSync(file).mode & 0o777).toString(8).padStart(4, "0");
}

describe("scepgate serve with no config", () => {
  let dir: string;
  let port: number;
  let gate: Scepgate | undefined;
  let firstChain: CaChain;
  let enrolled: ScepclientResult;
  const cn = `zero-config-${randomSuffix()}`;

  beforeAll(async () => {
    dir = makeTempDir("zc-");
    port = await freePort();
    gate = await startScepgate({ noConfig: true, privateRedis: true, dir, env: { SCEPGATE_LISTEN_PORT: String(port) } });
  });

  afterAll(async () => {
    await gate?.stop();
  });

  const socketPath = (): string => join(dir, "data", "redis", "redis.sock");

  it("ok/answers on the port given by SCEPGATE_LISTEN_PORT, with the defaults", async () => {
    expect(gate?.configFile).toBeUndefined();
    expect(gate?.url).toBe(`http://127.0.0.1:${port}/scep`);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    const listening = gate?.output().split("\n").find((l) => l.includes("scepgate listening")) ?? "";
    expect(JSON.parse(listening)).toMatchObject({ url: `http://127.0.0.1:${port}/scep`, config: "defaults", redis: socketPath() });
  });

  it("ok/prints one line on how to turn the operator page on (it is off without a token)", async () => {
    const hints = gate!.output().split("\n").filter((l) => l.includes("operator page"));
    expect(hints).toHaveLength(1);
    expect(JSON.parse(hints[0]!)).toMatchObject({
      level: 30,
      msg: `the operator page is off: set admin.token (or SCEPGATE_ADMIN_TOKEN, 16+ characters) and open http://127.0.0.1:${port}/admin/ui`,
    });
    expect((await fetch(`http://127.0.0.1:${port}/admin/ui`)).status).toBe(404);
  });

  it("ok/GetCACaps lists exactly the advertised capabilities, one per line, text/plain", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/scep?operation=GetCACaps`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain(;|$)/);
    const body = await res.text();
    expect(body.replace(/\n$/, "").split("\n")).toEqual(CAPS);
    expect(body).not.toContain("\r");
  });

  it("ok/GetCACert: application/x-x509-ca-ra-cert, the RA certificate (digitalSignature + keyEncipherment) first, then the CA", async () => {
    firstChain = await fetchCaChain(`http://127.0.0.1:${port}/scep`);
    expect(firstChain.contentType).toBe("application/x-x509-ca-ra-cert");
    expect(firstChain.all).toHaveLength(2);
    const [ra, ca] = firstChain.all as [string, string];
    expect(isSelfSigned(ra)).toBe(false);
    expect(isSelfSigned(ca)).toBe(true);
    expect(await keyUsage(ra)).toEqual(expect.arrayContaining(["Digital Signature", "Key Encipherment"]));
    expect(certInfo(ra).issuer).toBe(certInfo(ca).subject);
    const verified = await verifyCert(ra, { roots: [ca] });
    expect(verified.ok, verified.output).toBe(true);
  });

  it("ok/data/ holds the CA key and the RA key (mode 0600) and the redis data with AOF on", async () => {
    const data = join(dir, "data");
    const files = walk(data);
    const keys = files.filter((f) => f.endsWith(".key"));
    expect(keys).toEqual(expect.arrayContaining(["embedded-ca/ca.key", "profiles/default/ra.key"]));
    for (const key of keys) expect(`${key} ${mode(join(data, key))}`).toBe(`${key} 0600`);
    expect(sameKey(firstChain.all[0]!, readFileSync(join(data, "profiles/default/ra.key"), "utf8"))).toBe(true);
    expect(sameKey(firstChain.all[1]!, readFileSync(join(data, "embedded-ca/ca.key"), "utf8"))).toBe(true);
    expect(files.some((f) => /^redis\/appendonlydir\/.+\.aof$/.test(f)), files.join("\n")).toBe(true);
    expect(privateRedisPid(data)).toBeGreaterThan(0);
    const redis = new Redis({ path: socketPath(), lazyConnect: true });
    try {
      await redis.connect();
      expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      expect(await redis.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
    } finally {
      redis.disconnect();
    }
  });

  it("ok/scepclient enrolls", async () => {
    enrolled = await enrollScepclient(`http://127.0.0.1:${port}/scep`, { cn, timeoutMs: 30_000 });
    expect(enrolled.ok, enrolled.log).toBe(true);
    const cert = enrolled.certPem ?? "";
    expect(sameKey(cert, enrolled.keyPem)).toBe(true);
    const verified = await verifyCert(cert, { roots: firstChain.roots, untrusted: firstChain.others });
    expect(verified.ok, verified.output).toBe(true);
  });

  it("ok/SIGTERM stops it, and its private redis-server with it", async () => {
    const redisPid = privateRedisPid(join(dir, "data"));
    expect(redisPid).toBeGreaterThan(0);
    expect(redisServersWith(socketPath())).toEqual([redisPid]);
    const stopped = await gate!.stop();
    gate = undefined;
    expect(stopped).toMatchObject({ code: 0, signal: null, privateRedisLeft: undefined });
    expect(redisServersWith(socketPath())).toEqual([]);
  });

  it("ok/a second start reuses the same CA, RA and data (with SCEPGATE_ADMIN_TOKEN: no operator page hint)", async () => {
    const env = { SCEPGATE_LISTEN_PORT: String(port), SCEPGATE_ADMIN_TOKEN: "zero-config-admin-token-42" };
    gate = await startScepgate({ noConfig: true, privateRedis: true, dir, env });
    const again = await fetchCaChain(gate.url);
    expect(again.all).toEqual(firstChain.all);
    expect(again.der.equals(firstChain.der)).toBe(true);
    // The first run's record came back from the AOF, so the resent request is answered from it.
    const records = recordReader(socketPath(), "scepgate:");
    try {
      expect((await records.byCommonName(cn)).map((t) => t.state)).toEqual(["issued"]);
    } finally {
      await records.close();
    }
    const resent = await enrolled.rerun();
    expect(resent.ok, resent.log).toBe(true);
    expect(certInfo(resent.certPem ?? "").serial).toBe(certInfo(enrolled.certPem ?? "").serial);
    expect(gate.output()).toContain("scepgate listening"); // well after the line would have been written
    expect(gate.output()).not.toContain("operator page");
  });

  it("fail/without redis-server on PATH: exit 1 and one line on stderr saying what to do", async () => {
    const cwd = makeTempDir("zc-nopath-");
    const emptyBin = makeTempDir("zc-bin-"); // node is run by its absolute path; nothing else is on PATH
    const r = await runScepgate(["serve"], { cwd, env: { PATH: emptyBin, SCEPGATE_LISTEN_PORT: String(await freePort()) } });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stderr.replace(/\n$/, "").split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/redis-server/);
    expect(lines[0]).toMatch(/install/);
    expect(lines[0]).toMatch(/redis\.url/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
