/** CMS ContentInfo (RFC 5652 §3): `SEQUENCE { contentType, [0] EXPLICIT content }`. */
import { children, ctx, expectChildren, oid, oidValue, parseDer, seq, Tag, type Tlv } from "./der.js";
import { DerError } from "./errors.js";

export function parseContentInfo(der: Uint8Array): { contentType: string; content: Tlv } {
  const [type, wrapped, ...extra] = expectChildren(parseDer(der), Tag.SEQUENCE, "ContentInfo", 2);
  // Exactly { contentType, [0] content } and the [0] EXPLICIT wraps one element (X.690 §8.14.2): a second one was skipped unread (issue 12, fuzz-contentinfo-two-contents).
  if (extra.length) throw new DerError("ContentInfo: more than 2 elements");
  if (wrapped!.tag !== 0xa0) throw new DerError("ContentInfo: content is not [0]");
  const [content, ...more] = children(wrapped!);
  if (!content) throw new DerError("ContentInfo: empty content");
  if (more.length) throw new DerError("ContentInfo: content [0] holds more than 1 element");
  return { contentType: oidValue(type!), content };
}

export function contentInfo(contentType: string, content: Uint8Array): Uint8Array {
  return seq(oid(contentType), ctx(0, content));
}
