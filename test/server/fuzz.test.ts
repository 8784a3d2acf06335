import { setTimeout as sleep } from "node:timers/promises";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import type { DescMessage } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectorService, GrantsServiceListGrantsRequestSchema, ResourcesServiceListResourcesRequestSchema } from "../../src/connector/c1.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync } from "../../src/sync/syncer.js";
import { FUZZ_SERVICES, fuzzMethods } from "../helpers/fuzz-cases.js";
import { harvest, harvestLargeAccount } from "../helpers/fuzz-harvest.js";
import { limitedStringFields } from "../helpers/fuzz-oracle.js";
import { describeFinding, mergeResults, type Finding, type RunResult } from "../helpers/fuzz-run.js";
import { startFuzzThread } from "../helpers/fuzz-thread.js";
import { startStack, type Stack } from "../helpers/stack.js";

/**
 * Malformed input (issue 7): 5,000 generated requests (100,000 with `npm run fuzz`) to every method of every service the
 * server registers, with provisioning on, over a raw HTTP/2 client (so framing can be wrong on
 * purpose), and more over @grpc/grpc-js. Seven kinds of input are mixed (test/helpers/
 * fuzz-cases.ts): random bytes, valid messages with random values, oversized fields and
 * messages, deep nesting, real/tampered/foreign/forged page tokens, unknown resource types, and
 * wrong content types and framing. Each answer is judged against what that input must get
 * (judge, expectFor); the server must keep serving, and its heap must not grow.
 *
 * The client runs in a worker thread (test/helpers/fuzz-thread.ts): the server under test keeps
 * this thread, and this heap, to itself. Case i is built from createPrng(SEED + i) alone, so a
 * finding's "case i" rebuilds the same bytes.
 */

const SEED = 0x7e57_f022;
/**
 * How many generated requests the main run sends: 5,000 in `npm test` (with 1,000 to warm up and
 * 1,000 over grpc-js), 100,000 with `npm run fuzz` (FUZZ_REQUESTS=100000, with 4,000 and 3,000),
 * which covers the same seed space and more. Case i is the same bytes in both, so a finding of the
 * long run is replayed by the short one when i < 5,000, and by `npm run fuzz` otherwise.
 */
const MAIN_REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5_000);
const LONG_RUN = MAIN_REQUESTS >= 50_000;
const WARMUP_REQUESTS = LONG_RUN ? 4_000 : 1_000;
const GRPC_JS_REQUESTS = LONG_RUN ? 3_000 : 1_000;
/** Case numbers of the warm-up and grpc-js runs: other parts of the seed space than the main run. */
const WARMUP_FIRST = 10_000_000;
const GRPC_JS_FIRST = 20_000_000;
const CONCURRENCY = 64;
/** A call without an answer after this long is a hang. */
const CALL_DEADLINE_MS = 30_000;
/** Users of the account whose lists span several pages (the upstream page is 1,000). */
const LARGE_ACCOUNT_USERS = 1_100;
/** Heap growth (after GC) allowed between the end of the warm-up and the end of the run. */
const HEAP_BOUND_BYTES = 16 * 1024 * 1024;

/** collectGarbage exposes gc in this worker (vitest does not start it with --expose-gc). */
function collectGarbage(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

/** heapAfterGc collects until the heap stops shrinking and returns the used size. */
async function heapAfterGc(collect: () => void): Promise<number> {
  let last = Infinity;
  for (let i = 0; i < 6; i++) {
    collect();
    await sleep(50);
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 64 * 1024) return used;
    last = used;
  }
  return last;
}

const isBroken = (key: string) => /(hang|no status|HTTP \d+ without)/.test(key);
const isInternal = (key: string) => /^got (INTERNAL|UNKNOWN)/.test(key);

describe("fuzz: malformed input to every method (issue 7)", () => {
  const methods = fuzzMethods(FUZZ_SERVICES);
  let stack: Stack;
  let main: RunResult;
  let viaGrpcJs: RunResult;
  let all: RunResult;
  let findings: [string, Finding][];
  let heapBefore = 0;
  let heapAfter = 0;
  let sessionsLost = 0;
  /** Error-level log lines of the connector, one sample per distinct error (method and message). */
  const errorLogs = new Map<string, { count: number; sample: string }>();

  /** drainLogs keeps the connector's error lines (grouped) and drops the rest, so logs are not growth. */
  function drainLogs(): void {
    for (const line of stack.logs) {
      if (!/"level":(50|60)/.test(line)) continue;
      const entry = JSON.parse(line) as { method?: string; msg?: string; err?: { message?: string; stack?: string } };
      const key = `${entry.method?.replace(/^https?:\/\/[^/]+/, "") ?? ""} ${entry.msg ?? ""}: ${entry.err?.message ?? ""}`.replace(/\d+/g, "N").slice(0, 300);
      const seen = errorLogs.get(key);
      if (seen) seen.count++;
      else if (errorLogs.size < 30) errorLogs.set(key, { count: 1, sample: (entry.err?.stack ?? line).split("\n").slice(0, 4).join(" | ").slice(0, 600) });
    }
    stack.logs.length = 0;
  }

  beforeAll(async () => {
    const foreign = await harvestLargeAccount(LARGE_ACCOUNT_USERS);
    stack = await startStack({
      provisioning: true,
      // Nothing upstream throttles the run: many requests reach the simulator.
      simulator: { maxConcurrentOperations: 1_000_000 },
      connector: { rateLimit: 100_000, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 10 }, operationTimeoutMs: 200 },
    });
    const corpus = await harvest(stack, foreign);
    drainLogs();
    const collect = collectGarbage();
    const thread = await startFuzzThread({ address: stack.address, corpus, seed: SEED, concurrency: CONCURRENCY, sessions: 2, timeoutMs: CALL_DEADLINE_MS });
    const draining = setInterval(drainLogs, 1_000);
    try {
      // Warm-up: the same mix from another part of the seed space (JIT, caches, pools settle).
      await thread.run("raw", WARMUP_FIRST, WARMUP_REQUESTS);
      drainLogs();
      heapBefore = await heapAfterGc(collect);
      main = (await thread.run("raw", 0, MAIN_REQUESTS)).result;
      const grpcJs = await thread.run("grpc-js", GRPC_JS_FIRST, GRPC_JS_REQUESTS);
      viaGrpcJs = grpcJs.result;
      sessionsLost = grpcJs.sessionsLost;
    } finally {
      clearInterval(draining);
      await thread.close();
    }
    await sleep(200); // cancelled upstream work winds down
    drainLogs();
    heapAfter = await heapAfterGc(collect);
    all = mergeResults(main, viaGrpcJs);
    findings = [...all.findings].sort((a, b) => b[1].count - a[1].count);
    report();
  }, 240_000);

  afterAll(() => stack?.close());

  /** report prints the totals, the per-method tally of answers and every finding. */
  function report(): void {
    const lines = [
      `fuzz: ${main.requests} requests over raw HTTP/2 in ${(main.ms / 1000).toFixed(1)} s, ${viaGrpcJs.requests} over grpc-js in ${(viaGrpcJs.ms / 1000).toFixed(1)} s`,
      `server heap after GC: ${(heapBefore / 2 ** 20).toFixed(1)} MiB after the warm-up, ${(heapAfter / 2 ** 20).toFixed(1)} MiB after the run`,
    ];
    for (const m of methods) {
      const counts = [...(all.tally.get(m.name) ?? [])].sort((a, b) => b[1] - a[1]);
      const total = counts.reduce((sum, [, n]) => sum + n, 0);
      lines.push(`  ${m.name.padEnd(42)} ${String(total).padStart(6)}  ${counts.map(([k, n]) => `${k}:${n}`).join(" ")}`);
    }
    lines.push(`findings: ${findings.length} kinds, ${findings.reduce((sum, [, f]) => sum + f.count, 0)} requests`);
    for (const finding of findings) lines.push(`  ${describeFinding(finding)}`);
    lines.push(`connector error logs: ${[...errorLogs.values()].reduce((sum, e) => sum + e.count, 0)} lines`);
    for (const [key, e] of errorLogs) lines.push(`  ${e.count}× ${key}\n      ${e.sample}`);
    console.log(lines.join("\n"));
  }

  it("knows the protocol's field limits (docs/baton-protocol.md, 'Field limits') that oversized inputs go past", () => {
    const limits = (schema: DescMessage) => Object.fromEntries(limitedStringFields(schema).map((f) => [f.names, f.maxBytes]));
    expect(limits(ResourcesServiceListResourcesRequestSchema)).toMatchObject({ resource_type_id: 1024, "parent_resource_id.resource_type": 1024, "parent_resource_id.resource": 1024, page_token: 1_048_576, active_sync_id: 1024 });
    expect(limits(GrantsServiceListGrantsRequestSchema)).toMatchObject({ "resource.id.resource_type": 1024, "resource.id.resource": 1024, "resource.display_name": 1024, "resource.description": 2048, page_token: 1_048_576 });
  });

  it(`sends at least ${MAIN_REQUESTS.toLocaleString("en")} requests, reaching every method of every service`, () => {
    expect(main.requests).toBeGreaterThanOrEqual(MAIN_REQUESTS);
    const perMethod = methods.map((m) => [m.name, [...(all.tally.get(m.name)?.values() ?? [])].reduce((a, b) => a + b, 0)] as const);
    expect(perMethod.filter(([, n]) => n < MAIN_REQUESTS / 100)).toEqual([]);
    // Provisioning really ran: grants, revokes, deletions and invitations went through.
    for (const name of ["GrantManagerService/Grant", "GrantManagerService/Revoke", "AccountManagerService/CreateAccount", "ResourceDeleterService/DeleteResourceV2"]) {
      expect(all.tally.get(name)?.get("OK") ?? 0, name).toBeGreaterThan(10);
    }
  });

  it("keeps serving: no lost connection, no hang, no call without a status", () => {
    expect(findings.filter(([key]) => isBroken(key)).map(describeFinding)).toEqual([]);
    expect(sessionsLost).toBe(0);
  });

  it("never answers INTERNAL, nor UNKNOWN other than the documented 'ticketing is not enabled'", () => {
    expect(findings.filter(([key]) => isInternal(key)).map(describeFinding)).toEqual([]);
    expect([...errorLogs].map(([key, e]) => `${e.count}× ${key}: ${e.sample}`)).toEqual([]);
  });

  it("answers every other request with the code its input calls for", () => {
    expect(findings.filter(([key]) => !isInternal(key) && !isBroken(key)).map(describeFinding)).toEqual([]);
  });

  it("keeps its heap stable", () => {
    expect(heapAfter - heapBefore).toBeLessThan(HEAP_BOUND_BYTES);
  });

  it("still validates and serves a full sync afterwards", async () => {
    expect((await stack.client.call(ConnectorService.method.validate, {})).sdkVersion).toBe("v0.25.0");
    const store = createMemoryStore();
    await runSync({ api: stack.client, store });
    expect(store.resources.filter((r) => r.id?.resourceType === "namespace").map((r) => r.id!.resource).sort()).toEqual(Object.values(DEMO_IDS.namespaces).sort());
    expect(store.resources.some((r) => r.id?.resourceType === "service-account" && r.id.resource === DEMO_IDS.serviceAccounts.batonConnector)).toBe(true);
    expect(store.grants.length).toBeGreaterThan(0);
  });
});
