/**
 * Who may use the admin API and the web page: named operators, each known by
 * the SHA-256 of its bearer token and a role, plus the single `admin.token`
 * (operator "admin", role admin) kept for compatibility.
 *
 * A presented token is hashed once and compared with timingSafeEqual against
 * every operator's digest, all of them, whatever matched: the time taken says
 * neither whether nor which operator matched.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** viewer: list and show; approver: also approve and reject; admin: also one-time passwords. */
export type OperatorRole = "viewer" | "approver" | "admin";

/** What a role is checked for: `view` (list, show), `decide` (approve, reject), `otp` (issue one-time passwords). */
export type OperatorAction = "view" | "decide" | "otp";

/** A signed-in operator: recorded by name as the actor of its decisions. */
export interface OperatorAccount {
  name: string;
  role: OperatorRole;
}

/** One configured operator (`admin.operators[]`): the hex SHA-256 of its token. */
export interface OperatorCredential extends OperatorAccount {
  tokenSha256: string;
}

/** The operator name of the single `admin.token`. */
export const TOKEN_OPERATOR_NAME = "admin";

const ALLOWED: Record<OperatorRole, ReadonlySet<OperatorAction>> = {
  viewer: new Set(["view"]),
  approver: new Set(["view", "decide"]),
  admin: new Set(["view", "decide", "otp"]),
};

/** True when `role` may do `action`. */
export function may(role: OperatorRole, action: OperatorAction): boolean {
  return ALLOWED[role].has(action);
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

interface Entry extends OperatorAccount {
  digest: Buffer;
}

/** The operators of one configuration. */
export class OperatorAccounts {
  private readonly entries: Entry[];

  /**
   * @param o.token - the single `admin.token` (operator "admin", role admin), if set
   * @param o.operators - the named operators
   * @throws Error on an empty token, a digest that is not 64 hex digits, or a name given twice
   */
  constructor(o: { token?: string | undefined; operators?: readonly OperatorCredential[] }) {
    if (o.token === "") throw new Error("admin API: the token must not be empty");
    const entries: Entry[] = o.token === undefined ? [] : [{ name: TOKEN_OPERATOR_NAME, role: "admin", digest: sha256(o.token) }];
    for (const op of o.operators ?? []) {
      if (!/^[0-9a-f]{64}$/i.test(op.tokenSha256)) throw new Error(`admin operator ${op.name}: tokenSha256 must be 64 hex digits`);
      if (entries.some((e) => e.name === op.name)) throw new Error(`admin operator ${op.name} is given twice`);
      entries.push({ name: op.name, role: op.role, digest: Buffer.from(op.tokenSha256, "hex") });
    }
    this.entries = entries;
  }

  /** How many operators there are (0: the admin API and the web page are off). */
  get size(): number {
    return this.entries.length;
  }

  /** The operator whose token this is, or undefined; constant time over all operators. */
  authenticate(token: string): OperatorAccount | undefined {
    const given = sha256(token);
    let found = -1;
    for (const [i, e] of this.entries.entries()) {
      const equal = timingSafeEqual(given, e.digest);
      found = equal ? i : found;
    }
    const e = this.entries[found];
    return e === undefined ? undefined : { name: e.name, role: e.role };
  }

  /** The operator named `name` and the hex digest of its token (what a session is bound to), or undefined. */
  byName(name: string): (OperatorAccount & { tokenSha256: string }) | undefined {
    const e = this.entries.find((entry) => entry.name === name);
    return e === undefined ? undefined : { name: e.name, role: e.role, tokenSha256: e.digest.toString("hex") };
  }
}
