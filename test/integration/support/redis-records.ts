/**
 * Reads scepgate's transaction records straight out of Redis (ioredis), the
 * way an operator's script would: the key layout of src/store/keys.ts, the
 * record encoding of src/store/record-codec.ts. scepgate has no CLI for its
 * store yet; this is the tests' view of it.
 */
import { Redis } from "ioredis";
import type { AuditEvent, Transaction } from "../../../src/ra/ports.js";
import { StoreKeys } from "../../../src/store/keys.js";
import { decodeAudit, decodeRecord } from "../../../src/store/record-codec.js";

/** A read-only view of one scepgate instance's records (one key prefix). */
export interface RecordReader {
  /** Every record of `profile` (all states), oldest first. */
  records(profile?: string): Promise<Transaction[]>;
  /** The records of `profile` whose CSR subject CN is `cn`. */
  byCommonName(cn: string, profile?: string): Promise<Transaction[]>;
  /** The audit events of one record, oldest first. */
  audit(recordId: string): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/** Connects to `url` (redis://… or a unix socket path) and reads records under `prefix`. */
export function recordReader(url: string, prefix: string): RecordReader {
  const redis = url.startsWith("/") ? new Redis({ path: url, lazyConnect: true }) : new Redis(url, { lazyConnect: true });
  redis.on("error", () => undefined);
  const keys = new StoreKeys(prefix);
  const records = async (profile = "default"): Promise<Transaction[]> => {
    const ids = await redis.zrange(keys.indexProfile(profile), "0", "-1");
    const out: Transaction[] = [];
    for (const id of ids) {
      const tx = decodeRecord(await redis.hgetall(keys.record(id)));
      if (tx) out.push(tx);
    }
    return out;
  };
  return {
    records,
    byCommonName: async (cn, profile) => (await records(profile)).filter((tx) => tx.commonName === cn),
    audit: async (recordId) => (await redis.xrange(keys.recordAudit(recordId), "-", "+")).map(([, fields]) => decodeAudit(fields)),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
