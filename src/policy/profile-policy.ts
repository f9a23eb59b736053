/**
 * The ApprovalPolicy of a profile: key and subject rules, the challenge
 * password (none / static / one-time), then auto or manual approval.
 */
import { isTrustedBy, parseCertificate, type Certificate } from "../crypto/index.js";
import { FailInfo } from "../protocol/index.js";
import type { ApprovalPolicy, ChallengeOutcome, OneTimePasswords, PolicyDecision, PolicyInput } from "../ra/ports.js";
import { secretsEqual } from "./challenge.js";
import { checkRules, type RequestRules } from "./rules.js";

export interface ProfilePolicyOptions {
  approval: "auto" | "manual";
  challenge: { mode: "none" } | { mode: "static"; value: string } | { mode: "otp"; store: OneTimePasswords };
  rules: RequestRules;
  /** CA certificates whose issued, unexpired certificates may renew without a challenge (RenewalReq). */
  renewalAnchors: () => Promise<Uint8Array[]>;
}

export class ProfilePolicy implements ApprovalPolicy {
  constructor(private readonly o: ProfilePolicyOptions) {}

  async evaluate(input: PolicyInput): Promise<PolicyDecision> {
    const broken = checkRules(input.csr, this.o.rules);
    if (broken) return { decision: "reject", failInfo: FailInfo.badRequest, reason: broken, challenge: "not-required" };
    const challenge = await this.checkChallenge(input);
    if (challenge === "missing" || challenge === "wrong" || challenge === "otp-invalid") {
      const reason = challenge === "missing" ? "challenge password missing" : "challenge password is not valid";
      return { decision: "reject", failInfo: FailInfo.badRequest, reason, challenge };
    }
    return { decision: this.o.approval === "manual" ? "manual" : "approve", challenge };
  }

  private async checkChallenge(input: PolicyInput): Promise<ChallengeOutcome> {
    const c = this.o.challenge;
    if (c.mode === "none") return "not-required";
    if (input.messageType === "17" && (await this.isOwnCertificate(input.requesterCertDer, input.now))) return "not-required";
    const given = input.csr.challengePassword;
    if (given === undefined || given === "") return "missing";
    if (c.mode === "static") return secretsEqual(given, c.value) ? "valid" : "wrong";
    return (await c.store.consume(input.profile, given, input.csr.commonName, input.now)) ? "otp-valid" : "otp-invalid";
  }

  /** A RenewalReq signed by a still-valid certificate our CA issued proves itself without a challenge. */
  private async isOwnCertificate(der: Uint8Array, now: Date): Promise<boolean> {
    let cert: Certificate;
    try {
      cert = parseCertificate(der);
    } catch {
      return false;
    }
    if (cert.isSelfIssued || cert.notAfter < now || cert.notBefore > now) return false;
    const anchors = (await this.o.renewalAnchors()).map((d) => parseCertificate(d));
    return isTrustedBy(cert, anchors) && !anchors.some((a) => Buffer.compare(a.der, cert.der) === 0);
  }
}
