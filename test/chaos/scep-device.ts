/**
 * A device of the chaos run, driven by scepgate's own client codec
 * (src/protocol buildRequest / decodeCertRep) so that hundreds are cheap.
 * Unlike test/integration/pipeline/device.ts it is not bound to one URL: it
 * behaves like a real device behind a load balancer that loses a node. It
 * sends its PKCSReq, and while PENDING polls — with CertPoll (strongSwan's
 * way) or by re-sending the same PKCSReq (micromdm scepclient's way) — through
 * connection errors, timeouts and HTTP 5xx, moving to the other front or
 * waiting for the restart, until SUCCESS or FAILURE or the deadline. Every
 * answer it gets is recorded.
 */
import { randomBytes, type KeyObject } from "node:crypto";
import {
  buildCsr, buildName, implicitRejectionSecret, parseCertificate, spkiOf, type Certificate, type DecryptionKey,
} from "../../src/crypto/index.js";
import { buildRequest, decodeCertRep, encodeIssuerAndSubject, MessageType, PkiStatus, type RequestType } from "../../src/protocol/index.js";
import { sleep } from "../harness/process.js";
import { selfSignedDeviceCert } from "../support/pki.js";
import type { Rng } from "./rng.js";

// The RA as a device sees it, from GetCACert: the same view the pipeline tests' device uses.
export { fetchRaView, type RaView } from "../integration/pipeline/device.js";
import type { RaView } from "../integration/pipeline/device.js";

/** What one exchange gave the device. */
export type AnswerKind = "PENDING" | "SUCCESS" | "FAILURE" | "http-4xx" | "http-5xx" | "network" | "bad-reply";

/** One exchange, as the device saw it. */
export interface Answer {
  /** ms since the run started. */
  at: number;
  front: string;
  sent: "PKCSReq" | "CertPoll";
  kind: AnswerKind;
  /** failInfo text, HTTP status or error message. */
  detail?: string;
  ms: number;
}

/** A front as the devices reach it. */
export interface FrontEndpoint {
  readonly name: string;
  readonly baseUrl: string;
}

/** How a device behaves. */
export interface DeviceBehaviour {
  /** Pause between polls while PENDING (jittered ±50 %). */
  pollIntervalMs: number;
  /** Give up (the device counts as unfinished) after this moment (epoch ms). */
  deadline: number;
  /** Epoch ms the run started (answers are timed from it). */
  runStarted: number;
  /** Per-request timeout. */
  requestTimeoutMs: number;
}

/** How a device polls while PENDING. */
export type PollStyle = "certpoll" | "resend";

export class ChaosDevice {
  readonly answers: Answer[] = [];
  /** A PENDING or SUCCESS was sent to it: scepgate took responsibility for the request. */
  accepted = false;
  /** The certificate of its SUCCESS (DER). */
  certificate: Certificate | undefined;
  /** Why it is not a correct SUCCESS, when it ended otherwise (FAILURE, a certificate that is not its own). */
  problem: string | undefined;
  /** True once it stopped (SUCCESS, FAILURE or deadline). */
  finished = false;
  private readonly cert: Certificate;
  private readonly decryption: DecryptionKey;
  private readonly csr: Uint8Array;

  constructor(
    readonly cn: string,
    readonly profile: string,
    readonly pollStyle: PollStyle,
    readonly key: KeyObject,
    private readonly ra: RaView,
    readonly transactionId = randomBytes(16).toString("hex"),
  ) {
    this.cert = selfSignedDeviceCert(cn, key);
    this.decryption = { cert: this.cert, key, rejectionSecret: implicitRejectionSecret(key) };
    // The same CSR on every resend (RSA PKCS#1 v1.5 signatures are deterministic): a resend is a poll.
    this.csr = buildCsr({ subject: buildName(`CN=${cn}, O=lab`), key });
  }

  /** DER SubjectPublicKeyInfo of the device's key. */
  get spki(): Uint8Array {
    return spkiOf(this.key);
  }

  /** Enrolls until SUCCESS, FAILURE or the deadline, moving between `fronts()` on errors. */
  async run(fronts: () => readonly FrontEndpoint[], rng: Rng, b: DeviceBehaviour): Promise<void> {
    let front = rng.pick(fronts());
    try {
      while (Date.now() < b.deadline) {
        const sent = !this.accepted || this.pollStyle === "resend" ? "PKCSReq" : "CertPoll";
        const answer = await this.exchange(front, sent, b);
        this.answers.push(answer);
        if (answer.kind === "SUCCESS" || answer.kind === "FAILURE") return;
        if (answer.kind === "PENDING") {
          this.accepted = true;
          await sleep(jitter(rng, b.pollIntervalMs));
          continue;
        }
        // A front that does not answer: most devices (a load balancer) go to the other one, some retry the same.
        if (answer.kind === "network" && rng.next() < 0.7) front = rng.pick(fronts().filter((f) => f.name !== front.name)) ?? front;
        else if (answer.kind !== "network" && rng.next() < 0.3) front = rng.pick(fronts());
        await sleep(rng.int(300, 1_500));
      }
    } finally {
      this.finished = true;
    }
  }

  private async exchange(front: FrontEndpoint, sent: "PKCSReq" | "CertPoll", b: DeviceBehaviour): Promise<Answer> {
    const started = Date.now();
    const base = { at: started - b.runStarted, front: front.name, sent };
    const done = (kind: AnswerKind, detail?: string): Answer => ({ ...base, kind, ...(detail === undefined ? {} : { detail }), ms: Date.now() - started });
    const messageType: RequestType = sent === "PKCSReq" ? MessageType.PKCSReq : MessageType.CertPoll;
    const messageData = sent === "PKCSReq"
      ? this.csr
      : encodeIssuerAndSubject({ issuer: this.ra.root.subject, subject: buildName(`CN=${this.cn}, O=lab`) });
    const { der, senderNonce } = buildRequest({
      messageType, transactionId: this.transactionId, messageData, signer: { cert: this.cert, key: this.key },
      recipient: this.ra.recipient, cipher: "aes128", digest: "sha256", signingTime: new Date(),
    });
    let status: number;
    let body: Uint8Array;
    try {
      const res = await fetch(`${front.baseUrl}/scep/${this.profile}?operation=PKIOperation`, {
        method: "POST", body: der, signal: AbortSignal.timeout(b.requestTimeoutMs),
      });
      status = res.status;
      body = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      return done("network", errorText(err));
    }
    if (status >= 500) return done("http-5xx", `HTTP ${status}`);
    if (status !== 200) return done("http-4xx", `HTTP ${status}: ${Buffer.from(body).toString("utf8").slice(0, 120)}`);
    try {
      const rep = await decodeCertRep(body, { decryption: [this.decryption], trustedSigners: this.ra.signers, transactionId: this.transactionId, recipientNonce: senderNonce });
      if (rep.status === PkiStatus.PENDING) return done("PENDING");
      if (rep.status === PkiStatus.FAILURE) {
        this.problem = `FAILURE ${rep.failInfo ?? "?"}: ${rep.failInfoText ?? ""}`;
        return done("FAILURE", this.problem);
      }
      this.accepted = true;
      this.takeCertificate(rep.certificates);
      return done("SUCCESS", this.certificate?.serialHex);
    } catch (err) {
      return done("bad-reply", errorText(err));
    }
  }

  /** Keeps the certificate of the SUCCESS that carries this device's key and subject; anything else is a problem. */
  private takeCertificate(ders: readonly Uint8Array[]): void {
    const mine = Buffer.from(this.spki);
    const certs = ders.map(parseCertificate);
    const own = certs.find((c) => Buffer.from(c.spki).equals(mine));
    if (!own) {
      this.problem = `SUCCESS without a certificate for its key (got ${certs.map((c) => c.subjectText()).join("; ")})`;
      this.certificate = certs.find((c) => !c.isSelfIssued);
      return;
    }
    this.certificate = own;
    if (!own.subjectText().includes(`CN=${this.cn}`)) this.problem = `certificate for ${own.subjectText()}, not CN=${this.cn}`;
  }
}

function jitter(rng: Rng, ms: number): number {
  return Math.round(ms * (0.5 + rng.next()));
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message})` : "";
  return `${err.name === "TimeoutError" ? "timeout" : err.message}${cause}`.slice(0, 160);
}
