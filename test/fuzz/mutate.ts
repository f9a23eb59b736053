/**
 * Structure-aware mutation of a seed: a fast-check "plan" of one to four
 * operations, each applied to a node chosen in the seed's tree (lengths,
 * tags, string types, OIDs, children, nesting), then optionally a byte-level
 * finish (bit flips, truncation) on the written bytes.
 */
import fc from "fast-check";
import { depthArb, oidContentArb, stringArb, treeArb } from "./arbitraries.js";
import { cloneTree, encodeTree, walk, type LengthForm, type Node } from "./tlv-model.js";

const OPS = [
  "form", "retag", "content", "emptyContent", "deleteChild", "duplicateChild", "swapChildren", "insertTree", "wrapDeep",
  "oid", "string", "segmentOctets", "integer", "primitiveIndefinite", "lengthOverflow",
] as const;

interface Step {
  op: (typeof OPS)[number];
  at: number;
  r: number;
  bytes: Uint8Array;
  oid: Uint8Array;
  str: { tag: number; content: Uint8Array };
  tree: Node;
  depth: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.constantFrom(...OPS),
  at: fc.nat(),
  r: fc.nat(),
  bytes: fc.uint8Array({ maxLength: 24 }),
  oid: oidContentArb,
  str: stringArb,
  tree: treeArb,
  depth: depthArb,
});

const finishArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: "none" as const, at: 0, bit: 0 }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat(), bit: fc.constant(0) }) },
);

/** A mutation plan for some seed. */
export const planArb = fc.record({ steps: fc.array(stepArb, { minLength: 1, maxLength: 4 }), finish: finishArb });
export type Plan = typeof planArb extends fc.Arbitrary<infer T> ? T : never;

const FORMS: LengthForm[] = ["der", "long", "overlong", "indefinite"];

function applyStep(root: Node, s: Step): Node {
  const nodes = walk(root);
  const e = nodes[s.at % nodes.length]!;
  const n = e.node;
  switch (s.op) {
    case "form":
      n.form = FORMS[s.r % FORMS.length]!;
      break;
    case "retag":
      n.id = s.r % 3 === 0 ? Uint8Array.of(n.id[0]! ^ (1 << (s.r % 8))) : Uint8Array.of((n.id[0]! & 0x20) | (s.r % 0x1f));
      break;
    case "content":
      if (n.content) n.content = s.bytes;
      else n.children = [{ id: Uint8Array.of(0x04), content: s.bytes, form: "der" }];
      break;
    case "emptyContent":
      if (n.content) n.content = new Uint8Array(0);
      else n.children = [];
      break;
    case "deleteChild":
      if (n.children?.length) n.children.splice(s.r % n.children.length, 1);
      break;
    case "duplicateChild":
      if (n.children?.length) n.children.splice(s.r % n.children.length, 0, cloneTree(n.children[s.r % n.children.length]!));
      break;
    case "swapChildren":
      if (n.children && n.children.length > 1) {
        const i = s.r % n.children.length;
        const j = (i + 1) % n.children.length;
        [n.children[i], n.children[j]] = [n.children[j]!, n.children[i]!];
      }
      break;
    case "insertTree":
      if (n.children) n.children.splice(s.r % (n.children.length + 1), 0, s.tree);
      else if (e.parent) e.parent.children![e.index] = s.tree;
      break;
    case "wrapDeep": {
      let inner: Node = cloneTree(n);
      for (let i = 0; i < s.depth; i++) inner = { id: Uint8Array.of(0x30), children: [inner], form: s.r % 5 === 0 ? "indefinite" : "der" };
      if (!e.parent) return inner;
      e.parent.children![e.index] = inner;
      break;
    }
    case "oid": {
      const oids = nodes.filter((x) => x.node.id[0] === 0x06);
      const target = oids[s.r % Math.max(1, oids.length)]?.node ?? n;
      if (target.content) target.content = s.oid;
      break;
    }
    case "string": {
      const strs = nodes.filter((x) => [0x0c, 0x13, 0x14, 0x16, 0x1e].includes(x.node.id[0]!));
      const target = strs[s.r % Math.max(1, strs.length)]?.node;
      if (target) {
        target.id = Uint8Array.of(s.str.tag);
        target.content = s.r % 2 === 0 ? s.str.content : target.content;
      }
      break;
    }
    case "segmentOctets":
      if (n.content && n.content.length > 1) {
        const cut = 1 + (s.r % (n.content.length - 1));
        const tag = n.id[0]! & 0xdf;
        n.children = [{ id: Uint8Array.of(tag), content: n.content.slice(0, cut), form: "der" }, { id: Uint8Array.of(tag), content: n.content.slice(cut), form: "der" }];
        n.content = undefined;
        n.id = Uint8Array.of(n.id[0]! | 0x20);
        n.form = s.r % 2 === 0 ? "indefinite" : "der";
      }
      break;
    case "integer": {
      const ints = nodes.filter((x) => x.node.id[0] === 0x02);
      const target = ints[s.r % Math.max(1, ints.length)]?.node;
      if (target?.content) {
        const v = s.r % 4;
        target.content = v === 0 ? new Uint8Array(0) : v === 1 ? Uint8Array.of(0, 0, ...target.content) : v === 2 ? Uint8Array.of(0xff, ...target.content) : s.bytes;
      }
      break;
    }
    case "primitiveIndefinite":
      // Marker for the raw writer: a primitive element with an indefinite length (not BER).
      if (n.content) n.form = "indefinite";
      break;
    case "lengthOverflow":
      n.form = "long";
      (n as Node & { overflow?: number }).overflow = 1 + (s.r % 6);
      break;
  }
  return root;
}

/** Writes a mutant of `seed` by `plan`. */
export function mutate(seed: Node, plan: Plan): Uint8Array {
  let root = cloneTree(seed);
  for (const s of plan.steps) root = applyStep(root, s);
  let bytes = encodeTree(root);
  const overflow = walk(root).find((x) => (x.node as Node & { overflow?: number }).overflow);
  if (overflow) bytes = patchLengthOverflow(bytes, (overflow.node as Node & { overflow?: number }).overflow!);
  const f = plan.finish;
  if (f.kind === "flip" && bytes.length) {
    const copy = Buffer.from(bytes);
    const at = f.at % copy.length;
    copy[at] = copy[at]! ^ (1 << f.bit);
    bytes = copy;
  } else if (f.kind === "truncate" && bytes.length) bytes = bytes.subarray(0, f.at % bytes.length);
  return bytes;
}

/** Rewrites the outer length as a 5- to 10-octet (or huge) long form: beyond what a 4-octet reader expects. */
function patchLengthOverflow(bytes: Uint8Array, k: number): Uint8Array {
  if (bytes.length < 2 || bytes[1]! < 0x80) return bytes;
  const n = bytes[1]! & 0x7f;
  const lenOctets = bytes.subarray(2, 2 + n);
  const extra = k <= 3 ? new Array<number>(k).fill(0) : [0xff, 0xff, 0xff, 0xff].slice(0, k - 3);
  return Buffer.concat([bytes.subarray(0, 1), Uint8Array.of(0x80 | (n + extra.length)), Uint8Array.from(extra), lenOctets, bytes.subarray(2 + n)]);
}
