/**
 * GetCert and GetCRL (RFC 8894 §3.3.4, §3.3.5): asked of the upstream as the
 * RA, answered to the device in a CertRep of our own.
 */
import { FailInfo, MessageType, type ScepRequest } from "../protocol/index.js";
import type { EnrollmentDeps } from "./enrollment.js";
import { UpstreamError } from "./errors.js";
import type { Profile } from "./profile.js";
import type { UpstreamQueryResult } from "./ports.js";
import { failure, pending, success } from "./responses.js";

type QueryRequest = Extract<ScepRequest, { issuerAndSerial: unknown }>;

export async function handleQuery(deps: EnrollmentDeps, profile: Profile, req: QueryRequest): Promise<Uint8Array> {
  let result: UpstreamQueryResult;
  try {
    result = req.messageType === MessageType.GetCert ? await profile.upstream.getCert(req.issuerAndSerial) : await profile.upstream.getCrl(req.issuerAndSerial);
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    deps.logger.warn({ profile: profile.name, err: err.message }, "upstream query failed");
    result = { status: "rejected", failInfo: FailInfo.badRequest, reason: "the CA cannot be reached now; try again later" };
  }
  const now = deps.clock.now();
  if (result.status === "ok") return success(profile, req, now, result.certificates, result.crls);
  if (result.status === "pending") return pending(profile, req, now);
  return failure(profile, now, { ...req, digest: req.algorithms.digest }, result.failInfo, result.reason);
}
