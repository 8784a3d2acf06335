import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start real servers on loopback ports; keep CPU contention modest on 2 cores.
    maxWorkers: 2,
  },
});
