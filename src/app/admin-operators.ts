/**
 * The admin API's and the web page's operators from the configuration:
 * `admin.token` (operator "admin", role admin) and `admin.operators`; the
 * secret the page's sessions are signed with; the approvals each profile
 * needs (four eyes).
 */
import { approvalOf, type Config } from "../config/index.js";
import { OperatorAccounts } from "../edge/operator-accounts.js";
import { uiSessionSecret } from "../store/index.js";
import type { Runtime } from "./runtime.js";

/** The operators of `config`, or undefined when there are none (the admin API and the web page are off). */
export function operatorAccounts(config: Config): OperatorAccounts | undefined {
  const operators = (config.admin.operators ?? []).map((op) => {
    if (op.tokenSha256 === undefined) throw new Error(`admin operator ${op.name}: no tokenSha256 (the config loader reads tokenSha256File)`);
    return { name: op.name, role: op.role, tokenSha256: op.tokenSha256 };
  });
  const accounts = new OperatorAccounts({ token: config.admin.token, operators });
  return accounts.size === 0 ? undefined : accounts;
}

/** What the web page signs its sessions with: `admin.token` when set, else the secret shared by the fronts in Redis. */
export async function sessionKeyOf(rt: Runtime): Promise<{ token?: string; sessionSecret?: Uint8Array }> {
  const { config } = rt.loaded;
  if (config.admin.token !== undefined) return { token: config.admin.token };
  return { sessionSecret: await uiSessionSecret(rt.redis.redis, config.redis.keyPrefix) };
}

/** Approvals a manual request of each profile needs (1 unless `approval.approvals`). */
export function approvalsByProfile(config: Config): (profile: string) => number {
  return (profile) => {
    const cfg = config.profiles[profile];
    return cfg === undefined ? 1 : approvalOf(cfg.approval).approvals;
  };
}
