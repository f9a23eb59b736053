/**
 * The page's own script, stylesheet and icon (assets/admin-ui.js, admin-ui.css, favicon.svg):
 * plain files, hand-written, no build step, read once when the page is
 * created and served from memory. Nothing comes from a CDN.
 *
 * NOTE: tsc compiles only .ts into dist/, so the compiled module
 * (dist/src/edge/ui/assets.js) finds the files in the sources
 * (src/edge/ui/assets/), which every install and the container image keep.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One served file. */
export interface Asset {
  contentType: string;
  body: string;
}

const ASSET_TYPES: Readonly<Record<string, string>> = {
  "admin-ui.js": "text/javascript; charset=utf-8",
  "admin-ui.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

/** Where the asset files are: next to this module, or in src/ when this module runs from dist/. */
function assetDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "assets"), resolve(here, "..", "..", "..", "..", "src", "edge", "ui", "assets")];
  const found = candidates.find((dir) => existsSync(join(dir, "admin-ui.js")));
  if (!found) throw new Error(`admin web page: assets not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** The page's assets by file name, read now (a missing file fails at start, not on first use). */
export function loadAssets(): ReadonlyMap<string, Asset> {
  const dir = assetDir();
  const assets = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(ASSET_TYPES)) {
    assets.set(name, { contentType, body: readFileSync(join(dir, name), "utf8") });
  }
  return assets;
}
