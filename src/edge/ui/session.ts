/**
 * Sessions of the operator web page, as signed cookie values.
 *
 * A cookie is `SID.EXP.MAC.NAME`: a random session id (128 bits, base64url),
 * its expiry (Unix seconds), HMAC-SHA256 over both, the operator's name and
 * the digest of that operator's token, and the operator's name. The key is
 * derived (HKDF) from the admin token, or from a secret shared by the fronts
 * (kept in Redis) when operators sign in with their own tokens. The operator
 * of `admin.token` ("admin") has the shorter `SID.EXP.MAC`. A cookie never
 * holds a token. Being signed rather than looked up, a session is good on
 * every front that shares the key (deploy/ runs two behind one balancer);
 * a changed key ends them all, a changed or removed operator token that
 * operator's.
 * Signing out revokes the id in this process until it expires anyway (the
 * browser drops the cookie everywhere).
 *
 * The CSRF token is the synchronizer token of the session: HMAC of its id
 * under a second derived key, so it is tied to the session, the same on
 * every front, and useless with any other session. Comparisons are constant
 * time.
 */
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/** A valid, unexpired, unrevoked session. */
export interface Session {
  id: string;
  /** The signed-in operator's name (`admin` for `admin.token`). */
  operator: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** Options of {@link SessionKeeper}. */
export interface SessionKeeperOptions {
  /** The admin token the keys are derived from, unless `secret` is given. */
  token?: string | undefined;
  /** The secret the keys are derived from instead of `token` (shared by the fronts). */
  secret?: Uint8Array | undefined;
  /**
   * The hex digest of a named operator's token (what its sessions are bound
   * to), or undefined when there is no such operator (its sessions end).
   * Absent: every name is accepted with an empty binding.
   */
  binding?: ((operator: string) => string | undefined) | undefined;
  /** How long a session lasts from sign-in (default 8 h). */
  lifetimeMs?: number;
  /** Time source (tests). */
  now?: () => number;
}

/** A session lasts a working day from sign-in. */
export const DEFAULT_SESSION_LIFETIME_MS = 8 * 3_600_000;

const SID = /^[A-Za-z0-9_-]{22}$/;
const COOKIE = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})(?:\.([a-z0-9][a-z0-9._-]{0,62}))?$/;

/** The operator name of `admin.token`, whose cookies carry no name. */
const TOKEN_OPERATOR = "admin";

function derive(ikm: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, "scepgate admin ui", info, 32));
}

function keyMaterial(o: SessionKeeperOptions): Uint8Array {
  if (o.secret !== undefined && o.secret.length >= 16) return o.secret;
  if (o.secret !== undefined) throw new Error("admin web page: the session secret is too short");
  if (o.token === undefined || o.token === "") throw new Error("admin web page: the token must not be empty");
  return Buffer.from(o.token, "utf8");
}

/**
 * True when the two strings are equal, in time independent of their content
 * and length: both are hashed first (as the admin API does with its token).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Issues, verifies and revokes sessions, and their CSRF tokens. */
export class SessionKeeper {
  private readonly sessionKey: Buffer;
  private readonly csrfKey: Buffer;
  private readonly lifetimeMs: number;
  private readonly now: () => number;
  private readonly binding: (operator: string) => string | undefined;
  /** Revoked session ids → their expiry (kept until then). */
  private readonly revoked = new Map<string, number>();

  constructor(o: SessionKeeperOptions) {
    const ikm = keyMaterial(o);
    this.sessionKey = derive(ikm, "session");
    this.csrfKey = derive(ikm, "csrf");
    this.binding = o.binding ?? (() => "");
    this.lifetimeMs = o.lifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;
    this.now = o.now ?? Date.now;
  }

  /** A new session of `operator` (default: the operator of `admin.token`) and the cookie value that carries it. */
  issue(operator = TOKEN_OPERATOR): { session: Session; cookie: string } {
    const id = randomBytes(16).toString("base64url");
    const exp = Math.floor((this.now() + this.lifetimeMs) / 1000);
    const mac = this.mac(id, exp, operator, this.binding(operator) ?? "");
    const cookie = operator === TOKEN_OPERATOR ? `${id}.${exp}.${mac}` : `${id}.${exp}.${mac}.${operator}`;
    return { session: { id, operator, expiresAt: exp * 1000 }, cookie };
  }

  /** The session of a cookie value, or undefined when it is malformed, forged, expired or revoked. */
  verify(cookie: string | undefined): Session | undefined {
    const m = cookie === undefined ? null : COOKIE.exec(cookie);
    if (!m) return undefined;
    const [, id, expText, mac, named] = m as unknown as [string, string, string, string, string | undefined];
    const exp = Number(expText);
    const operator = named ?? TOKEN_OPERATOR;
    if (named === TOKEN_OPERATOR) return undefined;
    const binding = this.binding(operator);
    if (!constantTimeEqual(mac, this.mac(id, exp, operator, binding ?? "")) || binding === undefined) return undefined;
    const expiresAt = exp * 1000;
    if (expiresAt <= this.now() || this.revoked.has(id)) return undefined;
    return { id, operator, expiresAt };
  }

  /** Ends `session` here (sign-out). */
  revoke(session: Session): void {
    const now = this.now();
    for (const [id, exp] of this.revoked) if (exp <= now) this.revoked.delete(id);
    this.revoked.set(session.id, session.expiresAt);
  }

  /** The CSRF token of a session. */
  csrfToken(session: Session): string {
    return createHmac("sha256", this.csrfKey).update(session.id).digest("base64url");
  }

  /** True when `given` is the CSRF token of `session` (constant time). */
  checkCsrf(session: Session, given: string | undefined): boolean {
    if (given === undefined || !SID.test(session.id)) return false;
    return constantTimeEqual(given, this.csrfToken(session));
  }

  /** The cookie's MAC; the operator of `admin.token` keeps the MAC of cookies from before named operators. */
  private mac(id: string, exp: number, operator: string, binding: string): string {
    const text = operator === TOKEN_OPERATOR ? `${id}.${exp}` : `${id}.${exp}.${operator}.${binding}`;
    return createHmac("sha256", this.sessionKey).update(text).digest("base64url");
  }
}
