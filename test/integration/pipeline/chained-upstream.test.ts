/**
 * An upstream that says PENDING: two scepgate instances in a chain,
 *
 *   device → A (approval auto, upstream = B, pollInterval 1s)
 *          → B (approval manual, upstream = micromdm scepserver)
 *
 * A forwards the device's CSR as its RA; B holds it for approval and answers
 * PENDING; A keeps the device at PENDING and polls B (CertPoll, same upstream
 * transactionID, backoff from 1 s); the operator approves on B with B's CLI;
 * A's next poll collects the certificate and the device's next CertPoll gets
 * it — a certificate micromdm issued, verified against micromdm's CA.
 *
 * B's RA certificate is one micromdm's CA issued with keyEncipherment (see
 * caIssuedRaFiles: A, like iOS, encrypts only to an RA certificate with
 * keyEncipherment, and micromdm's own SCEP issues digitalSignature only).
 *
 * A's own RA certificate comes from B as well. With B in manual mode that
 * enrollment waits for B's operator too, so instead of letting A's first start
 * block on it, A's RA is enrolled beforehand with `scepgate ra init` (as a
 * process: it polls B while PENDING) and approved on B like any request —
 * which is how an operator brings up a new RA under a manual upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseCertificate, pemCertificates } from "../../../src/crypto/index.js";
import { PkiStatus } from "../../../src/protocol/index.js";
import { enrollPki } from "../../harness/clients.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { makeTempDir, removeTempDir } from "../../harness/tmp.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import {
  approveWithCli, caIssuedRaFiles, Device, expectFromMicromdm, listRequests, pollUntilDone, raInit, report, showRequest, uniqueCn, waitFor, type Listed,
} from "./pipeline-support.js";

describe("chain: device → scepgate A (auto) → scepgate B (manual) → micromdm", () => {
  let redis: RedisHandle;
  let ca: ScepServer;
  let b: Scepgate;
  let a: Scepgate;
  let aDir: string;
  let aRecords: RecordReader;
  let bRecords: RecordReader;

  beforeAll(async () => {
    [redis, ca] = await Promise.all([startRedis(), startScepServer()]);
    const bRa = await caIssuedRaFiles(ca, join(ca.dir, "ra-b"), "scepgate RA B");
    b = await startScepgate({ redis, config: { profiles: { default: { approval: "manual", ra: bRa, upstream: { url: ca.url, maxConcurrent: 1 } } } } });
    bRecords = recordReader(redis.url, b.keyPrefix);

    // A's RA certificate: `ra init` against B (manual) waits for B's operator.
    aDir = makeTempDir("gate-chain-a-");
    const profiles = { default: { approval: "auto", syncWaitMs: 1_000, upstream: { url: b.url, pollInterval: "1s", maxConcurrent: 4 } } };
    const init = raInit(aDir, { dataDir: "data", profiles }, []);
    const raRequest = await waitFor("A's RA request on B", async () => (await bRecords.records()).find((t) => t.subject.includes("scepgate RA default")), 60_000);
    expect(raRequest.state).toBe("pending_approval");
    await approveWithCli(b, raRequest.id);
    const done = await init;
    expect(done.code, `ra init against B: ${done.stdout}${done.stderr}`).toBe(0);

    a = await startScepgate({ redis, dir: aDir, config: { dataDir: "data", profiles } });
    aRecords = recordReader(redis.url, a.keyPrefix);
  });

  afterAll(async () => {
    await Promise.all([aRecords?.close(), bRecords?.close()]);
    await a?.stop();
    await b?.stop();
    await Promise.all([ca?.stop(), redis?.stop()]);
    if (aDir) await removeTempDir(aDir);
  });

  /** The request A forwarded to B for `cn` (B lists it pending approval). */
  async function onB(cn: string): Promise<Listed> {
    await waitFor(`${cn} on B`, async () => (await bRecords.byCommonName(cn))[0], 30_000);
    const listed = (await listRequests(b, "--state", "pending")).find((t) => t.commonName === cn);
    expect(listed, `B's requests list shows ${cn} pending`).toBeDefined();
    return listed!;
  }

  it("ok/the device waits at PENDING while B holds A's request; approved on B, A's poll collects it", async () => {
    const direct = await Device.create(a.url, uniqueCn("chain-direct"));
    const pkiCn = uniqueCn("chain-pki");
    const pkiRunning = enrollPki(a.url, { cn: pkiCn, cipher: "aes", digest: "sha256", interval: 2, maxPollTime: 120, timeoutMs: 150_000 });

    expect((await direct.enroll()).status).toBe(PkiStatus.PENDING);
    const onBDirect = await onB(direct.cn);
    const onBPki = await onB(pkiCn);

    // What B holds is A's request: signed by A's RA certificate, under A's upstream transactionID.
    const aRaCert = parseCertificate(pemCertificates(await readFile(join(a.dataDir, "profiles", "default", "ra.crt"), "utf8"))[0]!);
    const bTx = (await bRecords.byCommonName(direct.cn))[0]!;
    expect(Buffer.from(bTx.requesterCert, "base64").equals(Buffer.from(aRaCert.der))).toBe(true);
    const aTx = (await aRecords.byCommonName(direct.cn))[0]!;
    expect(aTx.upstream?.transactionId).toBe(onBDirect.transactionId);
    // A keeps polling B, and the device keeps seeing PENDING.
    await waitFor("A polls B", async () => ((await aRecords.byCommonName(direct.cn))[0]?.state === "upstream_pending" ? true : undefined), 15_000);
    expect((await direct.poll()).status).toBe(PkiStatus.PENDING);

    const approvedAt = (await approveWithCli(b, onBDirect.id)).exitedAt;
    const { rep } = await pollUntilDone(direct, { intervalMs: 100, timeoutMs: 60_000 });
    const directMs = Date.now() - approvedAt;
    expect(rep.status, rep.failInfoText).toBe(PkiStatus.SUCCESS);
    await expectFromMicromdm(direct.certificateIn(rep), direct.keyPem, direct.cn, ca);
    report(`chain: approve on B → device SUCCESS through A (direct CertPoll every 100 ms): ${directMs} ms (A polls B with backoff from 1 s)`);

    const pkiApprovedAt = (await approveWithCli(b, onBPki.id)).exitedAt;
    const pki = await pkiRunning;
    const pkiMs = Date.now() - pkiApprovedAt;
    expect(pki.ok, `${pki.log}\n--- A:\n${tail(a.output())}\n--- B:\n${tail(b.output())}`).toBe(true);
    expect(pki.pending).toBe(true);
    await expectFromMicromdm(pki.certPem, pki.keyPem, pkiCn, ca, pki.log);
    report(`chain: approve on B → pki --scep (interval 2 s) SUCCESS through A: ${pkiMs} ms`);

    // A's audit: forwarded, upstream said pending, polled, issued by the upstream; one certificate each.
    const { history } = await showRequest(a, aTx.id);
    const events = history.map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(["forwarding", "upstream-pending", "upstream-poll-scheduled", "issued"]));
    expect(events.filter((e) => e === "issued")).toHaveLength(1);
    expect((await showRequest(b, onBDirect.id)).request).toMatchObject({ state: "issued", decidedBy: "cli:pipeline-test" });
    const depot = await ca.issued();
    for (const cn of [direct.cn, pkiCn]) expect(depot.filter((c) => c.subject.includes(`CN=${cn}`)), cn).toHaveLength(1);
  });
});
