/** A configured SCEP profile as the use-cases see it. */
import type { CipherName, DigestName, PrivateKeyOps } from "../crypto/index.js";
import type { RaIdentity } from "./identity.js";
import type { ApprovalPolicy, UpstreamCa } from "./ports.js";

export interface ProfileSettings {
  /** How long an auto-approved request may wait for its certificate before the answer is PENDING. */
  syncWaitMs: number;
  /** How long senderNonces are remembered to spot replays. */
  replayWindowMs: number;
  /**
   * How long after a transaction ended the same CSR under its transactionID is
   * still a resend (answered from the record); later it is a new enrollment.
   */
  resendWindowMs: number;
  crypto: { cipher: "mirror" | Exclude<CipherName, "des">; digest: "mirror" | Exclude<DigestName, "md5"> };
  compat: { legacyDes: boolean; legacyDigest: boolean; caCertInCertRep: boolean };
  /** Approvals from different operators a manual request needs (four eyes: 2); absent: 1. */
  approvals?: number;
  /** Persistence towards the CA: retry unreachable for retryForMs, poll a PENDING for maxPendingAgeMs. */
  forwarding: { retryForMs: number; maxPendingAgeMs: number; pollIntervalMs: number };
}

export interface Profile {
  name: string;
  identity: RaIdentity;
  upstream: UpstreamCa;
  policy: ApprovalPolicy;
  settings: ProfileSettings;
  /** Where the RA's private-key operations run (worker threads on a server); default: the calling thread. */
  keyOps?: PrivateKeyOps;
}
