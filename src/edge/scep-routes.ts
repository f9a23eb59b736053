/**
 * The SCEP endpoints (RFC 8894 §4): decode HTTP, call ScepService, encode
 * HTTP. No business logic.
 */
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { PkiOperationResult, ScepService } from "../ra/service.js";
import { printable, textLine } from "./errors.js";
import { decodeMessageParam, decodeQueryText, parseScepQuery } from "./message-param.js";
import { readBody } from "./request-body.js";
import { requestContext } from "./request-context.js";
import type { EdgeEnv } from "./types.js";

/** The profile served by the paths that name none. */
export const DEFAULT_PROFILE = "default";

/**
 * Every path the SCEP handler answers on (a trailing slash is tolerated by
 * the app's non-strict routing). `:profile` selects a profile.
 * NOTE(client): Cisco IOS appends `/cgi-bin/pkiclient.exe`; Windows/NDES
 * clients use `/certsrv/mscep/mscep.dll`, some with `/pkiclient.exe` after it.
 */
export const SCEP_PATHS = [
  "/scep",
  "/scep/:profile",
  "/scep/:profile/pkiclient.exe",
  "/cgi-bin/pkiclient.exe",
  "/certsrv/mscep/mscep.dll",
  "/certsrv/mscep/mscep.dll/pkiclient.exe",
] as const;

/** RFC 8894 §4 operation names, keyed by their lower-case form. */
const OPERATIONS: ReadonlyMap<string, ScepOperation> = new Map([
  ["getcacaps", "GetCACaps"],
  ["getcacert", "GetCACert"],
  ["getnextcacert", "GetNextCACert"],
  ["pkioperation", "PKIOperation"],
]);
export type ScepOperation = "GetCACaps" | "GetCACert" | "GetNextCACert" | "PKIOperation";

/** The CertRep media type (RFC 8894 §4.3). */
const PKI_MESSAGE = "application/x-pki-message";

export interface ScepRouteDeps {
  scep: ScepService;
  bodyLimitBytes: number;
  trustProxy: boolean;
}

/**
 * The SCEP sub-app: GET and POST (and HEAD, through GET) on every path of
 * {@link SCEP_PATHS}; other methods get 405.
 */
export function createScepRoutes(deps: ScepRouteDeps): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  const handler = scepHandler(deps);
  const paths = [...SCEP_PATHS];
  app.on(["GET", "POST"], paths, handler);
  for (const path of paths) app.all(path, methodNotAllowed);
  return app;
}

function methodNotAllowed(c: Context<EdgeEnv>): Response {
  c.header("allow", "GET, HEAD, POST");
  return textLine(c, 405, "method not allowed");
}

function scepHandler(deps: ScepRouteDeps) {
  const { scep } = deps;
  return async function scepRequest(c: Context<EdgeEnv>): Promise<Response> {
    const profile = profileOf(c.req.param("profile"));
    if (!scep.hasProfile(profile)) return textLine(c, 404, `unknown profile "${printable(profile)}"`);
    const query = parseScepQuery(c.req.url);
    if (!query.operation) return refuse(c, scep, profile, "unknown", 400, "missing operation");
    // Matched case-insensitively: RFC 8894 spells them exactly and so do all
    // known clients, but a hand-typed URL should not fail on case.
    const operation = OPERATIONS.get(query.operation.toLowerCase());
    if (operation === undefined) return refuse(c, scep, profile, "unknown", 400, `unknown operation "${printable(query.operation)}"`);
    c.set("operation", operation);
    switch (operation) {
      case "GetCACaps":
        // NOTE(client): Windows/Intune wants exactly text/plain here.
        return textLine(c, 200, await scep.getCaCaps(profile));
      case "GetCACert": {
        const ca = await scep.getCaCert(caProfile(scep, profile, query.message));
        return c.body(viewOf(ca.body), 200, { "content-type": ca.contentType });
      }
      case "GetNextCACert": {
        const next = await scep.getNextCaCert(caProfile(scep, profile, query.message));
        if (next === undefined) return textLine(c, 404, "no next CA certificate");
        return c.body(viewOf(next.body), 200, { "content-type": next.contentType });
      }
      case "PKIOperation":
        return pkiOperation(c, deps, profile, query.message);
    }
  };
}

async function pkiOperation(c: Context<EdgeEnv>, deps: ScepRouteDeps, profile: string, message: string | undefined): Promise<Response> {
  let bytes: Uint8Array;
  if (c.req.method === "POST") {
    const body = await readBody(c.req, deps.bodyLimitBytes);
    if (!body.ok) {
      // The rest of a too-large body is left unread: close the connection rather than let the client send its next request on it.
      if (body.status === 413) c.header("connection", "close");
      return refuse(c, deps.scep, profile, "PKIOperation", body.status, body.reason);
    }
    bytes = body.bytes;
  } else {
    if (message === undefined) return refuse(c, deps.scep, profile, "PKIOperation", 400, "missing message");
    const decoded = decodeMessageParam(message, deps.bodyLimitBytes);
    if (!decoded.ok) {
      return decoded.error === "too-large"
        ? refuse(c, deps.scep, profile, "PKIOperation", 413, "message too large")
        : refuse(c, deps.scep, profile, "PKIOperation", 400, "message is not base64");
    }
    bytes = decoded.bytes;
  }
  const result: PkiOperationResult = await deps.scep.pkiOperation(profile, bytes, requestContext(c, deps.trustProxy));
  if (result.kind === "certrep") return c.body(viewOf(result.body), 200, { "content-type": PKI_MESSAGE });
  return textLine(c, 400, printable(result.reason, 200));
}

/** An HTTP error the edge answers itself, told to the service first (ScepService.refused: metrics, logs). */
function refuse(c: Context<EdgeEnv>, scep: ScepService, profile: string, operation: string, status: ContentfulStatusCode, reason: string): Response {
  scep.refused?.(profile, operation, status);
  return textLine(c, status, reason);
}

/**
 * hono's body type wants an ArrayBuffer-backed view; the RA's bytes are
 * (TypeScript only knows them as ArrayBufferLike).
 */
function viewOf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

/**
 * The profile named by the path; `pkiclient.exe` as the only segment after
 * /scep is the CGI name some clients append, not a profile.
 */
function profileOf(param: string | undefined): string {
  return param === undefined || param === "pkiclient.exe" ? DEFAULT_PROFILE : param;
}

/**
 * GetCACert / GetNextCACert: the `message` (a CA identifier, RFC 8894 §4.2)
 * is ignored unless it names another configured profile exactly.
 * NOTE(client): Cisco IOS sends its trustpoint name; certmonger sends
 * `message=0`, then `message=1`.
 */
function caProfile(scep: ScepService, profile: string, message: string | undefined): string {
  if (!message) return profile;
  const named = decodeQueryText(message);
  return named !== profile && scep.hasProfile(named) ? named : profile;
}
