/**
 * `challenge.mode: webhook` end to end: a real scepgate process (embedded CA)
 * asks this test's HTTP server about each request; real clients enroll.
 *
 * - allowed device (micromdm scepclient, strongSwan pki): certificate issued;
 *   the server checked the HMAC signature and the step-ca-shaped payload;
 * - denied device: FAILURE badRequest with the webhook's reason;
 * - dead webhook (closed port): FAILURE badRequest "challenge check
 *   unavailable", or with `onError: manual` PENDING (pending_approval, audited why).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, PkiStatus } from "../../../src/protocol/index.js";
import { enrollPki, enrollScepclient } from "../../harness/clients.js";
import { freePort } from "../../harness/ports.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import { Device, uniqueCn } from "../pipeline/pipeline-support.js";
import { answer, startHookServer, type HookServer } from "./hook-server.js";

const SECRET = "challenge-hook-secret-7f3a";
const ALLOWED_PW = "pw-allowed-51c2";
const DENIED_PW = "pw-denied-9e04";

describe("challenge webhook: real clients through a real scepgate", () => {
  let redis: RedisHandle;
  let hook: HookServer;
  let gate: Scepgate;
  let records: RecordReader;

  beforeAll(async () => {
    redis = await startRedis();
    hook = await startHookServer(SECRET);
    hook.handler = (req, res) => {
      const allow = req.signature === "valid" && req.json?.scepChallenge === ALLOWED_PW;
      answer(res, 200, allow ? { allow: true } : { allow: false, reason: "device not allowed" });
    };
    const dead = `http://127.0.0.1:${await freePort()}/check`;
    const webhook = (url: string, onError: string) => ({ challenge: { mode: "webhook", url, secret: SECRET, timeout: "3s", onError } });
    gate = await startScepgate({
      redis,
      config: {
        profiles: {
          default: webhook(`${hook.url}/check`, "fail"),
          dead: webhook(dead, "fail"),
          "dead-manual": { ...webhook(dead, "manual"), approval: "auto" },
        },
      },
    });
    records = recordReader(redis.url, gate.keyPrefix);
  });

  afterAll(async () => {
    await records?.close();
    await gate?.stop();
    await hook?.close();
    await redis?.stop();
  });

  it("ok/allowed device (scepclient, pki): issued; signed request with the step-ca SCEPCHALLENGE fields", async () => {
    const cn = uniqueCn("hook-ok");
    const sc = await enrollScepclient(gate.url, { cn, challenge: ALLOWED_PW, timeoutMs: 30_000 });
    expect(sc.ok, `${sc.log}\n${tail(gate.output())}`).toBe(true);
    const req = hook.requests.find((r) => r.json?.x509CertificateRequest?.subject?.commonName === cn);
    expect(req?.signature).toBe("valid");
    expect(req?.headers["x-smallstep-signature"]).toMatch(/^[0-9a-f]{64}$/);
    const [tx] = await records.byCommonName(cn, "default");
    expect(tx?.state).toBe("issued");
    expect(tx?.challenge).toBe("webhook-valid");
    expect(req?.json).toMatchObject({
      provisionerName: "default",
      scepChallenge: ALLOWED_PW,
      scepTransactionID: tx?.transactionId,
      x509CertificateRequest: { subject: { commonName: cn }, publicKeyAlgorithm: "RSA" },
      scepgate: { profile: "default", messageType: "PKCSReq", key: { type: "rsa", bits: 2048 }, clientAddress: "127.0.0.1" },
    });
    expect(req?.json.scepgate.subject).toContain(`CN=${cn}`);

    const cn2 = uniqueCn("hook-ok-pki");
    const pki = await enrollPki(gate.url, { cn: cn2, challenge: ALLOWED_PW, cipher: "aes", digest: "sha256", maxPollTime: 5, timeoutMs: 30_000 });
    expect(pki.ok, `${pki.log}\n${tail(gate.output())}`).toBe(true);
  });

  it("fail/denied device: pki gets no certificate; FAILURE badRequest with the webhook's reason", async () => {
    const cn = uniqueCn("hook-denied");
    const pki = await enrollPki(gate.url, { cn, challenge: DENIED_PW, cipher: "aes", digest: "sha256", maxPollTime: 5, timeoutMs: 30_000 });
    expect(pki.ok).toBe(false);
    expect((await records.byCommonName(cn, "default")).map((t) => `${t.state}/${t.challenge}/${t.reason}`)).toEqual(["rejected/webhook-denied/device not allowed"]);

    const device = await Device.create(gate.url, uniqueCn("hook-denied-dev"));
    const rep = await device.enroll(DENIED_PW);
    expect(rep.status).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo).toBe(FailInfo.badRequest);
    expect(rep.failInfoText).toBe("device not allowed");
  });

  it("fail/dead webhook (closed port): FAILURE badRequest, challenge check unavailable", async () => {
    const device = await Device.create(`${gate.url}/dead`, uniqueCn("hook-dead"));
    const rep = await device.enroll(ALLOWED_PW);
    expect(rep.status).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo).toBe(FailInfo.badRequest);
    expect(rep.failInfoText).toBe("challenge check unavailable");
  });

  it("ok/dead webhook with onError manual: PENDING, pending_approval, the audit says why", async () => {
    const cn = uniqueCn("hook-dead-manual");
    const device = await Device.create(`${gate.url}/dead-manual`, cn);
    const rep = await device.enroll(ALLOWED_PW);
    expect(rep.status).toBe(PkiStatus.PENDING);
    const [tx] = await records.byCommonName(cn, "dead-manual");
    expect(tx?.state).toBe("pending_approval");
    expect(tx?.challenge).toBe("webhook-unavailable");
    const held = (await records.audit(tx!.id)).find((e) => e.event === "held-for-operator");
    expect(held?.reason).toMatch(/^challenge check unavailable \(unreachable\)$/);
  });

  it("ok/neither a challenge password nor the secret is in the log", () => {
    const out = gate.allOutput();
    for (const secret of [SECRET, ALLOWED_PW, DENIED_PW]) expect(out).not.toContain(secret);
  });
});
