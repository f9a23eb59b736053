/**
 * Composition of the notification webhooks: the targets of the configuration
 * (global `notify` and each profile's), the signed POST that delivers them
 * (policy/webhook-post.ts) and the BullMQ workers and audit-stream feed that
 * run them (queue/notify-*.ts). Started by startWorkers in every worker
 * process when any target is configured.
 */
import type { Config } from "../config/index.js";
import { postSignedJson } from "../policy/webhook-post.js";
import type { Clock, Logger, TransactionStore } from "../ra/ports.js";
import type { Deliver, NotifyTarget, NotifyWorkers, NotifyWorkersOptions } from "../queue/index.js";
import { StoreKeys, type RedisEndpoint } from "../store/index.js";

/** The notification targets of the configuration, each with its stable id. */
export function notifyTargets(config: Config, targetId: (profile: string | undefined, url: string) => string): NotifyTarget[] {
  const scoped = [
    ...(config.notify ?? []).map((t) => ({ t, profile: undefined as string | undefined })),
    ...Object.entries(config.profiles).flatMap(([name, p]) => (p.notify ?? []).map((t) => ({ t, profile: name as string | undefined }))),
  ];
  return scoped.map(({ t, profile }) => ({
    id: targetId(profile, t.url),
    url: t.url,
    secret: t.secret,
    events: t.events,
    timeoutMs: t.timeout,
    ...(profile === undefined ? {} : { profile }),
  }));
}

/** Delivers one notification: the signed POST with its idempotency key; any 2xx is delivered. */
export function webhookDeliver(clock: Clock): Deliver {
  return async (target, job) => {
    const answer = await postSignedJson({
      url: target.url,
      secret: target.secret,
      body: job.body,
      timeoutMs: target.timeoutMs,
      now: clock.now(),
      headers: { "idempotency-key": job.key, "x-scepgate-event": job.event, "x-scepgate-delivery-attempt": String(job.attempt) },
    });
    if (answer.kind === "error") return { ok: false, reason: answer.reason };
    return answer.status >= 200 && answer.status <= 299 ? { ok: true } : { ok: false, reason: `HTTP ${answer.status}` };
  };
}

/** What the notification workers need of a runtime. */
export interface NotifyParts {
  loaded: { config: Config };
  redis: RedisEndpoint;
  store: TransactionStore;
  clock: Clock;
  logger: Logger;
}

/** Test knobs of the notification workers. */
export type NotifyExtra = Pick<NotifyWorkersOptions, "backoff" | "claimIdleMs">;

/** Starts the notification workers; undefined when no target is configured. */
export async function startNotifications(rt: NotifyParts, extra: NotifyExtra = {}): Promise<NotifyWorkers | undefined> {
  const config = rt.loaded.config;
  const q = await import("../queue/index.js");
  const targets = notifyTargets(config, q.notifyTargetId);
  if (targets.length === 0) return undefined;
  return q.startNotifyWorkers({
    connect: () => q.connectQueueRedis(rt.redis),
    prefix: config.redis.keyPrefix,
    stream: new StoreKeys(config.redis.keyPrefix).auditStream(),
    targets,
    store: rt.store,
    deliver: webhookDeliver(rt.clock),
    logger: rt.logger,
    ...extra,
  });
}
