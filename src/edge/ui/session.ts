/**
 * Sessions of the operator web page, as signed cookie values.
 *
 * A cookie is `SID.EXP.MAC`: a random session id (128 bits, base64url), its
 * expiry (Unix seconds) and HMAC-SHA256 over both with a key derived from the
 * admin token (HKDF). It never holds the token itself. Being signed rather
 * than looked up, a session is good on every front that shares the token
 * (deploy/ runs two behind one balancer), and a changed token ends them all.
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
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** Options of {@link SessionKeeper}. */
export interface SessionKeeperOptions {
  /** The admin token the keys are derived from. */
  token: string;
  /** How long a session lasts from sign-in (default 8 h). */
  lifetimeMs?: number;
  /** Time source (tests). */
  now?: () => number;
}

/** A session lasts a working day from sign-in. */
export const DEFAULT_SESSION_LIFETIME_MS = 8 * 3_600_000;

const SID = /^[A-Za-z0-9_-]{22}$/;
const COOKIE = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

function derive(token: string, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(token, "utf8"), "scepgate admin ui", info, 32));
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
  /** Revoked session ids → their expiry (kept until then). */
  private readonly revoked = new Map<string, number>();

  constructor(o: SessionKeeperOptions) {
    if (o.token === "") throw new Error("admin web page: the token must not be empty");
    this.sessionKey = derive(o.token, "session");
    this.csrfKey = derive(o.token, "csrf");
    this.lifetimeMs = o.lifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;
    this.now = o.now ?? Date.now;
  }

  /** A new session and the cookie value that carries it. */
  issue(): { session: Session; cookie: string } {
    const id = randomBytes(16).toString("base64url");
    const exp = Math.floor((this.now() + this.lifetimeMs) / 1000);
    return { session: { id, expiresAt: exp * 1000 }, cookie: `${id}.${exp}.${this.mac(id, exp)}` };
  }

  /** The session of a cookie value, or undefined when it is malformed, forged, expired or revoked. */
  verify(cookie: string | undefined): Session | undefined {
    const m = cookie === undefined ? null : COOKIE.exec(cookie);
    if (!m) return undefined;
    const [, id, expText, mac] = m as unknown as [string, string, string, string];
    const exp = Number(expText);
    if (!constantTimeEqual(mac, this.mac(id, exp))) return undefined;
    const expiresAt = exp * 1000;
    if (expiresAt <= this.now() || this.revoked.has(id)) return undefined;
    return { id, expiresAt };
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

  private mac(id: string, exp: number): string {
    return createHmac("sha256", this.sessionKey).update(`${id}.${exp}`).digest("base64url");
  }
}
