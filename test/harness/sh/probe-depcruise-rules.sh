#!/usr/bin/env bash
# probe-depcruise-rules.sh — proves that every rule in .dependency-cruiser.cjs fires.
#
# Builds a scratch project in a temp dir (the real config, tsconfig, package.json and a
# symlink to node_modules; one stub module per src layer), then for each forbidden import
# writes a throwaway file, runs depcruise, checks that the expected rule reported it, and
# deletes the file. Finally checks that the allowed arrows report nothing.
# Never touches the project's own src/. Exit 0 only if every probe fired and the allowed
# imports are clean. Run from anywhere: test/harness/sh/probe-depcruise-rules.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/scepgate-depprobe-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp "$root"/{package.json,tsconfig.json,.dependency-cruiser.cjs} "$scratch"/
ln -s "$root/node_modules" "$scratch/node_modules"
cd "$scratch"
mkdir -p workers src/{protocol,crypto,ra,policy,edge,upstream,queue,store,config,observability,cli,app}
for d in src/*/; do echo "export const x = 1;" > "${d}base.ts"; done
echo "export const w = 1;" > workers/base.ts

cruise() { "$root/node_modules/.bin/depcruise" src workers --config .dependency-cruiser.cjs 2>&1 || true; }
fired=0 missed=0
probe() { # probe RULE FILE SOURCE
  local rule=$1 file=$2 src=$3 out
  printf '%s\n' "$src" > "$file"
  out=$(cruise)
  if grep -q "error $rule" <<<"$out"; then fired=$((fired + 1)); else
    missed=$((missed + 1)); echo "MISSED $rule: $file: $src"; grep -v "^$" <<<"$out" | head -5; fi
  rm -f "$file"
}
imp() { echo "import { x } from \"../$1/base.js\"; export const p = x;"; }
wimp='import { w } from "../../workers/base.js"; export const p = w;'
pkg() { echo "import * as m from \"$1\"; export const p = m;"; }

printf 'import { a } from "./a.js"; export const b = 1; export const c = a;\n' > src/protocol/b.ts
probe no-circular src/protocol/a.ts 'import { b } from "./b.js"; export const a = b;'; rm src/protocol/b.ts
printf 'import type { A } from "./a.js"; export type B = A | 1;\n' > src/ra/b.ts
probe no-circular src/ra/a.ts 'import type { B } from "./b.js"; export type A = B | 2;'; rm src/ra/b.ts
for f in protocol crypto; do
  for t in edge store queue ra policy upstream app cli config observability; do probe protocol-crypto-are-pure "src/$f/p.ts" "$(imp $t)"; done
  probe protocol-crypto-are-pure "src/$f/p.ts" "$wimp"
done
probe crypto-not-to-protocol src/crypto/p.ts "$(imp protocol)"
for t in edge store queue upstream policy app cli; do probe ra-not-to-adapters src/ra/p.ts "$(imp $t)"; done
probe ra-not-to-adapters src/ra/p.ts "$wimp"
for p in hono hono/body-limit @hono/node-server bullmq ioredis; do probe ra-no-infrastructure-packages src/ra/p.ts "$(pkg $p)"; done
probe ra-no-infrastructure-packages src/ra/p.ts 'import type { Redis } from "ioredis"; export type P = Redis;'
probe core-no-network-builtins src/ra/p.ts 'import http from "node:http"; export const p = http;'
probe core-no-network-builtins src/protocol/p.ts 'import tls from "tls"; export const p = tls;'
for f in edge store queue upstream policy; do
  for t in app cli; do probe adapters-not-to-composition "src/$f/p.ts" "$(imp $t)"; done
  probe adapters-not-to-composition "src/$f/p.ts" "$wimp"
done
for f in config observability; do
  for t in protocol crypto ra policy edge upstream queue store cli app config observability; do
    [ "$f" = "$t" ] || probe leaves-stay-leaves "src/$f/p.ts" "$(imp $t)"
  done
  probe leaves-stay-leaves "src/$f/p.ts" "$wimp"
done
for p in pkijs asn1js; do
  probe only-crypto-imports-pkijs-asn1js-x509 src/protocol/p.ts "$(pkg $p)"
  probe only-crypto-imports-pkijs-asn1js-x509 workers/p.ts "$(pkg $p)"
done
probe only-edge-imports-hono src/app/p.ts "$(pkg hono)"
probe only-edge-imports-hono src/upstream/p.ts "$(pkg hono/body-limit)"
probe only-edge-imports-hono workers/p.ts "$(pkg @hono/node-server)"
probe only-queue-and-workers-import-bullmq src/store/p.ts "$(pkg bullmq)"
probe only-queue-and-workers-import-bullmq src/app/p.ts 'import type { Job } from "bullmq"; export type P = Job;'
probe only-store-and-queue-import-ioredis src/app/p.ts "$(pkg ioredis)"
probe only-store-and-queue-import-ioredis workers/p.ts "$(pkg ioredis)"
probe only-observability-imports-prom-client src/ra/p.ts "$(pkg prom-client)"
probe only-observability-imports-prom-client src/app/p.ts 'import type { Registry } from "prom-client"; export type P = Registry;'
probe only-observability-imports-prom-client workers/p.ts "$(pkg prom-client)"
probe not-to-unresolvable src/edge/p.ts 'import { x } from "./nope.js"; export const p = x;'
probe not-to-dev-dep src/edge/p.ts "$(pkg vitest)"
probe no-non-package-json src/edge/p.ts "$(pkg acorn)"

# The allowed arrows must stay clean.
echo 'import * as a from "pkijs"; import * as b from "asn1js"; export const ok = [a, b];' > src/crypto/ok.ts
echo 'import { Hono } from "hono"; import { bodyLimit } from "hono/body-limit"; import { serve } from "@hono/node-server"; import { x } from "../ra/base.js"; export const ok = [Hono, bodyLimit, serve, x];' > src/edge/ok.ts
echo 'import { Queue } from "bullmq"; import { Redis } from "ioredis"; export const ok = [Queue, Redis];' > src/queue/ok.ts
echo 'import { Redis } from "ioredis"; import { x } from "../ra/base.js"; import { x as c } from "../config/base.js"; export const ok = [Redis, x, c];' > src/store/ok.ts
echo 'import { Worker } from "bullmq"; import { x } from "../src/app/base.js"; export const ok = [Worker, x];' > workers/ok.ts
echo 'import { x } from "../protocol/base.js"; import { x as o } from "../observability/base.js"; import { x as c } from "../config/base.js"; export const ok = [x, o, c];' > src/ra/ok.ts
echo 'import { x } from "../crypto/base.js"; import { isIPv4 } from "node:net"; export const ok = [x, isIPv4];' > src/protocol/ok.ts
echo 'import { x } from "./base.js"; export const ok = [x];' > src/config/ok.ts
echo 'import { Registry } from "prom-client"; export const ok = [Registry];' > src/observability/ok.ts
echo 'import { x } from "../edge/base.js"; import { x as q } from "../queue/base.js"; export const ok = [x, q];' > src/app/ok.ts
allowed=$(cruise)
clean=1; grep -q "no dependency violations found" <<<"$allowed" || { clean=0; echo "ALLOWED IMPORTS REPORTED:"; echo "$allowed"; }

echo "$fired probes fired, $missed missed; allowed imports $( [ $clean = 1 ] && echo clean || echo NOT clean )"
[ "$missed" -eq 0 ] && [ "$clean" -eq 1 ]
