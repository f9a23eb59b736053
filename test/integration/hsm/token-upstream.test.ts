/**
 * The token RA in front of micromdm scepserver: `scepgate ra init --pkcs11`
 * generates the key on the token and enrolls its certificate from scepserver
 * by SCEP (CSR, request and CertRep all with the token key); devices then
 * enroll through scepgate, which forwards RA-signed requests upstream.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificatesOf, parseCertificate } from "../../../src/crypto/index.js";
import { enrollPki, enrollScepclient, randomSuffix, type EnrollResult } from "../../harness/clients.js";
import { certInfo, fetchCaChain, sameKey, verifyCert, type CaChain } from "../../harness/openssl.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { runScepgate, startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { createSoftHsm, type SoftHsm } from "../../harness/softhsm.js";
import { makeTempDir } from "../../harness/tmp.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";

const PIN = "upstream-pin-1357";
const UPSTREAM_CHALLENGE = "upstream-s3cret";

describe("scepgate: token RA in front of micromdm scepserver", () => {
  let hsm: SoftHsm;
  let server: ScepServer;
  let redis: RedisHandle;
  let gate: Scepgate;
  let chain: CaChain;

  beforeAll(async () => {
    hsm = createSoftHsm();
    await hsm.initToken("up-ra", PIN);
    [server, redis] = await Promise.all([startScepServer({ challenge: UPSTREAM_CHALLENGE }), startRedis()]);
    const dir = makeTempDir("hsm-up-");
    const profile = {
      ra: { pkcs11: { module: hsm.module, tokenLabel: "up-ra", pin: PIN, keyLabel: "ra" } },
      upstream: { url: server.url, challenge: UPSTREAM_CHALLENGE },
    };
    const initConfig = join(dir, "init.yaml");
    await writeFile(initConfig, JSON.stringify({ dataDir: join(dir, "data"), profiles: { default: profile } }));
    const init = await runScepgate(["ra", "init", "--pkcs11", "--subject", "CN=token RA upstream, O=scepgate", "--config", initConfig], { cwd: dir, env: hsm.env });
    expect(init.code, init.stdout + init.stderr).toBe(0);
    gate = await startScepgate({ dir, redis, env: hsm.env, config: { profiles: { default: profile } } });
    chain = await fetchCaChain(gate.url);
  }, 120_000);

  afterAll(async () => {
    await gate?.stop();
    await Promise.all([server?.stop(), redis?.stop()]);
  });

  async function expectIssued(r: EnrollResult, cn: string): Promise<void> {
    expect(r.ok, `${r.log}\n--- scepgate:\n${gate.output().slice(-3000)}`).toBe(true);
    expect(sameKey(r.certPem ?? "", r.keyPem)).toBe(true);
    expect(certInfo(r.certPem ?? "").subject).toContain(`CN=${cn}`);
    const verified = await verifyCert(r.certPem ?? "", { roots: chain.roots, untrusted: chain.others });
    expect(verified.ok, verified.output).toBe(true);
  }

  it("ok/the RA certificate on the token was issued by scepserver's CA", async () => {
    const body = new Uint8Array(await (await fetch(`${gate.url}?operation=GetCACert`)).arrayBuffer());
    const ra = certificatesOf(body).map(parseCertificate).filter((c) => !c.isSelfIssued);
    expect(ra.map((c) => c.subjectText())).toEqual(["O=scepgate, CN=token RA upstream"]);
    expect((await server.issued()).some((c) => c.subject.includes("token RA upstream"))).toBe(true);
  });

  it("ok/scepclient and pki enroll through the token RA; scepserver issues", async () => {
    const sc = `hsm-up-sc-${randomSuffix()}`;
    const pki = `hsm-up-pki-${randomSuffix()}`;
    await expectIssued(await enrollScepclient(gate.url, { cn: sc, timeoutMs: 60_000 }), sc);
    await expectIssued(await enrollPki(gate.url, { cn: pki, cipher: "aes", digest: "sha256", maxPollTime: 30, interval: 1 }), pki);
    const subjects = (await server.issued()).map((c) => c.subject).join("\n");
    expect(subjects).toContain(sc);
    expect(subjects).toContain(pki);
  });
});
