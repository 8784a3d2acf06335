import { tmpdir } from "node:os";
import { fromJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventSchema, EventService } from "../../src/connector/c1.js";
import { PROTOCOL_REGISTRY } from "../../src/connector/protocol-registry.js";
import { DEMO_API_KEY, DEMO_API_KEYS } from "../../src/simulator/temporal/index.js";
import { runCli } from "../c1z/run-cli.js";
import { startStack, type Stack } from "../helpers/stack.js";

const HOUR = 3_600_000;

describe("events command", () => {
  let stack: Stack;
  let expectedIds: string[];
  beforeAll(async () => {
    stack = await startStack({ simulator: { auditHistoryDays: 7 } });
    // The same feed read over gRPC from the stack's own connector, for comparison.
    expectedIds = [];
    let cursor = "";
    for (;;) {
      const res = await stack.client.call(EventService.method.listEvents, { eventFeedId: "temporal_audit_log", cursor, startAt: timestampFromMs(Date.now() - 200 * HOUR) });
      expectedIds.push(...res.events.map((e) => e.id));
      cursor = res.cursor;
      if (!res.hasMore) break;
    }
    expect(expectedIds.length).toBeGreaterThan(20);
  });
  afterAll(() => stack?.close());

  const events = (args: string[], apiKey = DEMO_API_KEY) =>
    runCli(["events", "--base-url", stack.simulator.url, "--allow-insecure", ...args], { cwd: tmpdir(), env: { BATON_API_KEY: apiKey, BATON_LOG_LEVEL: "warn" } });

  it("prints the feed's events as JSON lines with --json", async () => {
    const run = await events(["--since", "200h", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    const parsed = lines.map((line) => fromJsonString(EventSchema, line, { registry: PROTOCOL_REGISTRY }));
    expect(parsed.map((e) => e.id).sort()).toEqual([...expectedIds].sort());
    expect(parsed.every((e) => e.occurredAt !== undefined && e.event.case !== undefined)).toBe(true);
  });

  it("prints one line per event for people by default, 24 hours back unless told", async () => {
    const run = await events(["--since", "200h"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(expectedIds.length);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}(grant|revoke|change|usage) {1,3}\S.* {2}\[\S+\]$/);
    expect(lines.some((l) => / grant {3}namespace:\S+:(admin|write|read) {2}to (user|group|service-account):/.test(l))).toBe(true);
    const lastDay = await events([]);
    expect(lastDay.code, lastDay.stderr).toBe(0);
    const count = lastDay.stdout === "" ? 0 : lastDay.stdout.trimEnd().split("\n").length;
    expect(count).toBeLessThan(lines.length);
  });

  it("refuses a --since beyond the 30 days kept, and reports a key without the Owner or Global Admin role", async () => {
    const far = await events(["--since", "721h"]);
    expect(far.code).toBe(2);
    expect(far.stderr).toContain("reaches further back than the 30 days (720h)");
    const carol = await events([], DEMO_API_KEYS.carolCli);
    expect(carol.code).toBe(1);
    expect(carol.stderr).toMatch(/listing events failed: .*\[permission_denied\]/);
  });
});
