/**
 * One input through our decoder and the reference, timed, plus (for whole
 * pkiMessages) the server's entry point decodeRequest, which must settle
 * with a result or a MalformedMessageError and nothing else.
 */
import type { DecryptionKey } from "../../src/crypto/index.js";
import { decodeRequest, MalformedMessageError } from "../../src/protocol/index.js";
import { judge, type Verdict } from "./compare.js";
import type { Input } from "./inputs.js";
import { decodeOurs, type Outcome } from "./ours.js";
import { decodeReference } from "./reference.js";

/** An input that takes longer than this in our decoder is a hang. */
export const HANG_MS = 1_000;

export interface Checked {
  verdict: Verdict;
  ours: Outcome;
  ourMs: number;
  refMs: number;
}

export async function checkInput(input: Input, keys: readonly DecryptionKey[]): Promise<Checked> {
  const t0 = performance.now();
  const ours = decodeOurs(input.kind, input.bytes);
  const t1 = performance.now();
  const ref = decodeReference(input.kind, input.bytes);
  const t2 = performance.now();
  let verdict = judge(ours, ref, input.kind);
  if (input.kind === "pkimessage" && verdict.kind !== "crash") {
    try {
      await decodeRequest(input.bytes, keys);
    } catch (err) {
      if (!(err instanceof MalformedMessageError)) verdict = { kind: "crash", detail: `decodeRequest: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}` };
    }
  }
  const ourMs = performance.now() - t2 + (t1 - t0);
  if (ourMs > HANG_MS && verdict.kind !== "crash") verdict = { kind: "crash", detail: `hang: ${ourMs.toFixed(0)} ms` };
  return { verdict, ours, ourMs, refMs: t2 - t1 };
}
