import { defineConfig } from "vitest/config";

/**
 * Vitest config. `npm test` (= `vitest run`) prints the default console report
 * AND always writes test-artifacts/vitest.json, which .ci/run reads for its
 * final `N passed, N failed` line.
 *
 * Integration tests spawn real processes (redis-server, micromdm scepserver,
 * scepclient, strongSwan pki, certmonger), hence the generous timeouts. Files
 * run in parallel in forked workers (2 cores on the CI box); the tests inside
 * one file run one after the other.
 */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: "test-artifacts/vitest.json" }]],
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
