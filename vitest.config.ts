import { defineConfig } from "vitest/config";

/**
 * FAST_PATH_TESTS run twice: with the fast paths (compiled codecs, page read-ahead) and without
 * them (TEMPORALCLOUD_CONNECTOR_FAST_PATHS=off, src/codec/fast-paths.ts), so each of them is a
 * differential test of the fast paths. They are the tests whose answers pass through every fast
 * path: a whole sync through the protocol and the same sync written to a c1z and read back (the
 * compiled JSON reader parses every upstream page, the maker builds every grant, the encoder
 * writes every response and c1z row), the golden comparison with the Go SDK's syncer, the JSON
 * codec (a JSON client gets every field of a pre-encoded page), and paging (the read-ahead builds
 * the next page while the syncer stores the current one, across restarts and split pages).
 * Every other test runs once, with the fast paths on (the product's default).
 */
const FAST_PATH_TESTS = [
  "test/server/demo-sync.test.ts",
  "test/server/json-codec.test.ts",
  "test/server/paging.test.ts",
  "test/server/protocol.test.ts",
  "test/c1z/c1z-format.test.ts",
  "test/c1z/golden-sync.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start real servers on loopback ports; keep CPU contention modest on 2 cores.
    maxWorkers: 2,
    // Test files share their worker's module cache: importing the product's modules for each of
    // the hundred files again took 70 of the 240 s a run lasted. Every file starts its own servers
    // and simulators and sets the fast paths in its setup file, so none depends on another's state.
    isolate: false,
    setupFiles: ["test/setup-fast-paths.ts"],
    reporters: ["default", "./test/reporters/slowest-files.ts"],
    projects: [
      { extends: true, test: { name: "fast", include: ["test/**/*.test.ts"], env: { TEMPORALCLOUD_CONNECTOR_FAST_PATHS: "on" } } },
      { extends: true, test: { name: "plain", include: FAST_PATH_TESTS, env: { TEMPORALCLOUD_CONNECTOR_FAST_PATHS: "off" } } },
    ],
  },
});
