/**
 * A few real SCEP clients among the chaos run's devices: strongSwan `pki
 * --scep` (CertPoll while PENDING) and micromdm `scepclient` (re-sends its
 * PKCSReq every 30 s while PENDING). Neither survives a connection error by
 * itself, so each is run again, with the same key (so the same
 * transactionID) and, for scepclient, the same working directory and CSR,
 * until it has its certificate or the deadline passes — what an MDM agent
 * or a provisioning script around them does.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { enrollPki, enrollScepclient, type EnrollResult } from "../harness/clients.js";
import { sleep } from "../harness/process.js";
import type { Rng } from "./rng.js";
import type { FrontEndpoint } from "./scep-device.js";

/** One real client's run across its attempts. */
export interface RealClientRun {
  client: "pki" | "scepclient";
  cn: string;
  profile: string;
  /** A PENDING or SUCCESS reached the client in some attempt. */
  accepted: boolean;
  ok: boolean;
  certPem?: string;
  /** DER SubjectPublicKeyInfo of its key (empty until it made one). */
  spki: Uint8Array;
  attempts: number;
  /** The last attempt's log, for the report when it did not finish. */
  lastLog: string;
}

/** Options of the two runners. */
export interface RealClientOptions {
  cn: string;
  profile: string;
  fronts: readonly FrontEndpoint[];
  rng: Rng;
  deadline: number;
}

/**
 * The run's two real clients: pki (profile manual) from 10 % of the window,
 * scepclient (profile auto) from 20 %. `finished()` is true once both ended.
 */
export function startRealClients(
  fronts: readonly FrontEndpoint[], rng: Rng, deadline: number, windowMs: number,
): { runs: Promise<RealClientRun[]>; finished(): boolean } {
  let ended = 0;
  const later = (fraction: number, start: () => Promise<RealClientRun>): Promise<RealClientRun> =>
    sleep(windowMs * fraction).then(start).finally(() => ended++);
  const runs = Promise.all([
    later(0.1, () => runPki({ cn: "chaos-real-pki", profile: "manual", fronts, rng: rng.fork("pki"), deadline })),
    later(0.2, () => runScepclient({ cn: "chaos-real-scepclient", profile: "auto", fronts, rng: rng.fork("scepclient"), deadline })),
  ]);
  return { runs, finished: () => ended === 2 };
}

/** strongSwan pki against a random front per attempt. */
export async function runPki(o: RealClientOptions): Promise<RealClientRun> {
  const run: RealClientRun = { client: "pki", cn: o.cn, profile: o.profile, accepted: false, ok: false, spki: new Uint8Array(), attempts: 0, lastLog: "" };
  let keyPem: string | undefined;
  while (!run.ok && Date.now() < o.deadline) {
    const left = Math.max(5, Math.floor((o.deadline - Date.now()) / 1000));
    const url = `${o.rng.pick(o.fronts).baseUrl}/scep/${o.profile}`;
    const r = await enrollPki(url, { cn: o.cn, cipher: "aes", digest: "sha256", interval: 2, maxPollTime: left, timeoutMs: (left + 10) * 1000, ...(keyPem ? { keyPem } : {}) });
    if (r.keyPem) keyPem = r.keyPem;
    note(run, r);
    if (!run.ok) await sleep(o.rng.int(500, 2_000));
  }
  return run;
}

/** micromdm scepclient on one front, re-run in its own directory (same key, same csr.pem). */
export async function runScepclient(o: RealClientOptions): Promise<RealClientRun> {
  const run: RealClientRun = { client: "scepclient", cn: o.cn, profile: o.profile, accepted: false, ok: false, spki: new Uint8Array(), attempts: 0, lastLog: "" };
  const url = `${o.rng.pick(o.fronts).baseUrl}/scep/${o.profile}`;
  const limit = (): number => Math.max(5_000, o.deadline - Date.now());
  let r = await enrollScepclient(url, { cn: o.cn, timeoutMs: limit() });
  note(run, r);
  while (!run.ok && Date.now() < o.deadline) {
    await sleep(o.rng.int(500, 2_000));
    r = await r.rerun({ timeoutMs: limit() });
    note(run, r);
  }
  return run;
}

function note(run: RealClientRun, r: EnrollResult): void {
  run.attempts++;
  run.accepted ||= r.pending || r.ok;
  run.lastLog = r.log;
  if (r.keyPem && run.spki.length === 0) {
    run.spki = new Uint8Array(createPublicKey(createPrivateKey(r.keyPem)).export({ type: "spki", format: "der" }));
  }
  if (r.ok && r.certPem) {
    run.ok = true;
    run.certPem = r.certPem;
  }
}
