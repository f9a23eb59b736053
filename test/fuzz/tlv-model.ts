/**
 * The fuzzer's own model of a BER element tree, independent of the decoder
 * under test (src/crypto/der.ts): parse a well-formed seed into nodes, and
 * write nodes back with a chosen length form per node (X.690 §8.1.3: short,
 * long, overlong long form, indefinite). Mutations work on this tree.
 */

/** How a node's length octets are written. */
export type LengthForm = "der" | "long" | "overlong" | "indefinite";

/** One element: identifier octets, and either contents (primitive) or children (constructed). */
export interface Node {
  /** The identifier octets (one, or more for a high tag number). */
  id: Uint8Array;
  children?: Node[];
  content?: Uint8Array;
  form: LengthForm;
}

/** Parses well-formed BER (definite or indefinite lengths). Throws on anything else: seeds only. */
export function parseTree(buf: Uint8Array): Node {
  const [node, end] = parseAt(buf, 0, buf.length);
  if (end !== buf.length) throw new Error("seed: trailing data");
  return node;
}

function parseAt(buf: Uint8Array, pos: number, limit: number): [Node, number] {
  const idStart = pos;
  if ((buf[pos++]! & 0x1f) === 0x1f) while (buf[pos++]! & 0x80);
  const id = buf.slice(idStart, pos);
  const constructed = (id[0]! & 0x20) !== 0;
  const first = buf[pos++]!;
  if (first === 0x80) {
    const children: Node[] = [];
    while (!(buf[pos] === 0 && buf[pos + 1] === 0)) {
      const [child, next] = parseAt(buf, pos, limit);
      children.push(child);
      pos = next;
    }
    return [{ id, children, form: "indefinite" }, pos + 2];
  }
  let len = first;
  if (first > 0x80) {
    len = 0;
    for (let i = 0; i < (first & 0x7f); i++) len = len * 256 + buf[pos++]!;
  }
  const end = pos + len;
  if (end > limit) throw new Error("seed: length exceeds the data");
  if (!constructed) return [{ id, content: buf.slice(pos, end), form: "der" }, end];
  const children: Node[] = [];
  while (pos < end) {
    const [child, next] = parseAt(buf, pos, end);
    children.push(child);
    pos = next;
  }
  return [{ id, children, form: "der" }, end];
}

function lengthOctets(len: number, form: LengthForm): number[] {
  const bytes: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (form === "der") return len < 0x80 ? [len] : [0x80 | bytes.length, ...bytes];
  if (form === "long") return [0x80 | Math.max(1, bytes.length), ...(bytes.length ? bytes : [0])];
  return [0x80 | (bytes.length + 1), 0, ...bytes]; // overlong: a leading zero octet
}

/** Writes the tree with each node's length form. */
export function encodeTree(n: Node): Uint8Array {
  const parts: Uint8Array[] = [];
  write(n, parts);
  return Buffer.concat(parts);
}

function write(n: Node, out: Uint8Array[]): void {
  out.push(n.id);
  if (n.children) {
    if (n.form === "indefinite") {
      out.push(Uint8Array.of(0x80));
      for (const c of n.children) write(c, out);
      out.push(Uint8Array.of(0, 0));
      return;
    }
    const inner: Uint8Array[] = [];
    for (const c of n.children) write(c, inner);
    const body = Buffer.concat(inner);
    out.push(Uint8Array.from(lengthOctets(body.length, n.form)), body);
    return;
  }
  const content = n.content ?? new Uint8Array(0);
  // A primitive with an indefinite length is not BER (X.690 §8.1.3.2): written anyway, as a mutation.
  if (n.form === "indefinite") out.push(Uint8Array.of(0x80), content, Uint8Array.of(0, 0));
  else out.push(Uint8Array.from(lengthOctets(content.length, n.form)), content);
}

/** Every node in pre-order, with its parent (for deletion and duplication). */
export function walk(root: Node): Array<{ node: Node; parent: Node | undefined; index: number; depth: number }> {
  const out: Array<{ node: Node; parent: Node | undefined; index: number; depth: number }> = [];
  const stack: Array<{ node: Node; parent: Node | undefined; index: number; depth: number }> = [{ node: root, parent: undefined, index: 0, depth: 0 }];
  for (let e = stack.pop(); e; e = stack.pop()) {
    out.push(e);
    const kids = e.node.children ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i]!, parent: e.node, index: i, depth: e.depth + 1 });
  }
  return out;
}

/** A deep copy (mutations edit in place). */
export function cloneTree(n: Node): Node {
  return n.children ? { id: n.id, form: n.form, children: n.children.map(cloneTree) } : { id: n.id, form: n.form, content: n.content };
}
