/**
 * Debian's Chromium driven by playwright-core (no browser download): headless,
 * no sandbox (CI runs as root), nothing that calls home, a fresh profile in
 * a temp dir per launch. `SCEPGATE_TEST_CHROMIUM` overrides the binary.
 */
import { existsSync } from "node:fs";
import { chromium, type BrowserContext } from "playwright-core";
import { makeTempDir, removeTempDir } from "../harness/tmp.js";

export const CHROMIUM = process.env["SCEPGATE_TEST_CHROMIUM"] ?? "/usr/bin/chromium";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A running browser with its own profile; `close()` ends it and removes the profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does with CI_WITH_CHROMIUM=1)`);
  }
  const profile = makeTempDir("chromium-");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    locale: "en-US",
    timezoneId: "UTC",
  });
  return {
    context,
    close: async () => {
      await context.close();
      await removeTempDir(profile);
    },
  };
}
