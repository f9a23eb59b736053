/**
 * The ApprovalPolicy of a profile: key and subject rules, the challenge
 * password (none / static / one-time / webhook), then auto or manual approval.
 */
import { isTrustedBy, parseCertificate, type Certificate } from "../crypto/index.js";
import { FailInfo } from "../protocol/index.js";
import type { ApprovalPolicy, ChallengeOutcome, OneTimePasswords, PolicyDecision, PolicyInput } from "../ra/ports.js";
import { secretsEqual } from "./challenge.js";
import { askChallengeWebhook, type ChallengeWebhookOptions } from "./challenge-webhook.js";
import { checkRules, type RequestRules } from "./rules.js";

export interface ProfilePolicyOptions {
  approval: "auto" | "manual";
  challenge:
    | { mode: "none" }
    | { mode: "static"; value: string }
    | { mode: "otp"; store: OneTimePasswords }
    | ({ mode: "webhook"; onError: "fail" | "manual" } & ChallengeWebhookOptions);
  rules: RequestRules;
  /** CA certificates whose issued, unexpired certificates may renew without a challenge (RenewalReq). */
  renewalAnchors: () => Promise<Uint8Array[]>;
}

export class ProfilePolicy implements ApprovalPolicy {
  constructor(private readonly o: ProfilePolicyOptions) {}

  /** Rules and a static (or no) challenge read nothing but the request; OTPs are consumed, webhooks called. */
  get sideEffectFree(): boolean {
    return this.o.challenge.mode === "none" || this.o.challenge.mode === "static";
  }

  async evaluate(input: PolicyInput): Promise<PolicyDecision> {
    const broken = checkRules(input.csr, this.o.rules);
    if (broken) return { decision: "reject", failInfo: FailInfo.badRequest, reason: broken, challenge: "not-required" };
    if (this.o.challenge.mode === "webhook" && !(await this.renewsItself(input))) return this.viaWebhook(this.o.challenge, input);
    const challenge = await this.checkChallenge(input);
    if (challenge === "missing" || challenge === "wrong" || challenge === "otp-invalid") {
      const reason = challenge === "missing" ? "challenge password missing" : "challenge password is not valid";
      return { decision: "reject", failInfo: FailInfo.badRequest, reason, challenge };
    }
    return { decision: this.o.approval === "manual" ? "manual" : "approve", challenge };
  }

  private async checkChallenge(input: PolicyInput): Promise<ChallengeOutcome> {
    const c = this.o.challenge;
    if (c.mode === "none" || c.mode === "webhook") return "not-required";
    if (await this.renewsItself(input)) return "not-required";
    const given = input.csr.challengePassword;
    if (given === undefined || given === "") return "missing";
    if (c.mode === "static") return secretsEqual(given, c.value) ? "valid" : "wrong";
    return (await c.store.consume(input.profile, given, input.csr.commonName, input.now)) ? "otp-valid" : "otp-invalid";
  }

  /** The webhook's verdict as a decision; without an answer, refuse or (onError: manual) hold for an operator. */
  private async viaWebhook(c: { onError: "fail" | "manual" } & ChallengeWebhookOptions, input: PolicyInput): Promise<PolicyDecision> {
    const verdict = await askChallengeWebhook(c, input);
    if (verdict.kind === "allow") return { decision: this.o.approval === "manual" ? "manual" : "approve", challenge: "webhook-valid" };
    if (verdict.kind === "deny") return { decision: "reject", failInfo: FailInfo.badRequest, reason: verdict.reason, challenge: "webhook-denied" };
    const reason = `challenge check unavailable (${verdict.detail})`;
    if (c.onError === "manual") return { decision: "manual", challenge: "webhook-unavailable", reason };
    return { decision: "reject", failInfo: FailInfo.badRequest, reason: "challenge check unavailable", challenge: "webhook-unavailable" };
  }

  /** A RenewalReq signed by a still-valid certificate our CA issued. */
  private async renewsItself(input: PolicyInput): Promise<boolean> {
    return input.messageType === "17" && (await this.isOwnCertificate(input.requesterCertDer, input.now));
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
