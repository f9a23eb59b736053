/**
 * What the RA makes for a batch device from its key: the PKCS#10 request
 * (subject and SANs from the CSV row, the challenge password when there is
 * one), the self-signed certificate a device would sign its pkiMessage with
 * (RFC 8894 §2.3; the record needs it), and the device transactionID.
 */
import { randomBytes, type KeyObject } from "node:crypto";
import {
  basicConstraints, buildCsr, buildName, children, ctx, encodeKeyUsage, expectChildren, expectTag, issueCertificate, Oid, oidValue, parseDer,
  raw, seq, spkiOf, subjectAltName, subjectKeyIdentifier, Tag, type Certificate, type CipherName, type DigestName, type ExtensionSpec,
} from "../crypto/index.js";
import { buildRequest, MessageType } from "../protocol/index.js";
import type { BatchDevice } from "./batch-devices.js";
import type { RaIdentity } from "./identity.js";
import { keyId, upstreamTransactionId } from "./ids.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

/** An RFC 4514-style value for buildName: `\` and `,` escaped (a leading `/` is harmless after `C=`/`O=`/`CN=`). */
function dnValue(v: string): string {
  return v.replace(/([\\,])/g, "\\$1");
}

/** The subject DN text of a device, most significant first: C, O, OU, CN. */
export function deviceSubject(d: Pick<BatchDevice, "c" | "o" | "ou" | "cn">): string {
  const parts: string[] = [];
  if (d.c) parts.push(`C=${dnValue(d.c)}`);
  if (d.o) parts.push(`O=${dnValue(d.o)}`);
  if (d.ou) parts.push(`OU=${dnValue(d.ou)}`);
  parts.push(`CN=${dnValue(d.cn)}`);
  return parts.join(", ");
}

/**
 * The device's transactionID: SHA-256 of its SubjectPublicKeyInfo, hex (RFC
 * 8894 §3.2.1.1). The key is on disk before anything is submitted, so a
 * rerun finds the same transaction (one record per profile and
 * transactionID) and never enrolls the device twice.
 */
export function deviceTransactionId(key: KeyObject): string {
  return keyId(spkiOf(key));
}

/** Builds the device's CSR, signed by its own key. */
export function buildDeviceCsr(d: BatchDevice, key: KeyObject, challengePassword: string | undefined): Uint8Array {
  const extensions: ExtensionSpec[] = [];
  if (d.dns.length + d.ip.length + d.email.length > 0) {
    extensions.push({ oid: Oid.subjectAltName, value: subjectAltName({ dns: d.dns, ip: d.ip, email: d.email }) });
  }
  return buildCsr({ subject: buildName(deviceSubject(d)), key, challengePassword, extensions });
}

/**
 * Removes the challengePassword attribute from a CSR, keeping its signature.
 *
 * NOTE(micromdm): a profile with `upstream.challenge` has the RA put that
 * challenge into every forwarded CSR (upstream/csr-challenge.ts), so batch
 * records are stored without it (the upstream's password never sits in
 * Redis) and get it back, in the same DER position, on the way out: a CSR
 * signed over the challenge then verifies again at the CA.
 */
export function withoutChallengePassword(csrDer: Uint8Array): Uint8Array {
  const [info, sigAlg, signature] = expectChildren(parseDer(csrDer), Tag.SEQUENCE, "CertificationRequest", 3);
  const [version, subject, spki, attrs] = expectChildren(info, Tag.SEQUENCE, "CertificationRequestInfo", 3);
  const kept = attrs
    ? children(expectTag(attrs, 0xa0, "attributes")).filter((a) => oidValue(expectChildren(a, Tag.SEQUENCE, "Attribute", 2)[0]!) !== Oid.challengePassword)
    : [];
  return seq(seq(raw(version!), raw(subject!), raw(spki!), ctx(0, ...kept.map(raw))), raw(sigAlg!), raw(signature!));
}

/**
 * A self-signed certificate for the device key: what a device would sign
 * its PKCSReq with. Valid from five minutes ago for `days`.
 */
export function deviceRequesterCertificate(d: BatchDevice, key: KeyObject, now: Date, days = 365, spki = spkiOf(key)): Uint8Array {
  return issueCertificate({
    subject: buildName(deviceSubject(d)),
    spki,
    serial: randomBytes(16).fill(0x40, 0, 1),
    notBefore: new Date(now.getTime() - 5 * MINUTE),
    notAfter: new Date(now.getTime() + days * DAY),
    issuerKey: key,
    extensions: [
      { oid: Oid.basicConstraints, critical: true, value: basicConstraints(false) },
      { oid: Oid.keyUsage, critical: true, value: encodeKeyUsage({ digitalSignature: true }) },
      { oid: Oid.subjectKeyIdentifier, value: subjectKeyIdentifier(spki) },
    ],
  });
}

/** Where an RA-signed request is sent: the CA's (or its RA's) encryption certificate and the algorithms it takes. */
export interface RequestTarget {
  recipient: Certificate;
  cipher: CipherName;
  digest: DigestName;
}

/**
 * The PKCSReq the RA would send upstream for this device (`--requests-only`):
 * the CSR signed by the device key, in a pkiMessage signed by the RA signing
 * identity with only the RA certificate carried (NOTE(micromdm): the CA
 * encrypts its CertRep to every certificate carried), encrypted to the
 * target. The transactionID is the one the forward workers would use for
 * this device (upstreamTransactionId of its device transactionID).
 */
export async function buildDeviceRequest(
  identity: RaIdentity,
  target: RequestTarget,
  profile: string,
  csrDer: Uint8Array,
  key: KeyObject,
  now: Date,
): Promise<{ der: Uint8Array; transactionId: string }> {
  const transactionId = upstreamTransactionId(profile, deviceTransactionId(key));
  const { signer } = identity;
  const built = await buildRequest({
    messageType: MessageType.PKCSReq,
    transactionId,
    messageData: csrDer,
    signer: { cert: signer.cert, key: signer.key, certificates: [signer.cert.der] },
    recipient: target.recipient,
    cipher: target.cipher,
    digest: target.digest,
    signingTime: now,
  });
  return { der: built.der, transactionId };
}
