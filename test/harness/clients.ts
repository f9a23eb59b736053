/**
 * The real SCEP clients of this machine, one wrapper each. Every wrapper runs
 * its client in a fresh temp directory with a timeout and returns an
 * {@link EnrollResult}; none throws because the client failed.
 *
 * - {@link enrollScepclient}: micromdm scepclient 2.1.0 (SHA-1 + DES, POST).
 * - {@link enrollPki}: strongSwan pki 5.9.8 (`--scepca` + `--scep`, CertPoll).
 * - {@link enrollCertmonger}: certmonger 0.79.17 scep-submit (GET only).
 */
export type { EnrollResult } from "./clients/result.js";
export { enrollScepclient, type ScepclientOptions, type ScepclientResult } from "./clients/scepclient.js";
export { enrollPki, type PkiOptions, type PkiResult } from "./clients/pki.js";
export {
  enrollCertmonger,
  type CertmongerOptions,
  type CertmongerResult,
  type PollMessage,
} from "./clients/certmonger.js";
export { randomSuffix } from "./clients/result.js";
