/**
 * A message builder process: `node --import tsx test/bench/build-messages.ts JOB.json`.
 * The orchestrator runs one per core, each with its own share of device keys,
 * so building thousands of messages takes seconds, not minutes.
 *
 * Every message is a distinct, valid request built with scepgate's own
 * client-side codec (src/protocol buildRequest): a fresh transactionID (20
 * random bytes, hex: what strongSwan sends), a fresh 16-byte senderNonce and,
 * for PKCSReq, a CSR with a subject of its own, signed by one of the pool's
 * RSA-2048 device keys, with a self-signed signer certificate of that key (as
 * scepclient and strongSwan pki do). No server can answer one from a cache.
 */
import { randomBytes, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  basicConstraints, buildCsr, buildName, encodeKeyUsage, generateKey, issueCertificate, Oid, parseCertificate, privateKeyPem, spkiOf,
  type Certificate,
} from "../../src/crypto/index.js";
import { buildRequest, encodeIssuerAndSubject, MessageType } from "../../src/protocol/index.js";
import { writeMessageFile, type BuildJob, type BuildReport } from "./messages.js";

const DAY = 86_400_000;

interface DeviceKey {
  key: KeyObject;
  cert: Certificate;
}

async function makeDevice(key: KeyObject, cn: string): Promise<DeviceKey> {
  const der = issueCertificate({
    subject: buildName(`CN=${cn}, O=scepgate-bench`),
    spki: spkiOf(key),
    serial: Uint8Array.of(0x01, ...randomBytes(8)),
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    issuerKey: key,
    extensions: [
      { oid: Oid.basicConstraints, critical: true, value: basicConstraints(false) },
      { oid: Oid.keyUsage, critical: true, value: encodeKeyUsage({ digitalSignature: true, keyEncipherment: true }) },
    ],
  });
  return { key, cert: parseCertificate(der) };
}

function sample(d: DeviceKey): { keyPem: string; certB64: string } {
  return { keyPem: privateKeyPem(d.key), certB64: Buffer.from(d.cert.der).toString("base64") };
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as BuildJob;
  const t0 = performance.now();
  const keys = await Promise.all(Array.from({ length: job.keys }, () => generateKey("rsa-2048")));
  const devices = await Promise.all(keys.map((k, i) => makeDevice(k, `bench-device-${job.runId}-${job.worker}-${i}`)));
  const keyMs = performance.now() - t0;

  const report: BuildReport = { worker: job.worker, keyMs, buildMs: 0, files: {}, sampleKeys: {} };
  const t1 = performance.now();
  let serial = 0;
  const subjectOf = (set: string, n: number): Uint8Array => buildName(`CN=bench-${job.runId}-${set}-${job.worker}-${n}, O=scepgate-bench`);
  const pkcsReq = (device: DeviceKey, recipient: Certificate, subject: Uint8Array): { der: Uint8Array; transactionId: string } => {
    const transactionId = randomBytes(20).toString("hex");
    const csr = buildCsr({ subject, key: device.key });
    const { der } = buildRequest({
      messageType: MessageType.PKCSReq,
      transactionId,
      messageData: csr,
      signer: { cert: device.cert, key: device.key },
      recipient,
      cipher: job.cipher,
      digest: job.digest,
      signingTime: new Date(),
    });
    return { der, transactionId };
  };

  for (const set of job.sets) {
    const recipient = parseCertificate(Buffer.from(set.recipientB64, "base64"));
    if (set.kind === "pkcsreq") {
      const out: Uint8Array[] = [];
      for (let i = 0; i < set.count; i++) out.push(pkcsReq(devices[i % devices.length]!, recipient, subjectOf(set.name, serial++)).der);
      const file = `${set.name}.${job.worker}`;
      writeMessageFile(join(job.outDir, `${file}.bin`), out);
      report.files[file] = out.length;
      report.sampleKeys[set.name] = sample(devices[0]!);
    } else {
      const caSubject = Buffer.from(set.caSubjectB64, "base64");
      const txs: { device: DeviceKey; transactionId: string; subject: Uint8Array }[] = [];
      const issue: Uint8Array[] = [];
      for (let i = 0; i < set.issueCount; i++) {
        const device = devices[i % devices.length]!;
        const subject = subjectOf(set.name, serial++);
        const { der, transactionId } = pkcsReq(device, recipient, subject);
        issue.push(der);
        txs.push({ device, transactionId, subject });
      }
      const polls: Uint8Array[] = [];
      for (let i = 0; i < set.pollCount; i++) {
        const tx = txs[i % txs.length]!;
        const { der } = buildRequest({
          messageType: MessageType.CertPoll,
          transactionId: tx.transactionId,
          messageData: encodeIssuerAndSubject({ issuer: caSubject, subject: tx.subject }),
          signer: { cert: tx.device.cert, key: tx.device.key },
          recipient,
          cipher: job.cipher,
          digest: job.digest,
          signingTime: new Date(),
        });
        polls.push(der);
      }
      writeMessageFile(join(job.outDir, `${set.name}-issue.${job.worker}.bin`), issue);
      writeMessageFile(join(job.outDir, `${set.name}-poll.${job.worker}.bin`), polls);
      report.files[`${set.name}-issue.${job.worker}`] = issue.length;
      report.files[`${set.name}-poll.${job.worker}`] = polls.length;
      report.sampleKeys[set.name] = sample(devices[0]!);
    }
  }
  report.buildMs = performance.now() - t1;
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build-messages: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
