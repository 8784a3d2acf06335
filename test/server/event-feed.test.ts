import { createHash } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { Capability, ConnectorService, EventService, EventType, ResourcesService, type Event } from "../../src/connector/c1.js";
import type { LogRecord } from "../../src/gen/temporal/api/cloud/auditlog/v1/message_pb.js";
import { sealCursor } from "../../src/connector/event-feed.js";
import { createTokenSealer } from "../../src/connector/token-seal.js";
import { DEFAULT_SETTLE_MS } from "../../src/feed/audit-log-feed.js";
import { createPrng } from "../../src/simulator/temporal/prng.js";
import { DEMO_API_KEY, DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { eventSummary } from "../helpers/event-summary.js";
import { expectCode } from "../helpers/grpc.js";
import { provisioner } from "../helpers/provisioning.js";
import { startStack, type Stack } from "../helpers/stack.js";

const { users: U, namespaces: NS, groups: G, serviceAccounts: SA, apiKeys: K, projects: P } = DEMO_IDS;
const FEED = "temporal_audit_log";
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * expectedOf is the test's own reading of a record the simulator wrote (the operations it and
 * its chaos editor log, in the shape they log them): the events it must turn into, each
 * prefixed by its log id.
 */
function expectedOf(record: LogRecord): string[] {
  if (record.status !== "OK") return [];
  const d = record.rawDetails as Record<string, any>;
  const out: string[] = [];
  switch (record.operation) {
    case "SetUserNamespaceAccessAPI":
    case "SetUserGroupNamespaceAccess":
    case "SetServiceAccountNamespaceAccess": {
      const principal = d.userId ? `user:${d.userId}` : d.groupId ? `group:${d.groupId}` : `service-account:${d.serviceAccountId}`;
      const level = (d.access?.permission as string | undefined)?.replace("PERMISSION_", "").toLowerCase();
      if (level) out.push(`grant namespace:${d.namespace}:${level} ${principal}`, `change ${principal}`);
      else out.push(`change ${principal}`, `change namespace:${d.namespace}`);
      break;
    }
    case "SetUserProjectAccess":
    case "SetUserGroupProjectAccess":
    case "SetServiceAccountProjectAccess": {
      const principal = d.userId ? `user:${d.userId}` : d.groupId ? `group:${d.groupId}` : `service-account:${d.serviceAccountId}`;
      const role = (d.access?.role as string | undefined)?.replace("PROJECT_ROLE_", "").toLowerCase();
      if (role) out.push(`grant project:${d.projectId}:${role} ${principal}`, `change ${principal}`);
      else out.push(`change ${principal}`, `change project:${d.projectId}`);
      break;
    }
    case "AddUserGroupMember":
      out.push(`grant group:${d.groupId}:member user:${d.memberId.userId}`);
      break;
    case "RemoveUserGroupMember":
      out.push(`revoke group:${d.groupId}:member user:${d.memberId.userId}`);
      break;
    case "UpdateUserAPI":
      out.push(`change user:${d.userId}`);
      break;
    case "UpdateNamespaceAPI":
      out.push(`change namespace:${d.namespace}`);
      break;
  }
  const p = record.principal!;
  if (p.apiKeyId) out.push(`usage api-key:${p.apiKeyId} by ${p.type === "user" ? "user" : "service-account"}:${p.id}`);
  return out.map((s) => `${record.logId} ${s}`);
}

const delivered = (events: Event[]) => events.map((e) => `${e.id.slice(0, e.id.indexOf("/"))} ${eventSummary(e)}`);

describe("event feed over gRPC", () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it("announces the temporal_audit_log feed and CAPABILITY_EVENT_FEED_V2; other feed ids are NOT_FOUND", async () => {
    stack = await startStack();
    const feeds = await stack.client.call(EventService.method.listEventFeeds, {});
    expect(feeds.list.map((f) => [f.id, f.supportedEventTypes])).toEqual([[FEED, [EventType.USAGE, EventType.RESOURCE_CHANGE, EventType.CREATE_GRANT, EventType.CREATE_REVOKE]]]);
    const metadata = await stack.client.call(ConnectorService.method.getMetadata, {});
    expect(metadata.metadata?.capabilities?.connectorCapabilities).toContain(Capability.EVENT_FEED_V2);
    expect(await expectCode(stack.client.call(EventService.method.listEvents, {}), status.NOT_FOUND)).toContain('event feed "baton_feed_event" not found');
    await expectCode(stack.client.call(EventService.method.listEvents, { eventFeedId: "okta_feed" }), status.NOT_FOUND);
  });

  it("refuses bad page sizes, start times and cursors with INVALID_ARGUMENT, without asking upstream", async () => {
    stack = await startStack();
    const first = await stack.client.call(EventService.method.listEvents, { eventFeedId: FEED, startAt: timestampFromMs(Date.now()) });
    const tampered = `${first.cursor.slice(0, 10)}${first.cursor[10] === "A" ? "B" : "A"}${first.cursor.slice(11)}`;
    const requestsBefore = stack.simulator.stats.requests;
    const bad = [
      { pageSize: 1001 },
      { startAt: { seconds: 999_999_999_999n, nanos: 0 } },
      { startAt: { seconds: 0n, nanos: -1 } },
      { cursor: "garbage" },
      { cursor: tampered },
      { cursor: "x".repeat(4097) },
      { cursor: first.cursor.replace(/\.[^.]*$/, ".AAAAAAAAAAAAAAAA") },
    ];
    for (const request of bad) await expectCode(stack.client.call(EventService.method.listEvents, { eventFeedId: FEED, ...request }), status.INVALID_ARGUMENT);
    expect(stack.simulator.stats.requests).toBe(requestsBefore);
  });

  it("yields every change made through the connector and behind its back exactly once, across pages, restarts and late records, one upstream request per call", async () => {
    let now = Date.now();
    const clock = () => now;
    stack = await startStack({ provisioning: true, simulator: { clock }, connector: { eventFeed: { now: clock } } });
    const sim = stack.simulator;
    const events: Event[] = [];
    let requestsPerCall = 0;
    let calls = 0;
    const listEvents = async (cursor: string, pageSize: number) => {
      const before = sim.stats.requests;
      // Like the Go SDK's CLI, the caller sends its start_at with every call; the cursor wins.
      const res = await stack.client.call(EventService.method.listEvents, { eventFeedId: FEED, cursor, pageSize, startAt: timestampFromMs(now - DAY) });
      requestsPerCall = Math.max(requestsPerCall, sim.stats.requests - before);
      calls++;
      expect(res.cursor).not.toBe("");
      expect(Buffer.byteLength(res.cursor)).toBeLessThanOrEqual(4096);
      events.push(...res.events);
      return res;
    };

    // A position before any of the changes: nothing has settled since now.
    const start = await stack.client.call(EventService.method.listEvents, { eventFeedId: FEED, startAt: timestampFromMs(now) });
    expect(start.events).toEqual([]);
    expect(start.hasMore).toBe(false);

    const p = provisioner(stack.client);
    await p.grant(`namespace:${NS.paymentsDev}:read`, `user:${U.dave}`);
    now += 1000;
    await p.grant(`group:${G.dataAnalysts}:member`, `user:${U.carol}`);
    now += 1000;
    await p.revoke(`namespace:${NS.paymentsDev}:read:user:${U.dave}`);
    await p.revoke(`group:${G.dataAnalysts}:member:user:${U.dave}`);
    await p.grant(`project:${P.data}:write`, `user:${U.grace}`);
    await p.revoke(`project:${P.data}:write:user:${U.grace}`);
    // A request Temporal Cloud refuses is logged with status ERROR and maps to nothing.
    const bob = await fetch(`${sim.url}/cloud/namespaces/${NS.paymentsDev}/users/${U.bob}/access`, {
      method: "POST",
      headers: { authorization: `Bearer ${DEMO_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ access: { permission: "PERMISSION_READ" }, resourceVersion: "x" }),
    });
    expect(bob.status).toBe(400);
    for (let i = 0; i < 8; i++) {
      now += 1000;
      sim.chaos();
    }
    // One edit whose record shows up only 8 minutes after it happened: later than the settle delay.
    sim.setAuditDelay(8 * MINUTE);
    const late = sim.chaos();
    sim.setAuditDelay(0);
    now += 1000;

    const connectorActions = [
      `grant namespace:${NS.paymentsDev}:read user:${U.dave}`,
      `grant group:${G.dataAnalysts}:member user:${U.carol}`,
      `change namespace:${NS.paymentsDev}`,
      `revoke group:${G.dataAnalysts}:member user:${U.dave}`,
      `grant project:${P.data}:write user:${U.grace}`,
      `change project:${P.data}`,
      `usage api-key:${K.batonConnector} by service-account:${SA.batonConnector}`,
    ];

    now += DEFAULT_SETTLE_MS + MINUTE;
    let cursor = start.cursor;
    let page = await listEvents(cursor, 3);
    expect(page.hasMore).toBe(true);
    cursor = page.cursor;
    await stack.restartConnector();
    do {
      page = await listEvents(cursor, 3);
      cursor = page.cursor;
    } while (page.hasMore);
    const lateIds = (ids: string[]) => ids.filter((s) => s.startsWith(late.record.logId));
    expect(lateIds(delivered(events))).toEqual([]);

    // The late record arrives; polls go on, with another restart between them.
    for (let i = 0; i < 6; i++) {
      now += 2 * MINUTE;
      if (i === 2) await stack.restartConnector();
      do {
        page = await listEvents(cursor, 4);
        cursor = page.cursor;
      } while (page.hasMore);
    }

    const records = sim.audit.page({ startMs: 0, endMs: Infinity }, 1000, undefined).records;
    const expected = records.flatMap(expectedOf).sort();
    const got = delivered(events).sort();
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(got).toEqual(expected);
    expect(lateIds(got).length).toBeGreaterThan(0);
    for (const action of connectorActions) expect(got.some((line) => line.endsWith(action)), action).toBe(true);
    expect(records.filter((r) => r.status === "ERROR").map((r) => r.rawDetails?.userId)).toEqual([U.bob]);
    expect(requestsPerCall).toBe(1);
    expect(calls).toBeGreaterThan(8);
    // Every event names when it happened.
    for (const event of events) expect(event.occurredAt && timestampMs(event.occurredAt)).toBeGreaterThan(now - DAY);
  });

  it("answers random and forged requests with OK or INVALID_ARGUMENT, never an error, at most one upstream request each", async () => {
    stack = await startStack({ simulator: { auditHistoryDays: 7 } });
    const prng = createPrng(17);
    const real: string[] = [];
    let cursor = "";
    do {
      const res = await stack.client.call(EventService.method.listEvents, { eventFeedId: FEED, cursor, pageSize: 7, startAt: timestampFromMs(Date.now() - 8 * DAY) });
      real.push(res.cursor);
      cursor = res.hasMore ? res.cursor : "";
    } while (cursor);
    // Sealed with the connector's own key, as only someone holding the API key could: even such a
    // cursor gets no more than a genuine one would. Checksummed ones, as anyone can make, open nothing.
    const sealer = createTokenSealer({ secret: () => stack.apiKey });
    const checksummed = (c: unknown) => {
      const payload = Buffer.from(JSON.stringify({ v: 1, f: FEED, c })).toString("base64url");
      return `${payload}.${createHash("sha256").update("temporalcloud-connector/event-cursor\n").update(payload).digest("base64url").slice(0, 16)}`;
    };
    const forged = [
      { lo: 0, hi: 10, nx: 5, tk: "not-a-token" },
      { lo: 253_402_300_799_999 },
      { lo: 1, hi: 253_402_300_799_999, nx: 1 },
      { lo: 2 ** 53 },
      { lo: -5 },
      { lo: 5, s: "AAAAAAAAAAAAAA" },
      { lo: 5, hi: 9, nx: 6, r: "AAAAAAAAAAAAAA" },
      { lo: Date.now() - DAY, s: Buffer.alloc(10).toString("base64url") },
      [],
      null,
      "x",
    ].flatMap((c) => [sealCursor(sealer, FEED, c as never), checksummed(c)]);
    const flip = (c: string) => {
      const i = prng.int(c.length);
      return `${c.slice(0, i)}${c[i] === "A" ? "B" : "A"}${c.slice(i + 1)}`;
    };
    const codes = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const request: Record<string, unknown> = { eventFeedId: FEED };
      if (prng.chance(0.5)) request.startAt = { seconds: BigInt(prng.between(-70_000_000_000, 260_000_000_000)), nanos: prng.pick([0, 1, 999_999_999, -1, 1_000_000_000]) };
      if (prng.chance(0.5)) request.pageSize = prng.pick([0, 1, 7, 1000, 1001, 2 ** 32 - 1]);
      const kind = prng.int(4);
      if (kind === 0) request.cursor = prng.pick(real);
      else if (kind === 1) request.cursor = flip(prng.pick(real));
      else if (kind === 2) request.cursor = prng.pick(forged);
      else request.cursor = prng.pick(["", "garbage", ".", "a.b", "x".repeat(4096)]);
      const before = stack.simulator.stats.requests;
      const code = await stack.client.call(EventService.method.listEvents, request).then(
        () => "OK",
        (err: { code: number }) => status[err.code],
      );
      expect(["OK", "INVALID_ARGUMENT"], JSON.stringify(request, (_k, v) => (typeof v === "bigint" ? String(v) : v))).toContain(code);
      expect(stack.simulator.stats.requests - before).toBeLessThanOrEqual(1);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.get("OK")).toBeGreaterThan(30);
    expect(codes.get("INVALID_ARGUMENT")).toBeGreaterThan(30);
    expect(stack.logs.filter((line) => JSON.parse(line).level >= 50)).toEqual([]);
  });

  it("names a principal given only by email through the users a sync has listed", async () => {
    let now = Date.now();
    const clock = () => now;
    stack = await startStack({ simulator: { clock }, connector: { eventFeed: { now: clock } } });
    const sim = stack.simulator;
    let cursor = (await stack.client.call(EventService.method.listEvents, { eventFeedId: FEED, startAt: timestampFromMs(now) })).cursor;
    const poll = async () => {
      const events: Event[] = [];
      let res;
      do {
        res = await stack.client.call(EventService.method.listEvents, { eventFeedId: FEED, cursor });
        events.push(...res.events);
        cursor = res.cursor;
      } while (res.hasMore);
      return delivered(events).map((line) => line.slice(line.indexOf(" ") + 1));
    };
    // Carol's key, with Carol named only by her email, as audit records may name a principal.
    const byEmail = () => sim.audit.append({ operation: "UpdateNamespaceAPI", status: "OK", principal: { type: "user", id: "", name: "carol@acme.example", apiKeyId: K.carolCli }, rawDetails: { namespace: NS.paymentsDev } });
    byEmail();
    now += DEFAULT_SETTLE_MS + MINUTE;
    expect(await poll()).toEqual([`change namespace:${NS.paymentsDev}`]);
    await stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user" });
    byEmail();
    now += DEFAULT_SETTLE_MS + MINUTE;
    expect(await poll()).toEqual([`change namespace:${NS.paymentsDev}`, `usage api-key:${K.carolCli} by user:${U.carol}`]);
  });

  it("honours start_at, and starts 24 hours back without one (the demo account's week of history)", async () => {
    stack = await startStack({ simulator: { auditHistoryDays: 7 } });
    const sim = stack.simulator;
    const readAll = async (startAt?: number) => {
      const events: Event[] = [];
      let cursor = "";
      for (;;) {
        const res = await stack.client.call(EventService.method.listEvents, { eventFeedId: FEED, cursor, pageSize: 10, startAt: startAt === undefined ? undefined : timestampFromMs(startAt) });
        events.push(...res.events);
        cursor = res.cursor;
        if (!res.hasMore) return events;
      }
    };
    const expectedSince = (from: number) => {
      const records = sim.audit.page({ startMs: from, endMs: Date.now() - DEFAULT_SETTLE_MS }, 1000, undefined).records;
      return records.flatMap(expectedOf).sort();
    };
    const now = Date.now();
    const twoDays = await readAll(now - 2 * DAY);
    expect(delivered(twoDays).sort()).toEqual(expectedSince(now - 2 * DAY));
    expect(twoDays.every((e) => timestampMs(e.occurredAt!) >= now - 2 * DAY)).toBe(true);
    const week = await readAll(now - 8 * DAY);
    expect(delivered(week).sort()).toEqual(expectedSince(now - 8 * DAY));
    expect(week.length).toBeGreaterThan(twoDays.length);
    const byDefault = await readAll();
    expect(delivered(byDefault).sort()).toEqual(expectedSince(now - DAY));
  });
});
