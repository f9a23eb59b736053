/**
 * A private SoftHSM2 (Debian `softhsm2`) for a test: its own token directory
 * and SOFTHSM2_CONF under a temp dir, never the system one. Processes that
 * should see the tokens get `env` (SOFTHSM2_CONF is read by the module when it
 * is initialised, so set it before a process loads it).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./process.js";
import { makeTempDir } from "./tmp.js";

/** Where Debian's softhsm2 puts the PKCS#11 module. */
export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

export interface SoftHsm {
  dir: string;
  /** `{ SOFTHSM2_CONF }` for the processes that use these tokens. */
  env: { SOFTHSM2_CONF: string };
  module: string;
  /** Initialises a token in the first free slot; returns its slot ID. */
  initToken(label: string, pin: string, soPin?: string): Promise<number>;
}

/** A fresh SoftHSM2 configuration with no token yet. Throws when the softhsm2 package is missing (.ci/run installs it). */
export function createSoftHsm(): SoftHsm {
  if (!existsSync(SOFTHSM_MODULE)) throw new Error(`${SOFTHSM_MODULE} is missing: install the Debian package softhsm2`);
  const dir = makeTempDir("softhsm-");
  const tokens = join(dir, "tokens");
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { SOFTHSM2_CONF: conf };
  return {
    dir,
    env,
    module: SOFTHSM_MODULE,
    async initToken(label, pin, soPin = "so-pin-0000") {
      const r = await run("softhsm2-util", ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", soPin], {
        env: { ...process.env, ...env },
        timeoutMs: 30_000,
      });
      const slot = /reassigned to slot (\d+)/.exec(r.stdout + r.stderr);
      if (r.code !== 0 || !slot) throw new Error(`softhsm2-util --init-token failed (${r.code}): ${r.stdout}${r.stderr}`);
      return Number(slot[1]);
    },
  };
}
