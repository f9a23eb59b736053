/**
 * The operator of the chaos run: while chaos goes on, it lists the requests
 * pending approval through the admin API (bearer token) of a front, and
 * approves a few of them each round — so manual requests are approved
 * throughout the run, across kills. A front that does not answer, a 5xx or a
 * 409 (someone else's approval got there first, or a retry of one that did)
 * is counted and the next round goes on.
 */
import { sleep } from "../harness/process.js";
import type { Rng } from "./rng.js";
import type { FrontEndpoint } from "./scep-device.js";

/** What the operator did. */
export interface OperatorStats {
  rounds: number;
  /** Approvals answered 200. */
  approved: number;
  /** Approvals answered 409 (no longer pending). */
  conflicts: number;
  /** List or approve calls that got no answer, or a 5xx. */
  errors: number;
}

/** Options of {@link startOperator}. */
export interface OperatorOptions {
  fronts: readonly FrontEndpoint[];
  token: string;
  profile: string;
  rng: Rng;
  /** Most approvals per round. */
  perRound: number;
  /** Pause between rounds. */
  roundMs: [number, number];
}

/** A running operator loop. */
export interface Operator {
  stats(): OperatorStats;
  stop(): Promise<OperatorStats>;
}

export function startOperator(o: OperatorOptions): Operator {
  const stats: OperatorStats = { rounds: 0, approved: 0, conflicts: 0, errors: 0 };
  let stopped = false;
  const headers = { authorization: `Bearer ${o.token}`, "content-type": "application/json" };

  const round = async (): Promise<void> => {
    const front = o.rng.pick(o.fronts);
    let ids: string[];
    try {
      const res = await fetch(`${front.baseUrl}/admin/requests?state=pending&profile=${o.profile}&limit=1000`, { headers, signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) {
        stats.errors++;
        await res.arrayBuffer();
        return;
      }
      ids = ((await res.json()) as { requests: Array<{ id: string }> }).requests.map((r) => r.id);
    } catch {
      stats.errors++;
      return;
    }
    const chosen = shuffle(ids, o.rng).slice(0, o.rng.int(1, o.perRound));
    for (const id of chosen) {
      try {
        const res = await fetch(`${front.baseUrl}/admin/requests/${id}/approve`, { method: "POST", headers, body: "{}", signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        if (res.status === 200) stats.approved++;
        else if (res.status === 409) stats.conflicts++;
        else stats.errors++;
      } catch {
        stats.errors++;
      }
    }
  };

  const loop = (async () => {
    while (!stopped) {
      stats.rounds++;
      await round();
      await sleep(o.rng.int(o.roundMs[0], o.roundMs[1]));
    }
  })();

  return {
    stats: () => ({ ...stats }),
    stop: async () => {
      stopped = true;
      await loop;
      return { ...stats };
    },
  };
}

function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
