import { defineConfig } from "vitest/config";

/**
 * END_TO_END are the tests that drive the real server (and the CLI) over the network: they run
 * twice, once with the compiled codecs and once with protobuf-es's own (src/codec/codecs.ts), so
 * each of them is a differential test of the fast path. The rest are unit tests, run once.
 */
const END_TO_END = ["test/server/**/*.test.ts", "test/c1z/**/*.test.ts", "test/cli/**/*.test.ts", "test/sync/**/*.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start real servers on loopback ports; keep CPU contention modest on 2 cores.
    maxWorkers: 2,
    setupFiles: ["test/setup-codecs.ts"],
    projects: [
      { extends: true, test: { name: "compiled", include: ["test/**/*.test.ts"], env: { TEMPORALCLOUD_CONNECTOR_CODECS: "compiled" } } },
      { extends: true, test: { name: "library", include: END_TO_END, env: { TEMPORALCLOUD_CONNECTOR_CODECS: "library" } } },
    ],
  },
});
