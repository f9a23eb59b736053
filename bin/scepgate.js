#!/usr/bin/env node
// The scepgate command. Runs the JavaScript that `npm ci` / `npm run build`
// compiled into dist/ when it is at least as new as every source file, else
// the TypeScript sources through tsx's loader: a fresh clone works with or
// without a build, and an edited source is never shadowed by a stale build.
// (The compiled form starts faster and uses ~50 MB less memory.)
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "src", "cli", "main.js");

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  if (process.env.SCEPGATE_FROM_SOURCE === "1" || !existsSync(compiled)) return false;
  const built = statSync(compiled).mtimeMs;
  return ["src", "workers"].every((d) => newestSource(join(root, d)) <= built);
}

if (buildIsFresh()) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
}
