/**
 * The seed corpus, by kind: the real-client vectors of test/vectors
 * (scepclient, pki, certmonger) and their parts, plus pkiMessages built here
 * with our client codec (src/protocol/client.ts) over a matrix of ciphers,
 * digests, signer keys and message types. Each seed is parsed once into the
 * fuzzer's own tree (tlv-model.ts).
 *
 * The built seeds differ from run to run (fresh test keys, random content
 * keys, IVs and serials, the signing time), so a campaign over them is not
 * reproducible; `vectorsOnly` leaves them out for a deterministic corpus.
 */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import {
  buildCrl, buildCsr, buildName, degenerateSignedData, children, Oid, parseDer, pemCertificates, raw, subjectAltName, type CipherName, type DecryptionKey, type DigestName,
  implicitRejectionSecret, loadPrivateKey, parseCertificate,
} from "../../src/crypto/index.js";
import { buildRequest, encodeIssuerAndSerial, encodeIssuerAndSubject, MessageType } from "../../src/protocol/index.js";
import { testPki, type TestIdentity } from "../support/pki.js";
import type { Kind } from "./ours.js";
import { parseTree, type Node } from "./tlv-model.js";

export const VECTORS_DIR = join(import.meta.dirname, "..", "vectors");

export interface Corpus {
  seeds: Record<Kind, Array<{ label: string; bytes: Uint8Array; tree: Node }>>;
  /** Keys that open the pkcsPKIEnvelope of the seeds (our test RA, the vectors' CA). */
  keys: DecryptionKey[];
  /** The test PKI of the built seeds; undefined for a vectors-only corpus. */
  pki: Awaited<ReturnType<typeof testPki>> | undefined;
}

function add(c: Corpus, kind: Kind, label: string, bytes: Uint8Array): void {
  c.seeds[kind].push({ label, bytes, tree: parseTree(bytes) });
}

function vectorSeeds(c: Corpus): void {
  for (const d of readdirSync(VECTORS_DIR, { withFileTypes: true })) {
    const dir = join(VECTORS_DIR, d.name);
    if (!d.isDirectory() || !existsSync(join(dir, "request.der"))) continue;
    const file = (f: string): Buffer | undefined => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : undefined);
    add(c, "pkimessage", `${d.name}/request.der`, file("request.der")!);
    const resp = file("response.der");
    if (resp) add(c, "pkimessage", `${d.name}/response.der`, resp);
    const csr = file("csr.der");
    if (csr) add(c, "csr", `${d.name}/csr.der`, csr);
    const ias = file("issuer-and-subject.der");
    if (ias) add(c, "payload", `${d.name}/issuer-and-subject.der`, ias);
    for (const f of ["client-signer.crt.pem", "ca.crt.pem", "issued.crt.pem"]) {
      const pem = file(f);
      for (const der of pem ? pemCertificates(pem.toString("utf8")) : []) {
        add(c, "cert", `${d.name}/${f}`, der);
        const [tbs] = children(parseDer(der));
        const tk = children(tbs!);
        const subject = tk[tk[0]!.tag === 0xa0 ? 5 : 4]!;
        add(c, "name", `${d.name}/${f}:subject`, raw(subject));
      }
    }
    const caPem = file("ca.crt.pem");
    const caKey = file("ca.key.pem");
    if (caPem && caKey && !c.keys.some((k) => k.cert.der.length && Buffer.compare(k.cert.der, pemCertificates(caPem.toString("utf8"))[0]!) === 0)) {
      const key = loadPrivateKey(caKey.toString("utf8"));
      const cert = parseCertificate(pemCertificates(caPem.toString("utf8"))[0]!);
      c.keys.push({ cert, key, rejectionSecret: implicitRejectionSecret(key) });
      // A GetCRL-style answer (certs and a CRL with one revoked entry); fixed dates and RSA PKCS#1 v1.5 keep it the same from run to run.
      const crl = buildCrl({ issuerCert: cert, issuerKey: key, thisUpdate: new Date(Date.UTC(2026, 0, 1)), nextUpdate: new Date(Date.UTC(2026, 1, 1)), number: 3, revoked: [{ serial: Uint8Array.of(0x42), at: new Date(Date.UTC(2025, 11, 24)) }] });
      add(c, "pkimessage", `${d.name}/certs-and-crl`, degenerateSignedData([cert.der], [crl]));
    }
  }
}

const CIPHERS: CipherName[] = ["des", "des3", "aes128", "aes256"];
const DIGESTS: DigestName[] = ["sha1", "sha256", "sha512"];

/** A CSR with a challenge, SANs and a UTF-8 subject, from our builder. */
export function sampleCsr(key: TestIdentity["key"], cn: string): Uint8Array {
  return buildCsr({
    subject: buildName(`CN=${cn}, O=scepgate fuzz, C=DE`),
    key,
    challengePassword: "s3cret",
    extensions: [{ oid: Oid.subjectAltName, value: subjectAltName({ dns: [`${cn}.example`], ip: ["192.0.2.7", "2001:db8::1"], email: ["a@b.c"] }) }],
  });
}

function builtSeeds(c: Corpus, pki: Awaited<ReturnType<typeof testPki>>): void {
  const { ra, device, deviceEc, ca } = pki;
  let n = 0;
  for (const signer of [device, deviceEc]) {
    const csr = sampleCsr(signer.key, `fuzz-${signer.key.asymmetricKeyType}`);
    add(c, "csr", `built/csr-${signer.key.asymmetricKeyType}`, csr);
    for (const cipher of CIPHERS) {
      const digest = DIGESTS[n++ % DIGESTS.length]!;
      const msg = (messageType: "19" | "20" | "21", messageData: Uint8Array): Uint8Array =>
        buildRequest({ messageType, transactionId: `tx-${n}`, messageData, signer, recipient: ra.cert, cipher, digest, signingTime: new Date() }).der;
      add(c, "pkimessage", `built/pkcsreq-${cipher}-${digest}-${signer.key.asymmetricKeyType}`, msg(MessageType.PKCSReq, csr));
      if (n % 2 === 0) add(c, "pkimessage", `built/certpoll-${cipher}`, msg(MessageType.CertPoll, encodeIssuerAndSubject({ issuer: ca.cert.subject, subject: signer.cert.subject })));
      else add(c, "pkimessage", `built/getcert-${cipher}`, msg(MessageType.GetCert, encodeIssuerAndSerial({ issuer: ca.cert.subject, serial: ra.cert.serial })));
    }
  }
  for (const id of [ra, ca, device, deviceEc]) add(c, "cert", `built/${id.cert.subjectText()}`, id.cert.der);
  add(c, "payload", "built/issuer-and-serial", encodeIssuerAndSerial({ issuer: ca.cert.subject, serial: ra.cert.serial }));
  add(c, "name", "built/utf8-name", buildName("CN=Grüße, O=scepgate, DC=example, emailAddress=x@y.z, C=DE"));
}

/** Envelopes and DER trees are taken from inside the pkiMessages. */
function innerSeeds(c: Corpus): void {
  for (const s of c.seeds.pkimessage) {
    const [, wrapped] = children(parseDer(s.bytes));
    const sd = children(children(wrapped!)[0]!);
    const encap = children(sd[2]!);
    if (encap[1]) {
      const octet = children(encap[1])[0]!;
      const content = (octet.tag & 0x20) === 0 ? octet.buf.subarray(octet.contentStart, octet.contentEnd) : Buffer.concat(children(octet).map((x) => x.buf.subarray(x.contentStart, x.contentEnd)));
      if (content.length) add(c, "envelope", `${s.label}:envelope`, content);
    }
    add(c, "der", s.label, s.bytes);
  }
}

/** The corpus: vector seeds, plus (unless `vectorsOnly`) the built ones. */
export async function loadCorpus(o: { vectorsOnly?: boolean } = {}): Promise<Corpus> {
  const pki = o.vectorsOnly ? undefined : await testPki();
  const c: Corpus = { seeds: { der: [], name: [], cert: [], csr: [], envelope: [], pkimessage: [], payload: [] }, keys: pki ? [pki.ra.decryption] : [], pki };
  vectorSeeds(c);
  if (pki) builtSeeds(c, pki);
  innerSeeds(c);
  return c;
}
