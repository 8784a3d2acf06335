import { status, type ServiceError } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { compareSyncsUnderFaults } from "../../harness/fault-syncs.js";
import { createDemoAccount, DEMO_API_KEY, generateAccount } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync } from "../../src/sync/syncer.js";
import { startStack } from "../helpers/stack.js";

/**
 * Access data must be right even when the network is not: syncs under 10% 503, 5% 429 with
 * Retry-After, 1% lost responses and latency jitter return exactly what a fault-free sync does.
 * (npm run soak runs 100 of each.)
 */
describe("syncs under injected faults", () => {
  it("10 syncs of the demo account match the fault-free sync", async () => {
    const report = await compareSyncsUnderFaults({ account: createDemoAccount(), apiKey: DEMO_API_KEY, runs: 10, seed: 3 });
    expect(report).toMatchObject({ runs: 10, matched: 10, failed: 0 });
    expect(report.faultsInjected).toBeGreaterThan(0);
  });

  // The two below run side by side: the second mostly waits out the retry policy's backoff.
  it.concurrent("5 syncs of a generated account match the fault-free sync", async () => {
    const account = generateAccount({ users: 1_500, serviceAccounts: 120, namespaces: 12, groups: 40, customRoles: 6, apiKeys: 1_200, seed: 5 });
    const report = await compareSyncsUnderFaults({ account, apiKey: account.apiKey, runs: 5, seed: 4 });
    expect(report).toMatchObject({ runs: 5, matched: 5, failed: 0 });
    expect(report.faultsInjected).toBeGreaterThan(10);
    expect(report.retries).toBeGreaterThan(10);
  });

  it.concurrent("when the upstream stays down the sync fails with UNAVAILABLE, never with partial data", async () => {
    const stack = await startStack({ simulator: { faults: { status503: 1, onlyPaths: /\/cloud\/users$/ } } });
    try {
      const store = createMemoryStore();
      const err = (await runSync({ api: stack.client, store }).then(
        () => undefined,
        (e: unknown) => e,
      )) as ServiceError | undefined;
      expect(err && status[err.code]).toBe("UNAVAILABLE");
      expect(err!.details).toContain("GET /cloud/users: HTTP 503");
      // Nothing about users was presented: no partial page made it into the sync.
      expect(store.resources.filter((r) => r.id!.resourceType === "user")).toEqual([]);
      // The default policy gives up after six attempts (about eight seconds at most).
      expect(stack.simulator.stats.byRoute.get("GetUsers")).toBe(6);
    } finally {
      await stack.close();
    }
  });
});
