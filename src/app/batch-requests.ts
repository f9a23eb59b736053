/**
 * `scepgate batch --requests-only` and `scepgate batch collect`: requests
 * for a CA reached through another channel.
 *
 * --requests-only writes, per device, NAME.key.pem (first) and NAME.p7: the
 * PKCSReq the RA would have forwarded, signed by the profile's RA identity
 * and encrypted to the upstream's encryption certificate with the
 * upstream's algorithms (ScepUpstream.info(); the embedded CA's
 * certificate for an inline profile). Nothing is recorded in the store and
 * nothing is queued: the manifest and the files are the record. It also
 * saves ca-chain.pem (put into the bundles) and upstream-signers.pem (who
 * may sign the CertReps).
 *
 * collect reads NAME.p7r, the DER CertRep the CA returned for NAME.p7 (the
 * body of its HTTP answer to `POST …?operation=PKIOperation`), opens it
 * with the RA's keys (it is encrypted to the RA certificate that signed the
 * request) and writes NAME.crt.pem and NAME.p12.
 */
import { parseCertificate, pemCertificates, spkiOf, toPem, type Certificate } from "../crypto/index.js";
import type { BatchDevice } from "../ra/batch-devices.js";
import { batchChallenge } from "../ra/batch-enrollment.js";
import { collectCertRep } from "../ra/batch-collect.js";
import { buildDeviceCsr, buildDeviceRequest, deviceSubject, type RequestTarget } from "../ra/batch-request.js";
import type { Profile } from "../ra/profile.js";
import { EmbeddedCa } from "../upstream/embedded-ca.js";
import { ScepUpstream } from "../upstream/scep-upstream.js";
import { BatchUsageError } from "./batch-errors.js";
import type { BatchDir } from "./batch-files.js";
import { baseEntry, failedEntry, issuedEntry, type BatchSession, type DeviceResult, type Slots } from "./batch-session.js";

/** The request target of a profile and the upstream certificates to keep with the requests. */
export interface UpstreamTarget extends RequestTarget {
  /** The CA path, issuing CA first (the bundles' chain). */
  caPath: Certificate[];
  /** Who may sign CertReps: the CA path and the upstream's own RA certificates. */
  signers: Certificate[];
}

/** Asks the profile's upstream (GetCACaps, GetCACert) where requests go, or takes the embedded CA. */
export async function requestTarget(profile: Profile): Promise<UpstreamTarget> {
  const up = profile.upstream;
  if (up instanceof ScepUpstream) {
    const info = await up.info();
    return { recipient: info.recipient, cipher: info.algorithms.cipher, digest: info.algorithms.digest, caPath: info.caPath, signers: info.trustedSigners };
  }
  if (up instanceof EmbeddedCa) return { recipient: up.certificate, cipher: "aes128", digest: "sha256", caPath: [up.certificate], signers: [up.certificate] };
  throw new BatchUsageError(`profile "${profile.name}": --requests-only needs a SCEP upstream or the embedded CA`);
}

/** ca-chain.pem and upstream-signers.pem, for `collect`. */
export async function saveUpstreamCertificates(dir: BatchDir, t: UpstreamTarget): Promise<void> {
  await dir.writePublic(dir.caChainFile(), t.caPath.map((c) => toPem(c.der)).join(""));
  await dir.writePublic(dir.signersFile(), t.signers.map((c) => toPem(c.der)).join(""));
}

/** What collect needs of the saved upstream certificates. */
export interface SavedUpstream {
  caPath: Uint8Array[];
  signers: Certificate[];
}

/** Reads ca-chain.pem and upstream-signers.pem back. */
export async function loadUpstreamCertificates(dir: BatchDir): Promise<SavedUpstream> {
  const read = async (file: string): Promise<Uint8Array[]> => {
    const pem = await dir.readIfExists(file);
    if (!pem) throw new BatchUsageError(`${file} is missing: it is written by \`scepgate batch --requests-only\``);
    return pemCertificates(pem.toString("utf8"));
  };
  return { caPath: await read(dir.caChainFile()), signers: (await read(dir.signersFile())).map(parseCertificate) };
}

/** Writes one device's key and NAME.p7 (unless an earlier run did). */
export async function requestDevice(s: BatchSession, t: RequestTarget, d: BatchDevice, upstreamChallenge: string | undefined, slots: Slots): Promise<DeviceResult | undefined> {
  const base = baseEntry(s.manifest.get(d.name), d.name, d, deviceSubject(d));
  const release = await slots.acquire();
  try {
    if (s.o.signal?.aborted) return undefined;
    const done = await s.dir.readBundle(d.name);
    if (done) return { entry: issuedEntry(base, done.cert), skipped: true };
    if (await s.dir.readIfExists(s.dir.requestFile(d.name))) return { entry: { ...base, status: base.status === "pending" ? "requested" : base.status }, skipped: true };
    const { key } = await s.dir.loadOrCreateKey(d.name, d.key);
    const csr = buildDeviceCsr(d, key, batchChallenge(d, upstreamChallenge));
    const { der, transactionId } = await buildDeviceRequest(s.profile.identity, t, s.profile.name, csr, key, s.rt.clock.now());
    await s.dir.writePublic(s.dir.requestFile(d.name), der, true);
    return { entry: { ...base, status: "requested", transactionId, updatedAt: new Date().toISOString() }, skipped: false };
  } catch (err) {
    return { entry: failedEntry(base, err), skipped: false };
  } finally {
    release();
  }
}

/** Turns one device's NAME.p7r into its bundle. */
export async function collectDevice(s: BatchSession, up: SavedUpstream, name: string, slots: Slots): Promise<DeviceResult | undefined> {
  const base = baseEntry(s.manifest.get(name), name);
  const release = await slots.acquire();
  try {
    if (s.o.signal?.aborted) return undefined;
    const done = await s.dir.readBundle(name);
    if (done) return { entry: issuedEntry(base, done.cert), skipped: base.status === "issued" };
    const request = await s.dir.readIfExists(s.dir.requestFile(name));
    if (!request) return { entry: { ...base, status: "pending", error: `no ${name}.p7: run \`scepgate batch --requests-only\` again` }, skipped: false };
    const certRep = await s.dir.readIfExists(s.dir.certRepFile(name));
    if (!certRep) return { entry: { ...base, status: "requested" }, skipped: false };
    const key = await s.dir.loadKey(name);
    if (!key) throw new BatchUsageError(`${s.dir.keyFile(name)} is missing`);
    const r = await collectCertRep({ request, certRep, decryption: s.profile.identity.decryption, trustedSigners: up.signers, deviceSpki: spkiOf(key) });
    const now = new Date().toISOString();
    if (r.status === "pending") return { entry: { ...base, status: "pending", error: `the CA answered PENDING: poll it and save its new CertRep as ${name}.p7r`, updatedAt: now }, skipped: false };
    if (r.status === "rejected") return { entry: failedEntry(base, r.reason), skipped: false };
    await s.dir.writeBundle(name, { key, cert: r.certificate, chain: up.caPath }, s.o.legacyP12);
    return { entry: issuedEntry(base, r.certificate), skipped: false };
  } catch (err) {
    return { entry: failedEntry(base, err), skipped: false };
  } finally {
    release();
  }
}
