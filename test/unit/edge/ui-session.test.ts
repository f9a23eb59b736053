/** Sessions and CSRF tokens of the operator web page (src/edge/ui/session.ts) and its sign-in rate limit. */
import { describe, expect, it } from "vitest";
import { constantTimeEqual, SessionKeeper } from "../../../src/edge/ui/session.js";
import { SignInLimiter } from "../../../src/edge/ui/sign-in-limiter.js";

const TOKEN = "session-test-token-0123456789";

function clock(start = Date.UTC(2025, 0, 1)) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe("SessionKeeper: signed session cookies", () => {
  it("ok/an issued cookie verifies to its session until it expires", () => {
    const c = clock();
    const keeper = new SessionKeeper({ token: TOKEN, lifetimeMs: 3_600_000, now: c.now });
    const { session, cookie } = keeper.issue();
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(keeper.verify(cookie)).toEqual(session);
    expect(session.expiresAt).toBe(c.t + 3_600_000);
    c.t += 3_599_000;
    expect(keeper.verify(cookie)).toEqual(session);
    c.t += 1_000;
    expect(keeper.verify(cookie)).toBeUndefined();
  });

  it("ok/the cookie never holds the token, and two sessions never share an id", () => {
    const keeper = new SessionKeeper({ token: TOKEN });
    const a = keeper.issue();
    const b = keeper.issue();
    expect(a.cookie).not.toContain(TOKEN);
    expect(a.session.id).not.toBe(b.session.id);
  });

  it("ok/another process with the same token accepts the cookie (several fronts)", () => {
    const { cookie, session } = new SessionKeeper({ token: TOKEN }).issue();
    expect(new SessionKeeper({ token: TOKEN }).verify(cookie)).toEqual(session);
  });

  it("fail/a changed token, an edited id, expiry or MAC, and garbage are refused", () => {
    const keeper = new SessionKeeper({ token: TOKEN });
    const { cookie } = keeper.issue();
    const [id, exp, mac] = cookie.split(".") as [string, string, string];
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    expect(new SessionKeeper({ token: `${TOKEN}x` }).verify(cookie)).toBeUndefined();
    for (const bad of [`${flip(id)}.${exp}.${mac}`, `${id}.${Number(exp) + 3600}.${mac}`, `${id}.${exp}.${flip(mac)}`,
      `${id}.${exp}`, "", "x.y.z", `${cookie}.`, undefined]) {
      expect(keeper.verify(bad), String(bad)).toBeUndefined();
    }
  });

  it("ok/revoke (sign-out) ends the session here; others live on", () => {
    const keeper = new SessionKeeper({ token: TOKEN });
    const a = keeper.issue();
    const b = keeper.issue();
    keeper.revoke(a.session);
    expect(keeper.verify(a.cookie)).toBeUndefined();
    expect(keeper.verify(b.cookie)).toEqual(b.session);
  });

  it("fail/an empty token is refused at construction", () => {
    expect(() => new SessionKeeper({ token: "" })).toThrow(/must not be empty/);
  });
});

describe("SessionKeeper: CSRF synchronizer tokens", () => {
  it("ok/the session's own token passes; the same on every front", () => {
    const keeper = new SessionKeeper({ token: TOKEN });
    const { session } = keeper.issue();
    const csrf = keeper.csrfToken(session);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keeper.checkCsrf(session, csrf)).toBe(true);
    expect(new SessionKeeper({ token: TOKEN }).checkCsrf(session, csrf)).toBe(true);
  });

  it("fail/no token, another session's token, a truncated or edited one", () => {
    const keeper = new SessionKeeper({ token: TOKEN });
    const a = keeper.issue().session;
    const b = keeper.issue().session;
    const csrf = keeper.csrfToken(a);
    for (const given of [undefined, "", keeper.csrfToken(b), csrf.slice(0, -1), `${csrf}A`, csrf.toUpperCase()]) {
      expect(keeper.checkCsrf(a, given), String(given)).toBe(false);
    }
    expect(new SessionKeeper({ token: `${TOKEN}x` }).checkCsrf(a, csrf)).toBe(false);
  });

  it("ok/constantTimeEqual: equal strings only, any lengths", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });
});

describe("SignInLimiter: failed sign-ins per address", () => {
  it("ok/five failures are allowed; the sixth try waits until the oldest leaves the window", () => {
    const c = clock();
    const limiter = new SignInLimiter({ maxFailures: 5, windowMs: 60_000, now: c.now });
    for (let i = 0; i < 5; i++) {
      expect(limiter.retryAfterMs("192.0.2.1")).toBe(0);
      limiter.fail("192.0.2.1");
      c.t += 1_000;
    }
    expect(limiter.retryAfterMs("192.0.2.1")).toBe(55_000);
    expect(limiter.retryAfterMs("192.0.2.2")).toBe(0);
    c.t += 55_000;
    expect(limiter.retryAfterMs("192.0.2.1")).toBe(0);
  });

  it("ok/a right token clears the address's count", () => {
    const limiter = new SignInLimiter({ maxFailures: 2 });
    limiter.fail("a");
    limiter.succeed("a");
    limiter.fail("a");
    expect(limiter.retryAfterMs("a")).toBe(0);
  });

  it("ok/memory stays bounded: the least recently failing addresses are forgotten", () => {
    const limiter = new SignInLimiter({ maxFailures: 1, maxAddresses: 3 });
    for (const a of ["a", "b", "c", "d"]) limiter.fail(a);
    expect(limiter.retryAfterMs("a")).toBe(0);
    expect(limiter.retryAfterMs("d")).toBeGreaterThan(0);
  });
});
