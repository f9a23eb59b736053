/** Shared set-up of the store integration tests: a private Redis, stores on unique prefixes, sample records. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { startRedis, uniquePrefix, type RedisHandle } from "../../harness/redis.js";
import { transactionRecordId } from "../../../src/ra/ids.js";
import type { Transaction, TransactionState } from "../../../src/ra/ports.js";
import { RedisTransactionStore } from "../../../src/store/index.js";

/** One Redis server per test file, plus every connection and store the file opened. */
export class StoreEnv {
  private readonly connections: Redis[] = [];
  private readonly stores: RedisTransactionStore[] = [];
  private constructor(readonly server: RedisHandle) {}

  static async start(): Promise<StoreEnv> {
    return new StoreEnv(await startRedis());
  }

  /** A new connection (as another process would have); closed by {@link stop}. */
  connection(name?: string): Redis {
    const r = new Redis(this.server.url, name ? { connectionName: name } : {});
    this.connections.push(r);
    return r;
  }

  /** A store on its own connection; `prefix` defaults to a fresh unique one. */
  store(prefix = uniquePrefix("store"), redis = this.connection()): RedisTransactionStore {
    const s = new RedisTransactionStore({ redis, prefix });
    this.stores.push(s);
    return s;
  }

  async stop(): Promise<void> {
    await Promise.all(this.stores.map((s) => s.close()));
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
    await this.server.stop();
  }
}

let seq = 0;

/** A plausible record; `createdAt` increases by one second per call so "newest first" is well defined. */
export function sampleTx(over: Partial<Transaction> & { profile?: string; transactionId?: string } = {}): Transaction {
  const profile = over.profile ?? "default";
  const transactionId = over.transactionId ?? randomBytes(16).toString("hex");
  const at = new Date(Date.UTC(2025, 0, 1) + 1000 * seq++).toISOString();
  return {
    id: transactionRecordId(profile, transactionId),
    profile,
    transactionId,
    messageType: "19",
    state: "pending_approval" as TransactionState,
    source: "scep",
    csr: randomBytes(600).toString("base64"),
    subject: "CN=device-1,O=Example",
    commonName: "device-1",
    sans: [],
    key: { type: "rsa", bits: 2048 },
    requesterCert: randomBytes(700).toString("base64"),
    requesterKeyId: randomBytes(32).toString("hex"),
    challenge: "valid",
    context: { clientAddress: "192.0.2.7", userAgent: "scepclient/1.0" },
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

/** Client connections whose CLIENT SETNAME is `name`. */
export async function clientsNamed(redis: Redis, name: string): Promise<number> {
  const list = await redis.client("LIST");
  return String(list)
    .split("\n")
    .filter((line) => line.includes(` name=${name} `)).length;
}
