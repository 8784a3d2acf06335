import { defineConfig } from "vitest/config";

/**
 * END_TO_END are the tests that drive the real server (and the CLI) over the network: they run
 * twice, with the fast paths (compiled codecs, page read-ahead) and without them
 * (TEMPORALCLOUD_CONNECTOR_FAST_PATHS=off, src/codec/fast-paths.ts), so each of them is a differential
 * test of the fast paths. The rest are unit tests, run once.
 */
const END_TO_END = ["test/server/**/*.test.ts", "test/c1z/**/*.test.ts", "test/cli/**/*.test.ts", "test/sync/**/*.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start real servers on loopback ports; keep CPU contention modest on 2 cores.
    maxWorkers: 2,
    setupFiles: ["test/setup-fast-paths.ts"],
    projects: [
      { extends: true, test: { name: "fast", include: ["test/**/*.test.ts"], env: { TEMPORALCLOUD_CONNECTOR_FAST_PATHS: "on" } } },
      { extends: true, test: { name: "plain", include: END_TO_END, env: { TEMPORALCLOUD_CONNECTOR_FAST_PATHS: "off" } } },
    ],
  },
});
