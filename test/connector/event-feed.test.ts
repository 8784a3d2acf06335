import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { EventType, ListEventsRequestSchema, type ListEventsRequest } from "../../src/connector/c1.js";
import { Code, ConnectorError } from "../../src/connector/errors.js";
import { createEventFeeds, sealCursor, type EventFeed, type EventPageRequest } from "../../src/connector/event-feed.js";
import { encodePageToken } from "../../src/connector/page-token.js";
import { createTokenSealer, SEAL_CHARS } from "../../src/connector/token-seal.js";

const sealer = createTokenSealer({ secret: () => "api-key" });

const ctx = { signal: new AbortController().signal, log: pino({ level: "silent" }) };

/** feed records what the builder hands it and answers with a cursor of the given size. */
function feed(id = "demo_feed", cursorOf: (req: EventPageRequest) => unknown = (req) => ({ n: ((req.cursor as { n?: number } | undefined)?.n ?? 0) + 1 })) {
  const calls: EventPageRequest[] = [];
  const f: EventFeed = {
    id,
    eventTypes: [EventType.RESOURCE_CHANGE, EventType.USAGE],
    async list(_ctx, request) {
      calls.push(request);
      return { events: [], cursor: cursorOf(request) as never, hasMore: false };
    },
  };
  return { feed: f, calls };
}

const request = (init: MessageInitShape<typeof ListEventsRequestSchema> = {}): ListEventsRequest => create(ListEventsRequestSchema, init);

async function failure(call: Promise<unknown>): Promise<ConnectorError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error("expected a failure");
}

describe("event feeds in the builder", () => {
  it("lists the feeds with their event types", () => {
    const { feed: f } = feed();
    expect(createEventFeeds([f], sealer).listEventFeeds()).toEqual({ list: [{ id: "demo_feed", supportedEventTypes: [EventType.RESOURCE_CHANGE, EventType.USAGE] }] });
    expect(createEventFeeds([], sealer).listEventFeeds()).toEqual({ list: [] });
  });

  it("answers NOT_FOUND for the legacy feed an empty id means, and for unknown ids", async () => {
    const feeds = createEventFeeds([feed().feed], sealer);
    const empty = await failure(feeds.listEvents(request(), ctx));
    expect([empty.code, empty.message]).toEqual([Code.NotFound, 'event feed "baton_feed_event" not found: this connector has "demo_feed"']);
    expect((await failure(feeds.listEvents(request({ eventFeedId: "other" }), ctx))).code).toBe(Code.NotFound);
    const none = await failure(createEventFeeds([], sealer).listEvents(request({ eventFeedId: "demo_feed" }), ctx));
    expect(none.message).toBe('event feed "demo_feed" not found: this connector has no event feeds');
  });

  it("passes start_at, the page size (100 by default) and the cursor budget, and seals the feed's cursor", async () => {
    const { feed: f, calls } = feed();
    const feeds = createEventFeeds([f], sealer);
    const first = await feeds.listEvents(request({ eventFeedId: "demo_feed", startAt: timestampFromMs(Date.UTC(2025, 5, 1)) }), ctx);
    expect(calls[0]).toEqual({ startAt: new Date(Date.UTC(2025, 5, 1)), cursor: undefined, pageSize: 100, maxCursorBytes: 3026 });
    expect(first.cursor).toMatch(new RegExp(`^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{${SEAL_CHARS}}$`));
    await feeds.listEvents(request({ eventFeedId: "demo_feed", cursor: first.cursor as string, pageSize: 1000 }), ctx);
    expect(calls[1]).toMatchObject({ cursor: { n: 1 }, pageSize: 1000, startAt: undefined });
  });

  it("refuses page sizes over 1,000, invalid start_at, and malformed, tampered, foreign or old cursors with INVALID_ARGUMENT", async () => {
    const { feed: f, calls } = feed();
    const feeds = createEventFeeds([f], sealer);
    const sealed = sealCursor(sealer, "demo_feed", { n: 1 });
    const [payload, sum] = sealed.split(".") as [string, string];
    const tampered = `${Buffer.from(Buffer.from(payload, "base64url").toString().replace('"n":1', '"n":2')).toString("base64url")}.${sum}`;
    const bad: [Partial<ListEventsRequest>, string][] = [
      [{ pageSize: 1001 }, "page_size must be at most 1000, got 1001"],
      [{ startAt: timestampFromMs(Date.UTC(10000, 0, 1)) }, "start_at is not a valid timestamp"],
      [{ cursor: "not a cursor" }, "cursor is malformed or was not issued by this connector"],
      [{ cursor: sealed.slice(0, -1) }, "cursor is malformed or was not issued by this connector"],
      [{ cursor: tampered }, "cursor is malformed or was not issued by this connector"],
      [{ cursor: encodePageToken(sealer, { op: "resources", resourceType: "user" }, null) }, "cursor is malformed or was not issued by this connector"],
      [{ cursor: sealCursor(sealer, "other_feed", { n: 1 }) }, 'cursor was issued for another event feed ("other_feed")'],
    ];
    for (const [init, message] of bad) {
      const err = await failure(feeds.listEvents(request({ eventFeedId: "demo_feed", ...init } as never), ctx));
      expect([err.code, err.message]).toEqual([Code.InvalidArgument, expect.stringContaining(message)]);
    }
    expect(calls).toHaveLength(0);
  });

  it("refuses a cursor of another version, and fails a feed that breaks its cursor budget", async () => {
    const payload = Buffer.from(JSON.stringify({ v: 1, f: "demo_feed", c: {} })).toString("base64url");
    // Sealed the way the connector seals, for a version it no longer reads.
    const err = await failure(createEventFeeds([feed().feed], sealer).listEvents(request({ eventFeedId: "demo_feed", cursor: `${payload}.${sealer.seal("event-cursor", payload)}` }), ctx));
    expect(err.message).toContain("cursor is from an incompatible connector version");
    // A version-1 cursor: checksummed, as anyone could make one, so never opened.
    const { createHash } = await import("node:crypto");
    const sum = createHash("sha256").update("temporalcloud-connector/event-cursor\n").update(payload).digest("base64url").slice(0, 16);
    const forged = await failure(createEventFeeds([feed().feed], sealer).listEvents(request({ eventFeedId: "demo_feed", cursor: `${payload}.${sum}` }), ctx));
    expect(forged.message).toContain("cursor is malformed or was not issued by this connector");
    const greedy = feed("demo_feed", (req) => ({ pad: "x".repeat(req.maxCursorBytes) })).feed;
    expect((await failure(createEventFeeds([greedy], sealer).listEvents(request({ eventFeedId: "demo_feed" }), ctx))).code).toBe(Code.Internal);
    const fits = feed("demo_feed", (req) => ({ pad: "x".repeat(req.maxCursorBytes - '{"pad":""}'.length) })).feed;
    const res = await createEventFeeds([fits], sealer).listEvents(request({ eventFeedId: "demo_feed" }), ctx);
    expect((res.cursor as string).length).toBeLessThanOrEqual(4096);
    expect((res.cursor as string).length).toBeGreaterThan(4090);
  });

  it("refuses feeds with bad metadata when the connector is built", () => {
    expect(() => createEventFeeds([feed("").feed], sealer)).toThrow(RangeError);
    expect(() => createEventFeeds([feed().feed, feed().feed], sealer)).toThrow('two event feeds are called "demo_feed"');
    const dup = { ...feed().feed, eventTypes: [EventType.USAGE, EventType.USAGE] };
    expect(() => createEventFeeds([dup], sealer)).toThrow("distinct, defined event types");
  });
});
