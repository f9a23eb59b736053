#!/usr/bin/env node
// The scepgate command: runs the TypeScript sources through tsx's loader
// (no build step, so `npm ci && npm start` works on a fresh clone).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
