/**
 * Private-key operations per second, RSA-2048: a file key (on the event loop,
 * and on worker threads as `scepgate serve` runs them) beside the same kind
 * of key on a SoftHSM2 token (through the PKCS#11 session pool). A SCEP
 * answer costs one raw decryption (key transport) and one or two signatures.
 *
 *   node --import tsx test/bench/pkcs11-keyops.ts [--seconds 3] [--concurrency 8]
 *
 * The token lives in a private SOFTHSM2_CONF under a temp dir, removed at the end.
 */
import { generateKeyPairSync, publicEncrypt, constants, type KeyObject } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { inThreadKeyOps, threadedKeyOps, type PrivateKeyOps } from "../../src/crypto/index.js";
import { generateTokenKey, openTokenKey } from "../../src/hsm/index.js";

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const { values } = parseArgs({ options: { seconds: { type: "string", default: "3" }, concurrency: { type: "string", default: "8" } } });
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);

/** Runs `op` with `concurrency` in flight for `seconds`; returns operations per second. */
async function rate(op: () => Promise<unknown>, concurrency: number): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  const lane = async () => {
    while (Date.now() < end) {
      await op();
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  return done / ((performance.now() - start) / 1000);
}

async function measure(label: string, ops: PrivateKeyOps, key: KeyObject, publicKey: KeyObject, concurrency: number): Promise<string> {
  const data = Buffer.alloc(200, 1);
  const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.alloc(16, 7));
  await ops.sign("sha256", data, key); // warm-up (worker start, key registration)
  const sign = await rate(() => ops.sign("sha256", data, key), concurrency);
  const raw = await rate(() => ops.rsaRaw(key, ciphertext), concurrency);
  return `${label.padEnd(44)} sign ${sign.toFixed(0).padStart(6)}/s   raw decrypt ${raw.toFixed(0).padStart(6)}/s`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "scepgate-bench-hsm-"));
  try {
    const conf = join(dir, "softhsm2.conf");
    writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env["SOFTHSM2_CONF"] = conf;
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "5678"], { stdio: "ignore" });
    const ref = { module: MODULE, tokenLabel: "bench", pin: "1234", keyLabel: "bench-ra" };
    generateTokenKey(ref, 2048);
    const token = openTokenKey(ref);
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const threaded = threadedKeyOps();
    console.log(`RSA-2048, ${SECONDS} s per figure, ${CONCURRENCY} operations in flight, ${availableParallelism()} cores, Node ${process.version}`);
    console.log(await measure("file key, event loop (inThreadKeyOps)", inThreadKeyOps, privateKey, publicKey, 1));
    console.log(await measure(`file key, ${Math.max(1, availableParallelism() - 1)} worker thread(s) (serve)`, threaded, privateKey, publicKey, CONCURRENCY));
    console.log(await measure("SoftHSM2 token key, 1 in flight", inThreadKeyOps, token.publicKey, token.publicKey, 1));
    console.log(await measure(`SoftHSM2 token key, ${CONCURRENCY} in flight (4 sessions)`, threaded, token.publicKey, token.publicKey, CONCURRENCY));
    await threaded.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
