/**
 * The upstream's announced rollover certificates (GetNextCACert), kept as a
 * PEM file in the profile's directory under dataDir: a pinned upstream that
 * switches to its new CA is accepted after a restart too.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { pemCertificates, toPem } from "../crypto/index.js";
import { PUBLIC_MODE, readIfExists, writeFileAtomic } from "../fsutil/secret-file.js";
import type { RolloverMemory } from "../upstream/upstream-directory.js";

export function rolloverFile(file: string): RolloverMemory {
  return {
    load: async () => {
      const text = await readIfExists(file);
      return text === undefined ? [] : pemCertificates(text.toString("latin1"));
    },
    save: async (certificates) => {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, certificates.map((der) => toPem(der)).join(""), { mode: PUBLIC_MODE });
    },
  };
}
