/**
 * SCEP wire values (RFC 8894 §3.2.1.2-§3.2.1.4), kept verbatim as the strings
 * that travel in PrintableString attributes.
 */

/** messageType attribute values (RFC 8894 §3.2.1.2). */
export const MessageType = {
  CertRep: "3",
  RenewalReq: "17",
  PKCSReq: "19",
  CertPoll: "20",
  GetCert: "21",
  GetCRL: "22",
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Request message types a client may send. */
export type RequestType = Exclude<MessageType, "3">;

/** pkiStatus attribute values (RFC 8894 §3.2.1.3). */
export const PkiStatus = {
  SUCCESS: "0",
  FAILURE: "2",
  PENDING: "3",
} as const;
export type PkiStatus = (typeof PkiStatus)[keyof typeof PkiStatus];

/** failInfo attribute values (RFC 8894 §3.2.1.4). */
export const FailInfo = {
  badAlg: "0",
  badMessageCheck: "1",
  badRequest: "2",
  badTime: "3",
  badCertId: "4",
} as const;
export type FailInfo = (typeof FailInfo)[keyof typeof FailInfo];

/** Attribute OIDs (RFC 8894 §3.2.1; failInfoText from RFC 8894 §3.2.1.4). */
export const ScepOid = {
  messageType: "2.16.840.1.113733.1.9.2",
  pkiStatus: "2.16.840.1.113733.1.9.3",
  failInfo: "2.16.840.1.113733.1.9.4",
  senderNonce: "2.16.840.1.113733.1.9.5",
  recipientNonce: "2.16.840.1.113733.1.9.6",
  transactionID: "2.16.840.1.113733.1.9.7",
  failInfoText: "1.3.6.1.5.5.7.24.1",
} as const;

const messageTypeNames = new Map<string, string>(Object.entries(MessageType).map(([k, v]) => [v, k]));
const failInfoNames = new Map<string, string>(Object.entries(FailInfo).map(([k, v]) => [v, k]));
const statusNames = new Map<string, string>(Object.entries(PkiStatus).map(([k, v]) => [v, k]));

export const messageTypeName = (t: string): string => messageTypeNames.get(t) ?? `unknown(${t})`;
export const failInfoName = (f: string): string => failInfoNames.get(f) ?? `unknown(${f})`;
export const pkiStatusName = (s: string): string => statusNames.get(s) ?? `unknown(${s})`;

export function isRequestType(t: string): t is RequestType {
  return t !== MessageType.CertRep && messageTypeNames.has(t);
}

export function isFailInfo(f: string): f is FailInfo {
  return failInfoNames.has(f);
}
