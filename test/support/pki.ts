/**
 * Test PKI: a CA, an RA and device identities made with scepgate's own
 * certificate builder, cached per process (RSA key generation is slow).
 */
import { randomBytes, type KeyObject } from "node:crypto";
import {
  basicConstraints, buildName, encodeKeyUsage, generateKey, implicitRejectionSecret, issueCertificate, Oid, parseCertificate, spkiOf,
  subjectKeyIdentifier, type Certificate, type DecryptionKey, type KeySpec,
} from "../../src/crypto/index.js";

export interface TestIdentity {
  cert: Certificate;
  key: KeyObject;
  decryption: DecryptionKey;
}

function identity(certDer: Uint8Array, key: KeyObject): TestIdentity {
  const cert = parseCertificate(certDer);
  return { cert, key, decryption: { cert, key, rejectionSecret: implicitRejectionSecret(key) } };
}

const day = 86_400_000;

export async function makeIdentity(
  dn: string,
  spec: KeySpec,
  opts: { issuer?: TestIdentity; ca?: boolean; keyUsage?: Parameters<typeof encodeKeyUsage>[0] } = {},
): Promise<TestIdentity> {
  const key = await generateKey(spec);
  const spki = spkiOf(key);
  const der = issueCertificate({
    subject: buildName(dn),
    spki,
    serial: randomBytes(12),
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 365 * day),
    issuerCert: opts.issuer?.cert,
    issuerKey: opts.issuer?.key ?? key,
    extensions: [
      { oid: Oid.basicConstraints, critical: true, value: basicConstraints(!!opts.ca) },
      ...(opts.keyUsage ? [{ oid: Oid.keyUsage, critical: true, value: encodeKeyUsage(opts.keyUsage) }] : []),
      { oid: Oid.subjectKeyIdentifier, value: subjectKeyIdentifier(spki) },
    ],
  });
  return identity(der, key);
}

/** The self-signed certificate a device signs its requests with before it has one (as scepclient and pki make): `CN=cn, O=lab`, a day either side of now. */
export function selfSignedDeviceCert(cn: string, key: KeyObject): Certificate {
  return parseCertificate(
    issueCertificate({
      subject: buildName(`CN=${cn}, O=lab`),
      spki: spkiOf(key),
      serial: Uint8Array.of(0x01, ...randomBytes(8)),
      notBefore: new Date(Date.now() - day),
      notAfter: new Date(Date.now() + day),
      issuerKey: key,
      extensions: [
        { oid: Oid.basicConstraints, critical: true, value: basicConstraints(false) },
        { oid: Oid.keyUsage, critical: true, value: encodeKeyUsage({ digitalSignature: true, keyEncipherment: true }) },
      ],
    }),
  );
}

let cached: Promise<{ ca: TestIdentity; ra: TestIdentity; device: TestIdentity; deviceEc: TestIdentity }> | undefined;

/** A CA, an RA issued by it (signing + encipherment), an RSA device and an EC device (self-signed). */
export function testPki(): Promise<{ ca: TestIdentity; ra: TestIdentity; device: TestIdentity; deviceEc: TestIdentity }> {
  cached ??= (async () => {
    const ca = await makeIdentity("CN=Test CA, O=scepgate tests", "rsa-2048", { ca: true, keyUsage: { keyCertSign: true, cRLSign: true } });
    const ra = await makeIdentity("CN=Test RA, O=scepgate tests", "rsa-2048", {
      issuer: ca,
      keyUsage: { digitalSignature: true, keyEncipherment: true },
    });
    const device = await makeIdentity("CN=device-1", "rsa-2048");
    const deviceEc = await makeIdentity("CN=device-ec", "ec-p256");
    return { ca, ra, device, deviceEc };
  })();
  return cached;
}
