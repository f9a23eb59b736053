/** X.509 CRLs (RFC 5280 §5): building a (usually empty) CRL for the embedded CA. */
import { sign as nodeSign, type KeyObject } from "node:crypto";
import { Digests, signatureOid } from "./algorithms.js";
import type { Certificate } from "./certificate.js";
import { algorithmId, bitString, ctx, derNull, int, intRaw, oid, octets, seq, time } from "./der.js";
import { authorityKeyIdentifier } from "./extensions.js";
import { Oid } from "./oids.js";

export interface CrlOptions {
  issuerCert: Certificate;
  issuerKey: KeyObject;
  thisUpdate: Date;
  nextUpdate: Date;
  /** CRL number (monotonic per issuer). */
  number: number;
  revoked?: ReadonlyArray<{ serial: Uint8Array; at: Date }>;
}

export function buildCrl(o: CrlOptions): Uint8Array {
  const keyType = o.issuerKey.asymmetricKeyType === "ec" ? "ec" : "rsa";
  const sigAlg = keyType === "rsa" ? algorithmId(signatureOid("rsa", "sha256"), derNull()) : algorithmId(signatureOid("ec", "sha256"));
  const revoked = o.revoked?.length ? [seq(...o.revoked.map((r) => seq(intRaw(r.serial), time(r.at))))] : [];
  const extensions = ctx(
    0,
    seq(
      seq(oid(Oid.authorityKeyIdentifier), octets(authorityKeyIdentifier(o.issuerCert.spki))),
      seq(oid("2.5.29.20"), octets(int(o.number))),
    ),
  );
  const tbs = seq(int(1), sigAlg, o.issuerCert.subject, time(o.thisUpdate), time(o.nextUpdate), ...revoked, extensions);
  return seq(tbs, sigAlg, bitString(nodeSign(Digests.sha256.node, tbs, o.issuerKey)));
}
