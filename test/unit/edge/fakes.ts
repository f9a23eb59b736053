/** A fake ScepService and a recording logger for the edge's unit tests. */
import { vi } from "vitest";
import { createEdgeApp } from "../../../src/edge/app.js";
import type { EdgeOptions } from "../../../src/edge/types.js";
import type { RequestContext } from "../../../src/ra/ports.js";
import type { PkiOperationResult, ScepService, TypedBody } from "../../../src/ra/service.js";

export const CAPS = "AES\nDES3\nGetNextCACert\nPOSTPKIOperation\nRenewal\nSCEPStandard\nSHA-1\nSHA-256\nSHA-384\nSHA-512";
export const CA_CERT = new Uint8Array([0x30, 0x82, 0x01, 0x02, 0xca]);
export const NEXT_CA_CERT = new Uint8Array([0x30, 0x82, 0x01, 0x02, 0x0e]);
export const CERTREP = new Uint8Array([0x30, 0x80, 0x06, 0x09, 0x2a, 0x86]);

export interface PkiCall {
  profile: string;
  message: Uint8Array;
  context: RequestContext;
}

/** Profiles "default", "vpn" and "wifi"; "vpn" has a next CA certificate. */
export function fakeScep(pki?: (profile: string, message: Uint8Array) => Promise<PkiOperationResult>) {
  const pkiCalls: PkiCall[] = [];
  const scep = {
    hasProfile: vi.fn((p: string) => p === "default" || p === "vpn" || p === "wifi"),
    getCaCaps: vi.fn(async (_p: string) => CAPS),
    getCaCert: vi.fn(async (_p: string): Promise<TypedBody> => ({ contentType: "application/x-x509-ca-ra-cert", body: CA_CERT })),
    getNextCaCert: vi.fn(async (p: string): Promise<TypedBody | undefined> =>
      p === "vpn" ? { contentType: "application/x-x509-next-ca-cert", body: NEXT_CA_CERT } : undefined),
    pkiOperation: vi.fn(async (profile: string, message: Uint8Array, context: RequestContext): Promise<PkiOperationResult> => {
      pkiCalls.push({ profile, message: Uint8Array.from(message), context });
      return pki ? pki(profile, message) : { kind: "certrep", body: CERTREP };
    }),
  } satisfies ScepService;
  return { scep, pkiCalls };
}

export interface LogEntry {
  level: "info" | "warn" | "error";
  obj: Record<string, unknown>;
  msg?: string;
}

export function recordingLogger() {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry["level"]) => (obj: object, msg?: string) => {
    entries.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { logger: { info: at("info"), warn: at("warn"), error: at("error") }, entries };
}

export function makeApp(overrides: Partial<EdgeOptions> = {}, pki?: Parameters<typeof fakeScep>[0]) {
  const { scep, pkiCalls } = fakeScep(pki);
  const { logger, entries } = recordingLogger();
  const app = createEdgeApp({ scep, bodyLimitBytes: 64 * 1024, trustProxy: false, logger, ...overrides });
  return { app, scep, pkiCalls, entries };
}

/** A body sent without Content-Length (chunked on the wire), in chunks of `chunk` bytes. */
export function streamOf(bytes: Uint8Array, chunk = 16 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}
