import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { ListEventsRequestSchema } from "../../src/connector/c1.js";
import { Code, ConnectorError } from "../../src/connector/errors.js";
import { createEventFeeds, sealCursor } from "../../src/connector/event-feed.js";
import { createTokenSealer } from "../../src/connector/token-seal.js";
import { LogRecordSchema, PrincipalSchema, type LogRecord } from "../../src/gen/temporal/api/cloud/auditlog/v1/message_pb.js";
import { AUDIT_LOG_FEED_ID, createAuditLogFeed, DEFAULT_OVERLAP_MS, DEFAULT_SETTLE_MS } from "../../src/feed/audit-log-feed.js";
import { createUserDirectory } from "../../src/resources/user-directory.js";
import type { Page, PageRequest, TimeWindow } from "../../src/temporal/client.js";
import { createPrng } from "../../src/simulator/temporal/prng.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SETTLE = DEFAULT_SETTLE_MS;
const OVERLAP = DEFAULT_OVERLAP_MS;
const SEALER = createTokenSealer({ secret: () => "api-key" });

/**
 * fakeAuditLog stands in for GetAuditLogs in these unit tests: records with an emit time and a
 * time they become visible, served within the window asked for, sorted newest or oldest first,
 * paged by a key token. The end-to-end tests use the simulator instead.
 */
function fakeAuditLog(clock: () => number, options: { order?: "newest" | "oldest"; ignoreWindow?: boolean } = {}) {
  const entries: { record: LogRecord; emitMs: number; visibleAt: number }[] = [];
  let serial = 0;
  const client = {
    calls: 0,
    async getAuditLogs(page: PageRequest, window: TimeWindow): Promise<Page<LogRecord>> {
      client.calls++;
      const now = clock();
      const lo = window.startTimeInclusive!.getTime();
      const hi = window.endTimeExclusive!.getTime();
      const sorted = entries
        .filter((e) => e.visibleAt <= now && (options.ignoreWindow || (e.emitMs >= lo && e.emitMs < hi)))
        .sort((a, b) => a.emitMs - b.emitMs || (a.record.logId < b.record.logId ? -1 : 1));
      if (options.order !== "oldest") sorted.reverse();
      const key = (e: (typeof sorted)[number]) => `${String(e.emitMs).padStart(15, "0")} ${e.record.logId}`;
      const after = page.pageToken;
      const rest = after === undefined ? sorted : sorted.filter((e) => (options.order === "oldest" ? key(e) > after : key(e) < after));
      const items = rest.slice(0, page.pageSize ?? 100);
      return { items: items.map((e) => e.record), nextPageToken: rest.length > items.length ? key(items.at(-1)!) : "" };
    },
  };
  return {
    client,
    get records() {
      return entries.map((e) => e.record);
    },
    /** add logs an update of user `u<n>` at emitMs, visible `delay` later; returns the event id it maps to. */
    add(emitMs: number, delay = 0, operation = "UpdateUserAPI", details?: JsonObject): string {
      const logId = `log-${String(++serial).padStart(5, "0")}`;
      const record = create(LogRecordSchema, {
        emitTime: timestampFromMs(emitMs),
        operation,
        status: "OK",
        logId,
        principal: { type: "user", id: "u-admin", name: "admin@acme.example" },
        rawDetails: details ?? { userId: `u${serial}` },
      });
      entries.push({ record, emitMs, visibleAt: emitMs + delay });
      return `${logId}/change:user:u${serial}`;
    },
  };
}

/** harness drives the feed through the builder, as ListEvents does, with a clock the test moves. */
function harness(options: { order?: "newest" | "oldest"; ignoreWindow?: boolean; start?: number } = {}) {
  let now = options.start ?? Date.parse("2025-06-02T12:00:00Z");
  const clock = () => now;
  const log = fakeAuditLog(clock, options);
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const ctx = { signal: new AbortController().signal, log: logger };
  const newFeed = () => createEventFeeds([createAuditLogFeed({ client: log.client, users: createUserDirectory(), now: clock })], SEALER);
  let feeds = newFeed();
  const delivered: string[] = [];
  let maxCallsPerPage = 0;

  /** page makes one ListEvents call. */
  async function page(cursor: string, init: { startAt?: number; pageSize?: number } = {}) {
    const before = log.client.calls;
    const res = await feeds.listEvents(
      create(ListEventsRequestSchema, { eventFeedId: AUDIT_LOG_FEED_ID, cursor, pageSize: init.pageSize ?? 0, startAt: init.startAt === undefined ? undefined : timestampFromMs(init.startAt) }),
      ctx,
    );
    maxCallsPerPage = Math.max(maxCallsPerPage, log.client.calls - before);
    expect((res.cursor as string).length).toBeLessThanOrEqual(4096);
    delivered.push(...res.events!.map((e) => (e as { id: string }).id));
    return { cursor: res.cursor as string, hasMore: res.hasMore!, events: res.events! };
  }

  /** poll calls ListEvents until has_more is false, as the Go SDK's CLI does; returns the cursor. */
  async function poll(cursor = "", init: { startAt?: number; pageSize?: number } = {}): Promise<string> {
    for (;;) {
      const res = await page(cursor, init);
      cursor = res.cursor;
      if (!res.hasMore) return cursor;
    }
  }

  return {
    log,
    lines,
    delivered,
    page,
    poll,
    now: () => now,
    advance: (ms: number) => (now += ms),
    restart: () => (feeds = newFeed()),
    maxCallsPerPage: () => maxCallsPerPage,
  };
}

/** setPrincipal changes who made the record that maps to event `eventId` (the fake logs an admin). */
function setPrincipal(h: ReturnType<typeof harness>, eventId: string, principal: { type: string; id: string; name: string; apiKeyId?: string }) {
  const record = h.log.records.find((r) => eventId.startsWith(`${r.logId}/`))!;
  record.principal = create(PrincipalSchema, principal);
}

describe("audit log feed", () => {
  for (const order of ["newest", "oldest"] as const) {
    it(`delivers every record once across pages, one upstream request per call (${order} first)`, async () => {
      const h = harness({ order });
      const expected = Array.from({ length: 7 }, (_, i) => h.log.add(h.now() - 2 * HOUR + i * MINUTE));
      const cursor = await h.poll("", { pageSize: 2 });
      expect(h.delivered.sort()).toEqual(expected.sort());
      expect(h.log.client.calls).toBe(4);
      expect(h.maxCallsPerPage()).toBe(1);
      h.advance(HOUR);
      await h.poll(cursor, { pageSize: 2 });
      expect(h.delivered).toHaveLength(7);
    });
  }

  it("starts at start_at, 24 hours ago by default, and lets the cursor win over start_at", async () => {
    const h = harness();
    const old = h.log.add(h.now() - 30 * HOUR);
    const recent = h.log.add(h.now() - 20 * HOUR);
    const newer = h.log.add(h.now() - 2 * HOUR);
    await h.poll();
    expect(h.delivered).toEqual([newer, recent]);
    const h2 = harness();
    h2.log.add(h2.now() - 30 * HOUR);
    h2.log.add(h2.now() - 20 * HOUR);
    const last = h2.log.add(h2.now() - 2 * HOUR);
    const cursor = await h2.poll("", { startAt: h2.now() - 3 * HOUR });
    expect(h2.delivered).toEqual([last]);
    const later = h2.log.add(h2.now() - 2 * MINUTE);
    h2.advance(HOUR);
    // The caller re-sends its start_at with the cursor, as the Go SDK's CLI does: the cursor wins.
    await h2.poll(cursor, { startAt: h2.now() - 48 * HOUR });
    expect(h2.delivered).toEqual([last, later]);
    expect(old).not.toBe(recent);
  });

  it("waits for records to settle before delivering them, and answers a page with no events with a cursor", async () => {
    const h = harness();
    const fresh = h.log.add(h.now() - MINUTE);
    const first = await h.page("", { startAt: h.now() - HOUR });
    expect(first.events).toEqual([]);
    expect(first.hasMore).toBe(false);
    expect(first.cursor).not.toBe("");
    h.advance(SETTLE);
    await h.poll(first.cursor);
    expect(h.delivered).toEqual([fresh]);
  });

  it("returns a cursor and has_more for a page whose records map to no events", async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) h.log.add(h.now() - HOUR + i, 0, "UserLogin", {});
    const wanted = h.log.add(h.now() - 2 * HOUR);
    const first = await h.page("", { pageSize: 3 });
    expect([first.events.length, first.hasMore]).toEqual([0, true]);
    await h.poll(first.cursor, { pageSize: 3 });
    expect(h.delivered).toEqual([wanted]);
  });

  it("delivers a record that arrives later than the settle delay but within the overlap, once", async () => {
    const h = harness();
    let cursor = await h.poll("", { startAt: h.now() - HOUR });
    const emit = h.now() - SETTLE - MINUTE;
    // Visible only 10 minutes after it was emitted: after the window that covers its time was read.
    const late = h.log.add(emit, 10 * MINUTE);
    const onTime = h.log.add(emit - MINUTE);
    for (let i = 0; i < 30; i++) {
      h.advance(MINUTE);
      cursor = await h.poll(cursor);
    }
    expect(h.delivered.sort()).toEqual([late, onTime].sort());
  });

  it("misses a record that arrives later than settle + overlap (the documented bound)", async () => {
    const h = harness();
    let cursor = await h.poll("", { startAt: h.now() - HOUR });
    h.log.add(h.now() - SETTLE - MINUTE, OVERLAP + SETTLE + 10 * MINUTE);
    for (let i = 0; i < 40; i++) {
      h.advance(MINUTE);
      cursor = await h.poll(cursor);
    }
    expect(h.delivered).toEqual([]);
  });

  it("resumes from a cursor in a new process exactly where it was", async () => {
    const h = harness();
    const expected = Array.from({ length: 9 }, (_, i) => h.log.add(h.now() - 3 * HOUR + i * 10 * MINUTE));
    const first = await h.page("", { pageSize: 4 });
    h.restart();
    const second = await h.page(first.cursor, { pageSize: 4 });
    h.restart();
    await h.poll(second.cursor, { pageSize: 4 });
    expect(h.delivered.sort()).toEqual(expected.sort());
  });

  it("stays exactly once when the upstream ignores the window", async () => {
    const h = harness({ ignoreWindow: true });
    const before = h.log.add(h.now() - 30 * HOUR);
    const expected = [h.log.add(h.now() - 2 * HOUR), h.log.add(h.now() - 4 * MINUTE)];
    let cursor = await h.poll("", { pageSize: 1 });
    for (let i = 0; i < 20; i++) {
      h.advance(MINUTE);
      cursor = await h.poll(cursor, { pageSize: 1 });
    }
    expect(h.delivered.sort()).toEqual(expected.sort());
    expect(h.delivered).not.toContain(before);
  });

  it("bounds the cursor when a burst fills the overlap: the overlap shrinks, nothing is delivered twice", async () => {
    const h = harness();
    const expected: string[] = [];
    // 600 records within the 15 minutes before the window's end, then more later.
    for (let i = 0; i < 600; i++) expected.push(h.log.add(h.now() - SETTLE - 14 * MINUTE + i * 1000));
    let cursor = await h.poll("", { pageSize: 1000 });
    expect(h.lines.some((l) => String(l.msg).includes("the overlap is shortened"))).toBe(true);
    for (let i = 0; i < 5; i++) expected.push(h.log.add(h.now() - SETTLE + i * 1000));
    for (let i = 0; i < 30; i++) {
      h.advance(MINUTE);
      cursor = await h.poll(cursor, { pageSize: 50 });
    }
    expect(h.delivered.length).toBe(expected.length);
    expect(h.delivered.sort()).toEqual(expected.sort());
  });

  it("reads at most the 30 days Temporal Cloud keeps, and logs the gap", async () => {
    const h = harness();
    h.log.add(h.now() - 31 * 24 * HOUR);
    const kept = h.log.add(h.now() - 29 * 24 * HOUR);
    await h.poll("", { startAt: h.now() - 40 * 24 * HOUR, pageSize: 1000 });
    expect(h.delivered).toEqual([kept]);
    const warning = h.lines.find((l) => String(l.msg).startsWith("the audit log keeps 30 days"));
    expect(warning).toMatchObject({ level: 40, from: new Date(h.now() - 40 * 24 * HOUR).toISOString(), gapMs: 10 * 24 * HOUR + MINUTE });
  });

  it("holds a sealed cursor to the windows the feed itself opens, whenever it is used", async () => {
    const h = harness();
    const DAY = 24 * HOUR;
    const at = h.now();
    const refusals: [object, string][] = [
      // A window that ends inside the settle delay: records may still arrive there.
      [{ lo: at - HOUR, hi: at - MINUTE, nx: at - 5 * MINUTE }, "cursor asks for a window that ends less than the settle delay (300s) before now"],
      [{ lo: at - HOUR, hi: at + DAY, nx: at + DAY - OVERLAP }, "that ends less than the settle delay"],
      // Longer than the 30 days kept (it still fits the cursor's 4-byte offsets).
      [{ lo: at - 45 * DAY, hi: at - SETTLE, nx: at - SETTLE - OVERLAP }, "longer than the audit log's 30 days"],
      // An overlap longer than the feed's: it would read again what it delivered.
      [{ lo: at - 10 * DAY, hi: at - SETTLE, nx: at - 9 * DAY }, `with an overlap longer than ${OVERLAP / 1000}s`],
    ];
    for (const [cursor, message] of refusals) {
      const err = await h.page(sealCursor(SEALER, AUDIT_LOG_FEED_ID, cursor as never)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorError);
      expect([(err as ConnectorError).code, (err as ConnectorError).message]).toEqual([Code.InvalidArgument, expect.stringContaining(message)]);
    }
    expect(h.log.client.calls).toBe(0);
    // A window left open since before the retention is given up: the feed reads from the oldest records kept, not the window's page token.
    h.log.add(at - 2 * HOUR);
    const stale = { lo: at - 31 * DAY, hi: at - 20 * DAY, nx: at - 20 * DAY - OVERLAP, tk: "stale-upstream-token" };
    const res = await h.page(sealCursor(SEALER, AUDIT_LOG_FEED_ID, stale as never), { pageSize: 1000 });
    expect(res.events).toHaveLength(1);
    expect(h.lines.some((l) => String(l.msg).startsWith("the audit log keeps 30 days"))).toBe(true);
  });

  it("names a principal given only by email through the users it has seen, and learns them from records", async () => {
    const h = harness({ order: "oldest" });
    const keyUser = { type: "user", id: "", name: "Carol@acme.example", apiKeyId: "k-carol" };
    // Before anything names carol with her id, a request made with her key has no actor to name.
    h.log.add(h.now() - 3 * HOUR, 0, "UserLogin", {});
    const anonymous = h.log.add(h.now() - 2 * HOUR, 0, "UpdateNamespaceAPI", { namespace: "ns.acme7" });
    setPrincipal(h, anonymous, keyUser);
    // A record that names carol by id and email teaches the feed who she is...
    const teacher = h.log.add(h.now() - 90 * MINUTE, 0, "UpdateUserAPI", { userId: "u-x" });
    setPrincipal(h, teacher, { type: "user", id: "u-carol", name: "carol@acme.example" });
    // ...so a later request made with her key, naming her only by email, is hers.
    const later = h.log.add(h.now() - HOUR, 0, "UpdateNamespaceAPI", { namespace: "ns.acme7" });
    setPrincipal(h, later, keyUser);
    await h.poll("", { pageSize: 1 });
    const logOf = (id: string) => id.slice(0, id.indexOf("/"));
    expect(h.delivered.filter((id) => logOf(id) === logOf(anonymous))).toEqual([`${logOf(anonymous)}/change:namespace:ns.acme7`]);
    expect(h.delivered.filter((id) => logOf(id) === logOf(later))).toEqual([`${logOf(later)}/change:namespace:ns.acme7`, `${logOf(later)}/usage`]);
  });

  it("fails, rather than loop its callers forever, when the upstream hands back the page token it was given", async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) h.log.add(h.now() - HOUR + i);
    const first = await h.page("", { pageSize: 1 });
    const real = h.log.client.getAuditLogs;
    h.log.client.getAuditLogs = async (page, window) => ({ ...(await real(page, window)), nextPageToken: page.pageToken ?? "" });
    const err = await h.page(first.cursor, { pageSize: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe(Code.Internal);
  });

  it("refuses a sealed cursor whose content is not a feed position", async () => {
    const h = harness();
    for (const bad of [{ lo: "x" }, { lo: 1, hi: 5, nx: 9 }, { lo: 1, hi: 2 ** 32 + 1, nx: 1 }, { lo: 1, tk: "t" }, { lo: 1, s: "abc" }, [], "cursor"]) {
      try {
        await h.page(sealCursor(SEALER, AUDIT_LOG_FEED_ID, bad as never));
        throw new Error("expected a refusal");
      } catch (err) {
        expect(err).toBeInstanceOf(ConnectorError);
        expect((err as ConnectorError).code).toBe(Code.InvalidArgument);
      }
    }
    expect(h.log.client.calls).toBe(0);
  });

  it("is exactly once under random arrivals, polls, page sizes, orders and restarts", async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const prng = createPrng(seed);
      const h = harness({ order: prng.chance(0.5) ? "newest" : "oldest" });
      const start = h.now();
      const expected: string[] = [];
      let cursor = "";
      for (let step = 0; step < 60; step++) {
        // Records emitted in the last few minutes, a few bursts, arriving up to settle + overlap late.
        for (let i = prng.int(prng.chance(0.1) ? 80 : 4); i > 0; i--) {
          const delay = prng.chance(0.7) ? prng.int(SETTLE) : prng.int(SETTLE + OVERLAP - MINUTE);
          expected.push(h.log.add(h.now() - prng.int(3 * MINUTE), delay));
        }
        h.advance(prng.between(1, 20) * MINUTE);
        if (prng.chance(0.2)) h.restart();
        if (prng.chance(0.5)) cursor = await h.poll(cursor, { startAt: start - HOUR, pageSize: prng.pick([1, 7, 100, 1000]) });
        else cursor = (await h.page(cursor, { startAt: start - HOUR, pageSize: prng.pick([1, 7, 100]) })).cursor;
      }
      h.advance(SETTLE + OVERLAP + HOUR);
      cursor = await h.poll(cursor, { pageSize: 1000 });
      const sorted = [...h.delivered].sort();
      expect(new Set(sorted).size, `seed ${seed}: duplicates`).toBe(sorted.length);
      expect(sorted, `seed ${seed}`).toEqual([...expected].sort());
      expect(h.maxCallsPerPage()).toBe(1);
    }
  });
});
