/**
 * The stream of inputs: per kind, a weighted mix of mutants of the seeds
 * (mutate.ts) and of freshly generated structures (arbitraries.ts), drawn
 * with fast-check from a fixed seed so that every run is reproducible.
 */
import fc from "fast-check";
import { nameArb, treeArb } from "./arbitraries.js";
import { planArb, mutate } from "./mutate.js";
import type { Kind } from "./ours.js";
import type { Corpus } from "./seeds.js";
import { encodeTree } from "./tlv-model.js";

export interface Input {
  kind: Kind;
  bytes: Uint8Array;
  origin: string;
}

/** How often each kind is drawn (whole pkiMessages are ~100x slower through pkijs than the parts). */
export const KIND_WEIGHTS: ReadonlyArray<[Kind, number]> = [
  ["der", 30], ["name", 25], ["payload", 10], ["cert", 12], ["csr", 10], ["envelope", 8], ["pkimessage", 5],
];

function kindArb(c: Corpus, kind: Kind): fc.Arbitrary<Input> {
  const seeds = c.seeds[kind];
  const mutant = fc.tuple(fc.nat(seeds.length - 1), planArb).map(([i, plan]) => ({ kind, bytes: mutate(seeds[i]!.tree, plan), origin: `mutant of ${seeds[i]!.label}` }));
  if (kind === "der") return fc.oneof({ weight: 2, arbitrary: mutant }, { weight: 1, arbitrary: treeArb.map((t) => ({ kind, bytes: encodeTree(t), origin: "generated tree" })) });
  if (kind === "name" || kind === "payload") {
    const gen = nameArb.map((n) => ({ kind, bytes: encodeTree(kind === "name" ? n : { id: Uint8Array.of(0x30), form: "der" as const, children: [n, n] }), origin: `generated ${kind}` }));
    return fc.oneof({ weight: 1, arbitrary: mutant }, { weight: 1, arbitrary: gen });
  }
  return mutant;
}

/** The arbitrary of one input of any kind, weighted. */
export function inputArb(c: Corpus, only?: Kind): fc.Arbitrary<Input> {
  if (only) return kindArb(c, only);
  return fc.oneof(...KIND_WEIGHTS.map(([k, w]) => ({ weight: w, arbitrary: kindArb(c, k) })));
}

/** `count` inputs from batch `batch` of run seed `seed` (deterministic). */
export function drawBatch(arb: fc.Arbitrary<Input>, seed: number, batch: number, count: number): Input[] {
  return fc.sample(arb, { seed: (seed * 1_000_003 + batch) | 0, numRuns: count });
}
