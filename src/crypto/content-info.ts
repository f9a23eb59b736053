/** CMS ContentInfo (RFC 5652 §3): `SEQUENCE { contentType, [0] EXPLICIT content }`. */
import { children, ctx, expectChildren, oid, oidValue, parseDer, seq, Tag, type Tlv } from "./der.js";
import { DerError } from "./errors.js";

export function parseContentInfo(der: Uint8Array): { contentType: string; content: Tlv } {
  const [type, wrapped] = expectChildren(parseDer(der), Tag.SEQUENCE, "ContentInfo", 2);
  if (wrapped!.tag !== 0xa0) throw new DerError("ContentInfo: content is not [0]");
  const [content] = children(wrapped!);
  if (!content) throw new DerError("ContentInfo: empty content");
  return { contentType: oidValue(type!), content };
}

export function contentInfo(contentType: string, content: Uint8Array): Uint8Array {
  return seq(oid(contentType), ctx(0, content));
}
