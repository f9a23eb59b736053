/**
 * The SCEP authenticated attributes (RFC 8894 §3.2.1) read from and written
 * to a SignerInfo.
 */
import { contents, octets, printable, stringValue, Tag, utf8, type Attribute, type Tlv } from "../crypto/index.js";
import { ScepOid } from "./types.js";

export interface ScepAttributes {
  messageType?: string;
  transactionId?: string;
  senderNonce?: Uint8Array;
  recipientNonce?: Uint8Array;
  pkiStatus?: string;
  failInfo?: string;
  failInfoText?: string;
}

/** An attribute whose value is not of the type RFC 8894 gives it. */
export class AttributeError extends Error {
  override name = "AttributeError";
}

function text(values: Tlv[] | undefined, name: string): string | undefined {
  const v = values?.[0];
  if (!v) return undefined;
  try {
    return stringValue(v);
  } catch {
    throw new AttributeError(`${name} is not a string`);
  }
}

function bytes(values: Tlv[] | undefined, name: string): Uint8Array | undefined {
  const v = values?.[0];
  if (!v) return undefined;
  if (v.tag !== Tag.OCTET_STRING) throw new AttributeError(`${name} is not an OCTET STRING`);
  return contents(v);
}

/** Reads the SCEP attributes present; throws AttributeError on a wrongly typed one. */
export function readScepAttributes(attrs: ReadonlyMap<string, Tlv[]>): ScepAttributes {
  return {
    messageType: text(attrs.get(ScepOid.messageType), "messageType"),
    transactionId: text(attrs.get(ScepOid.transactionID), "transactionID"),
    senderNonce: bytes(attrs.get(ScepOid.senderNonce), "senderNonce"),
    recipientNonce: bytes(attrs.get(ScepOid.recipientNonce), "recipientNonce"),
    pkiStatus: text(attrs.get(ScepOid.pkiStatus), "pkiStatus"),
    failInfo: text(attrs.get(ScepOid.failInfo), "failInfo"),
    failInfoText: text(attrs.get(ScepOid.failInfoText), "failInfoText"),
  };
}

/** Encodes the attributes given (PrintableString, OCTET STRING, UTF8String for failInfoText). */
export function scepAttributes(a: ScepAttributes): Attribute[] {
  const out: Attribute[] = [];
  const str = (type: string, v: string | undefined): void => void (v !== undefined && out.push({ type, values: [printable(v)] }));
  const oct = (type: string, v: Uint8Array | undefined): void => void (v !== undefined && out.push({ type, values: [octets(v)] }));
  str(ScepOid.messageType, a.messageType);
  str(ScepOid.pkiStatus, a.pkiStatus);
  str(ScepOid.failInfo, a.failInfo);
  str(ScepOid.transactionID, a.transactionId);
  oct(ScepOid.senderNonce, a.senderNonce);
  oct(ScepOid.recipientNonce, a.recipientNonce);
  if (a.failInfoText !== undefined) out.push({ type: ScepOid.failInfoText, values: [utf8(a.failInfoText)] });
  return out;
}
