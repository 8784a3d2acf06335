import { toJsonString } from "@bufbuild/protobuf";
import { createTemporalConnector, type TemporalConnector } from "../src/app/app.js";
import { EntitlementSchema, GrantSchema, ResourceSchema } from "../src/connector/c1.js";
import { createLogger } from "../src/logger.js";
import { PROTOCOL_REGISTRY } from "../src/connector/protocol-registry.js";
import { startServer, type RunningServer } from "../src/server/server.js";
import { startSimulator, type AccountData, type FaultOptions, type Simulator } from "../src/simulator/temporal/index.js";
import { createGrpcClient, type GrpcClient } from "../src/sync/grpc-client.js";
import { createMemoryStore, runSync } from "../src/sync/syncer.js";

/** FAULTS are issue 7's weather: 10% 503, 5% 429 with Retry-After, 1% lost responses. */
export const FAULTS: FaultOptions = { status503: 0.1, status429: 0.05, retryAfterSeconds: 0.05, dropConnection: 0.01 };

/** FaultSyncOptions configures compareSyncsUnderFaults. */
export interface FaultSyncOptions {
  account: AccountData;
  apiKey: string;
  runs: number;
  /** Latency jitter added to every upstream response. */
  jitterMs?: number;
  seed?: number;
  workers?: number;
  onRun?: (run: number, matched: boolean) => void;
}

/** FaultSyncReport says how many syncs under faults matched the fault-free one. */
export interface FaultSyncReport {
  runs: number;
  matched: number;
  failed: number;
  faultsInjected: number;
  retries: number;
}

/**
 * compareSyncsUnderFaults syncs an account once without faults, then `runs` times with FAULTS and
 * latency jitter, through the real server and a grpc-js client, and counts the syncs whose
 * resources, entitlements and grants are identical to the fault-free one. Each sync has its own
 * connector (fresh state) so that nothing is served from an earlier run's memory.
 */
export async function compareSyncsUnderFaults(options: FaultSyncOptions): Promise<FaultSyncReport> {
  const simulator = await startSimulator({ account: options.account, seed: options.seed ?? 1 });
  const registry = PROTOCOL_REGISTRY;
  const snapshot = async () => {
    const stack = await connect(simulator, options.apiKey);
    try {
      const store = createMemoryStore();
      await runSync({ api: stack.client, store, workers: options.workers ?? 4 });
      // Security insights are observed at their sync's time: the one field in which two syncs of
      // the same account differ, so it is left out of the comparison.
      const render = <T>(items: T[], schema: Parameters<typeof toJsonString>[0]) =>
        items.map((item) => toJsonString(schema, item as never, { registry }).replace(/"observedAt":"[^"]*",?/g, "")).sort().join("\n");
      return {
        text: [render(store.resources, ResourceSchema), render(store.entitlements, EntitlementSchema), render(store.grants, GrantSchema)].join("\n\n"),
        retries: stack.app.transport.stats.retries,
      };
    } finally {
      await stack.close();
    }
  };
  try {
    const expected = (await snapshot()).text;
    simulator.setFaults(FAULTS);
    simulator.setLatency(0, options.jitterMs ?? 5);
    const report: FaultSyncReport = { runs: options.runs, matched: 0, failed: 0, faultsInjected: 0, retries: 0 };
    for (let run = 1; run <= options.runs; run++) {
      let matched = false;
      try {
        const got = await snapshot();
        report.retries += got.retries;
        matched = got.text === expected;
      } catch {
        report.failed++;
      }
      if (matched) report.matched++;
      options.onRun?.(run, matched);
    }
    report.faultsInjected = [...simulator.stats.faultsInjected.values()].reduce((a, b) => a + b, 0);
    return report;
  } finally {
    await simulator.close();
  }
}

async function connect(simulator: Simulator, apiKey: string): Promise<{ app: TemporalConnector; server: RunningServer; client: GrpcClient; close(): Promise<void> }> {
  const log = createLogger({ level: "error", format: "json", destination: { write: () => true } });
  // Quick retries: the property under test is correctness under faults, not how long we wait.
  const app = createTemporalConnector({ baseUrl: simulator.url, apiKey, allowInsecure: true, provisioning: false, log, rateLimit: 1_000, retry: { maxAttempts: 8, baseDelayMs: 2, maxDelayMs: 20, maxRetryAfterMs: 1_000 } });
  const server = await startServer({ connector: app.connector, log, host: "127.0.0.1", port: 0 });
  const client = createGrpcClient({ address: `127.0.0.1:${server.port}` });
  return {
    app,
    server,
    client,
    async close() {
      client.close();
      await server.close();
      await app.close();
    },
  };
}
