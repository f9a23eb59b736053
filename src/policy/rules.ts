/** Key and subject rules for enrollment requests. */
import type { Csr } from "../crypto/index.js";

export interface RequestRules {
  rsaMinBits: number;
  ecCurves: readonly string[];
  /** Regular expression the subject CN must match (whole or partial, as written). */
  subjectCn?: RegExp;
}

/** Returns why the request breaks a rule, or undefined when it passes. */
export function checkRules(csr: Csr, rules: RequestRules): string | undefined {
  const key = csr.key();
  if (key.type === "rsa" && key.bits < rules.rsaMinBits) return `RSA key of ${key.bits} bits is below the minimum of ${rules.rsaMinBits}`;
  if (key.type === "ec" && !rules.ecCurves.includes(key.curve ?? "")) return `EC curve ${key.curve} is not allowed (allowed: ${rules.ecCurves.join(", ")})`;
  if (key.type === "other") return "only RSA and EC keys are accepted";
  if (rules.subjectCn) {
    const cn = csr.commonName;
    if (cn === undefined) return "the subject has no CN";
    if (!rules.subjectCn.test(cn)) return `subject CN "${cn}" does not match ${rules.subjectCn.source}`;
  }
  return undefined;
}
