/**
 * GetCACaps keywords (RFC 8894 §3.5.2).
 */

/**
 * What scepgate advertises, one per line. NOTE(client): strongSwan 5.9.8 tests
 * caps as bit masks and only uses AES when SHA-384 is listed, and 3DES only
 * when AES is; so the full set is listed even though SHA-384 is not our pick.
 */
export const ScepgateCapabilities = [
  "AES",
  "DES3",
  "GetNextCACert",
  "POSTPKIOperation",
  "Renewal",
  "SCEPStandard",
  "SHA-1",
  "SHA-256",
  "SHA-384",
  "SHA-512",
] as const;

export function formatCapabilities(caps: readonly string[]): string {
  return caps.join("\n") + "\n";
}

/** Parses a GetCACaps body: keywords, one per line, case-insensitive (kept as sent, trimmed). */
export function parseCapabilities(body: string): Set<string> {
  return new Set(
    body
      .split(/[\r\n]+/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => l.toUpperCase()),
  );
}
