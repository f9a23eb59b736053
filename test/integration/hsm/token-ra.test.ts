/**
 * The RA key on a PKCS#11 token (a private SoftHSM2): `scepgate ra init
 * --pkcs11` generates the key pair on the token and stores the embedded CA's
 * certificate there; a real `scepgate serve` signs and decrypts with the
 * token; micromdm scepclient and strongSwan pki enroll through it. A bad
 * PKCS#1 v1.5 padding under the token key gets the same CertRep FAILURE as
 * under a file key, and a start with a wrong PIN, token or key label stops
 * with one line that names the key and never the PIN.
 */
import { constants, publicEncrypt } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, PkiStatus } from "../../../src/protocol/index.js";
import { enrollPki, enrollScepclient, randomSuffix, type EnrollResult } from "../../harness/clients.js";
import { certInfo, fetchCaChain, sameKey, verifyCert, type CaChain } from "../../harness/openssl.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { runScepgate, startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { freePort } from "../../harness/ports.js";
import { createSoftHsm, type SoftHsm } from "../../harness/softhsm.js";
import { makeTempDir } from "../../harness/tmp.js";
import { csrOf, fetchRaView, makeDevice, postPkiOperation, readCertRep, request, type RaView } from "../support/craft-http.js";

const PIN = "token-pin-8642";
const TOKEN = "scepgate-ra";
const KEY = "ra-signer";
const SUBJECT = "CN=token RA, O=scepgate test";

/** `ra.pkcs11` for the test token, with overrides. */
function pkcs11(hsm: SoftHsm, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { module: hsm.module, tokenLabel: TOKEN, pin: PIN, keyLabel: KEY, ...over };
}

async function writeJsonConfig(file: string, config: Record<string, unknown>): Promise<void> {
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

/** The encryptedKey of the (only) KeyTransRecipientInfo of an RSA-2048 envelope: OCTET STRING of 256 octets. */
function replaceEncryptedKey(envelope: Uint8Array, encryptedKey: Uint8Array): Uint8Array {
  const at = Buffer.from(envelope).indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00]));
  if (at < 0) throw new Error("no 256-octet encryptedKey in the envelope");
  const out = Uint8Array.from(envelope);
  out.set(encryptedKey, at + 4);
  return out;
}

/** An RSA block that is not PKCS#1 v1.5 type 2 (00 01 … instead of 00 02 …), encrypted raw to `ra`. */
function badPaddingKey(ra: RaView["ra"]): Uint8Array {
  const em = Buffer.alloc(256, 0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[256 - 17] = 0x00;
  return publicEncrypt({ key: ra.publicKey(), padding: constants.RSA_NO_PADDING }, em);
}

describe("scepgate: the RA key on a PKCS#11 token (SoftHSM2)", () => {
  let hsm: SoftHsm;
  let redis: RedisHandle;
  let dir: string;
  let gate: Scepgate;
  let fileGate: Scepgate;
  let chain: CaChain;
  let view: RaView;

  beforeAll(async () => {
    hsm = createSoftHsm();
    await hsm.initToken(TOKEN, PIN);
    redis = await startRedis();
    dir = makeTempDir("hsm-gate-");
    const initConfig = join(dir, "init.yaml");
    await writeJsonConfig(initConfig, { dataDir: join(dir, "data"), profiles: { default: { ra: { pkcs11: pkcs11(hsm) } } } });
    const init = await runScepgate(["ra", "init", "--pkcs11", "--subject", SUBJECT, "--config", initConfig], { cwd: dir, env: hsm.env });
    expect(init.code, init.stdout + init.stderr).toBe(0);
    expect(init.stdout).toContain(`key "${KEY}" (generated)`);
    expect(init.stdout + init.stderr).not.toContain(PIN);
    [gate, fileGate] = await Promise.all([
      startScepgate({ dir, redis, env: hsm.env, config: { profiles: { default: { ra: { pkcs11: pkcs11(hsm) } } } } }),
      startScepgate({ redis }),
    ]);
    chain = await fetchCaChain(gate.url);
    view = await fetchRaView(gate.url);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([gate?.stop(), fileGate?.stop()]);
    await redis?.stop();
  });

  async function expectIssued(r: EnrollResult, cn: string): Promise<void> {
    expect(r.ok, `${r.log}\n--- scepgate:\n${gate.output().slice(-3000)}`).toBe(true);
    const cert = r.certPem ?? "";
    expect(sameKey(cert, r.keyPem)).toBe(true);
    expect(certInfo(cert).subject).toContain(`CN=${cn}`);
    const verified = await verifyCert(cert, { roots: chain.roots, untrusted: chain.others });
    expect(verified.ok, verified.output).toBe(true);
  }

  it("ok/the RA certificate published is the token's: ra init's subject, no key file in the data directory", async () => {
    expect(view.ra.subjectText()).toBe(SUBJECT);
    expect(existsSync(join(gate.dataDir, "profiles", "default", "ra.key"))).toBe(false);
    const again = await runScepgate(["ra", "init", "--pkcs11", "--config", join(dir, "init.yaml")], { cwd: dir, env: hsm.env });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/holds a certificate labelled "ra-signer" already/);
  });

  it("ok/micromdm scepclient enrolls through the token RA (DES-CBC + SHA-1)", async () => {
    const cn = `hsm-sc-${randomSuffix()}`;
    await expectIssued(await enrollScepclient(gate.url, { cn, timeoutMs: 30_000 }), cn);
  });

  for (const { cipher, digest } of [{ cipher: "aes", digest: "sha256" }, { cipher: "des3", digest: "sha1" }] as const) {
    it(`ok/strongSwan pki --scep --cipher ${cipher} --digest ${digest} enrolls through the token RA`, async () => {
      const cn = `hsm-pki-${cipher}-${randomSuffix()}`;
      await expectIssued(await enrollPki(gate.url, { cn, cipher, digest, maxPollTime: 10, interval: 1 }), cn);
    });
  }

  it("fail/a bad PKCS#1 v1.5 padding under the token key gets the same signed FAILURE as under a file key", async () => {
    const fileView = await fetchRaView(fileGate.url);
    const device = makeDevice(`hsm-bad-${randomSuffix()}`);
    const outcomes: { status: PkiStatus; failInfo: FailInfo | undefined }[] = [];
    for (const [g, v] of [[gate, view], [fileGate, fileView]] as const) {
      const req = request({ device, recipient: v.ra, messageData: csrOf(device), editEnvelope: (env) => replaceEncryptedKey(env, badPaddingKey(v.ra)) });
      const a = await postPkiOperation(g.url, req.der);
      expect(a.status, a.text).toBe(200);
      const rep = await readCertRep(a.body, v.ra, device, req);
      outcomes.push({ status: rep.status, failInfo: rep.failInfo });
    }
    expect(outcomes[0]).toEqual({ status: PkiStatus.FAILURE, failInfo: FailInfo.badMessageCheck });
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(gate.lastExit()).toBeUndefined();
  });

  describe("a start that cannot use the token stops with one line naming the key", () => {
    const cases: { name: string; over: Record<string, unknown>; line: RegExp }[] = [
      { name: "a wrong PIN", over: { pin: "wrong-pin-1357" }, line: /login failed \(CKR_PIN_INCORRECT\)/ },
      { name: "a token label that is not there", over: { tokenLabel: "no-such-token" }, line: /no token labelled "no-such-token"/ },
      { name: "a key label that is not there", over: { keyLabel: "no-such-key" }, line: /no private key labelled "no-such-key"/ },
    ];
    for (const c of cases) {
      it(`fail/${c.name}`, async () => {
        const cdir = makeTempDir("hsm-fail-");
        const file = join(cdir, "scepgate.yaml");
        await writeJsonConfig(file, {
          listen: { host: "127.0.0.1", port: await freePort() },
          dataDir: join(dir, "data"),
          redis: { url: redis.url, keyPrefix: `hsm-fail-${randomSuffix()}:` },
          profiles: { default: { ra: { pkcs11: pkcs11(hsm, c.over) } } },
        });
        const r = await runScepgate(["serve", "--config", file], { cwd: cdir, env: hsm.env, timeoutMs: 30_000 });
        const out = r.stdout + r.stderr;
        expect(r.code, out).not.toBe(0);
        expect(r.timedOut).toBe(false);
        // The serve supervisor adds its own pointer line ("serve process 0 exited at start … see its log above").
        const errors = r.stderr.split("\n").filter((l) => l.startsWith("scepgate:") && !/^scepgate: serve process \d+ exited at start/.test(l));
        expect(errors, out).toHaveLength(1);
        expect(errors[0]).toMatch(/^scepgate: profile "default": ra\.pkcs11 \(key "[^"]+"\): /);
        expect(errors[0]).toMatch(c.line);
        expect(out).not.toMatch(/^\s+at /m);
        expect(out).not.toContain(PIN);
        expect(out).not.toContain("wrong-pin-1357");
      });
    }
  });
});
