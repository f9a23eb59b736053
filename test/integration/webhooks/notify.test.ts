/**
 * Notification webhooks end to end: `scepgate serve --no-workers` (the
 * front, embedded CA, manual approval) and separate `scepgate worker`
 * processes delivering to this test's HTTP server.
 *
 * - a request approved with the CLI: the server gets pending, then issued,
 *   each signed and exactly once per Idempotency-Key;
 * - a 500 from the server is retried (same key, same body);
 * - the first delivery hangs, the worker is killed with SIGKILL, another
 *   starts: the delivery arrives again with the same Idempotency-Key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import { startProcess, type ManagedProcess } from "../../harness/process.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { childEnv, SCEPGATE_BIN, startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { tail } from "../../harness/scepgate-cli.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";
import { approveWithCli, Device, uniqueCn, waitFor } from "../pipeline/pipeline-support.js";
import { answer, startHookServer, type HookRequest, type HookServer } from "./hook-server.js";

const SECRET = "notify-hook-secret-2b9d";

describe("notification webhooks: front + worker processes", () => {
  let redis: RedisHandle;
  let hook: HookServer;
  let gate: Scepgate;
  let records: RecordReader;
  let worker: ManagedProcess | undefined;
  /** CNs whose first delivery gets a 500, or hangs. */
  const failFirst = new Set<string>();
  const hangFirst = new Set<string>();

  async function startWorker(name: string): Promise<ManagedProcess> {
    const proc = startProcess(process.execPath, [SCEPGATE_BIN, "worker", "--config", gate.configFile!], { cwd: gate.dir, env: childEnv(), name });
    await proc.waitForOutput(/"msg":"notification workers started"/, 30_000);
    return proc;
  }

  beforeAll(async () => {
    redis = await startRedis();
    hook = await startHookServer(SECRET);
    hook.handler = (req, res) => {
      const cn = /CN=([^,]+)/.exec(req.json?.subject ?? "")?.[1] ?? "";
      const first = hook.requests.filter((r) => r.headers["idempotency-key"] === req.headers["idempotency-key"]).length === 1;
      if (first && hangFirst.has(cn)) return; // never answers
      answer(res, first && failFirst.has(cn) ? 500 : 200, {});
    };
    gate = await startScepgate({
      redis,
      args: ["--no-workers"],
      config: {
        notify: [{ url: `${hook.url}/events`, secret: SECRET, events: ["pending", "issued"], timeout: "120s" }],
        profiles: { default: { approval: "manual" } },
      },
    });
    records = recordReader(redis.url, gate.keyPrefix);
    worker = await startWorker("worker-1");
  });

  afterAll(async () => {
    await records?.close();
    await worker?.stop();
    await gate?.stop();
    await hook?.close();
    await redis?.stop();
  });

  /** A device's PENDING request and its record id. */
  async function pendingRequest(prefix: string): Promise<{ device: Device; id: string }> {
    const cn = uniqueCn(prefix);
    const device = await Device.create(gate.url, cn);
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const [tx] = await records.byCommonName(cn, "default");
    return { device, id: tx!.id };
  }

  const deliveries = (key: string): HookRequest[] => hook.requests.filter((r) => r.headers["idempotency-key"] === key);
  const arrived = (key: string, n = 1, timeoutMs = 30_000) =>
    waitFor(`${n} deliveries of ${key}`, async () => (deliveries(key).length >= n ? true : undefined), timeoutMs, 100)
      .catch((err: Error) => { throw new Error(`${err.message}\n--- worker:\n${tail(worker?.output() ?? "")}`); });

  it("ok/pending, then issued after a CLI approval: signed, each exactly once per Idempotency-Key", { timeout: 60_000 }, async () => {
    const { device, id } = await pendingRequest("notify-ok");
    await arrived(`${id}:pending:1`);
    await approveWithCli(gate, id);
    expect((await device.poll()).status).toBe(PkiStatus.SUCCESS);
    await arrived(`${id}:issued:1`);
    await new Promise((r) => setTimeout(r, 1_500)); // room for a duplicate to show up

    const [pending, issued] = [deliveries(`${id}:pending:1`), deliveries(`${id}:issued:1`)];
    expect(pending).toHaveLength(1);
    expect(issued).toHaveLength(1);
    expect(pending[0]!.at).toBeLessThan(issued[0]!.at);
    for (const r of [...pending, ...issued]) {
      expect(r.signature).toBe("valid");
      expect(r.path).toBe("/events");
    }
    const [tx] = await records.byCommonName(device.cn, "default");
    expect(pending[0]!.json).toMatchObject({ v: 1, event: "pending", profile: "default", id, transactionID: device.transactionId, state: "pending_approval", sans: [] });
    expect(issued[0]!.json).toMatchObject({ event: "issued", id, state: "issued", serial: tx?.serial, notAfter: tx?.notAfter, actor: "upstream", decidedBy: tx?.decidedBy });
    expect(tx?.decidedBy).toMatch(/pipeline-test/);
    expect(issued[0]!.json.subject).toContain(`CN=${device.cn}`);
  });

  it("ok/a 500 from the receiver is retried with the same key and body", { timeout: 60_000 }, async () => {
    const cn = uniqueCn("notify-500");
    failFirst.add(cn);
    const device = await Device.create(gate.url, cn);
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const [tx] = await records.byCommonName(cn, "default");
    const key = `${tx!.id}:pending:1`;
    await arrived(key, 2, 40_000);
    const [first, second] = deliveries(key);
    expect(second!.body).toBe(first!.body);
    expect([first!.headers["x-scepgate-delivery-attempt"], second!.headers["x-scepgate-delivery-attempt"]]).toEqual(["1", "2"]);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(4_000); // backoff: 5 s before the first retry
  });

  it("ok/first delivery hangs, kill -9 of the worker, a new worker: delivered with the same Idempotency-Key", { timeout: 120_000 }, async () => {
    const cn = uniqueCn("notify-kill");
    hangFirst.add(cn);
    const device = await Device.create(gate.url, cn);
    expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
    const [tx] = await records.byCommonName(cn, "default");
    const key = `${tx!.id}:pending:1`;
    await arrived(key);
    const killed = await worker!.kill();
    expect(killed.signal).toBe("SIGKILL");
    worker = await startWorker("worker-2");
    await arrived(key, 2, 90_000);
    const [first, second] = deliveries(key);
    expect(second!.body).toBe(first!.body);
    expect(second!.signature).toBe("valid");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(deliveries(key)).toHaveLength(2);
  });
});
