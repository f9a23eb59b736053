/**
 * fast-check arbitraries for the parts of SCEP messages: OID contents (small,
 * huge and malformed arcs), string values of every ASN.1 string type, Names,
 * and random BER trees with every length form and odd tags.
 */
import fc from "fast-check";
import type { LengthForm, Node } from "./tlv-model.js";

export const STRING_TAGS = [0x0c, 0x13, 0x14, 0x16, 0x1e, 0x1a, 0x1c, 0x12, 0x15] as const;
const KNOWN_OIDS = ["2.5.4.3", "2.5.4.10", "2.5.4.6", "1.2.840.113549.1.9.1", "0.9.2342.19200300.100.1.25", "2.16.840.1.113733.1.9.2", "1.2.840.113549.1.1.1"];

/** Base-128 arcs (X.690 §8.19), including ones past 2^53 and leading 0x80 octets. */
function encodeArc(v: bigint, pad: boolean): number[] {
  const out: number[] = [];
  for (let x = v; ; x >>= 7n) {
    out.unshift(Number(x & 0x7fn) | (out.length ? 0x80 : 0));
    if (x < 128n) break;
  }
  return pad ? [0x80, ...out] : out;
}

const arcArb = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 200n }) },
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 1n << 50n, max: 1n << 70n }) },
);

/** OID contents octets: mostly valid, sometimes padded, truncated or empty. */
export const oidContentArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.array(arcArb, { minLength: 1, maxLength: 10 }), fc.nat(20)).map(([arcs, p]) => Uint8Array.from(arcs.flatMap((a, i) => encodeArc(a, p === i)))) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(...KNOWN_OIDS).map(oidBytes) },
);

/** A dotted OID's contents octets (fuzzer-side writer). */
export function oidBytes(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(BigInt);
  return Uint8Array.from([arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)].flatMap((a) => encodeArc(a, false)));
}

/** A string value: tag and contents, valid or not for its type. */
export const stringArb: fc.Arbitrary<{ tag: number; content: Uint8Array }> = fc.oneof(
  fc.record({ tag: fc.constantFrom(...STRING_TAGS), content: fc.string({ unit: "binary", maxLength: 24 }).map((s) => Buffer.from(s, "utf8")) }),
  fc.record({ tag: fc.constantFrom(...STRING_TAGS), content: fc.uint8Array({ maxLength: 24 }) }),
  fc.record({ tag: fc.constant(0x1e), content: fc.string({ maxLength: 12 }).map((s) => Buffer.from(s, "utf16le").swap16()) }),
);

const formArb: fc.Arbitrary<LengthForm> = fc.oneof(
  { weight: 10, arbitrary: fc.constant("der" as const) },
  { weight: 1, arbitrary: fc.constantFrom("long" as const, "overlong" as const, "indefinite" as const) },
);

const prim = (tag: number, content: Uint8Array, form: LengthForm = "der"): Node => ({ id: Uint8Array.of(tag), content, form });
const cons = (tag: number, children: Node[], form: LengthForm = "der"): Node => ({ id: Uint8Array.of(tag), children, form });

/** AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY } */
const atvArb: fc.Arbitrary<Node> = fc
  .tuple(oidContentArb, stringArb, formArb)
  .map(([o, s, f]) => cons(0x30, [prim(0x06, o), prim(s.tag, s.content)], f));

/** A Name: RDNs of one or more AttributeTypeAndValue (RFC 5280 §4.1.2.4), with odd forms now and then. */
export const nameArb: fc.Arbitrary<Node> = fc
  .tuple(fc.array(fc.tuple(fc.array(atvArb, { minLength: 0, maxLength: 3 }), formArb), { maxLength: 5 }), formArb)
  .map(([rdns, f]) => cons(0x30, rdns.map(([atvs, rf]) => cons(0x31, atvs, rf)), f));

/** A random identifier: universal, context, application, multi-byte high tags. */
const idArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x80, 0x81, 0x82).map((t) => Uint8Array.of(t)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((t) => Uint8Array.of(t & 0xdf)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0x1f, 0x9f, 0x5f), fc.integer({ min: 0, max: 0x7f })).map(([a, b]) => Uint8Array.of(a, b)) },
);

/** A random BER tree up to `depth` levels, constructed nodes SEQUENCE/SET/[n]. */
export const treeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(idArb, fc.uint8Array({ maxLength: 16 }), formArb).map(([id, content, form]) => ({ id, content, form })),
    fc.tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa1, 0xa3, 0x24), fc.array(tie("node"), { maxLength: 4 }), formArb).map(([t, kids, f]) => cons(t, kids, f)),
    nameArb,
  ),
})).node;

/** Deep nesting around the MAX_DEPTH boundary of the decoder (40). */
export const depthArb: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 35, max: 45 }), fc.integer({ min: 1, max: 300 }));
