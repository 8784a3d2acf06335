import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  EventType,
  type Event,
  type ListEventFeedsResponseSchema,
  type ListEventsRequest,
  type ListEventsResponseSchema,
} from "./c1.js";
import { Code, ConnectorError, invalidArgument } from "./errors.js";
import type { Cursor } from "./page-token.js";
import type { CallContext } from "./resource-syncer.js";
import { SEAL_CHARS, type TokenSealer } from "./token-seal.js";

/**
 * EventFeed is one stream of upstream activity served by EventService (docs/event-feed.md says
 * what callers expect). The builder validates requests, picks the feed by event_feed_id and
 * seals its cursor; the feed only says what happened since its cursor.
 */
export interface EventFeed {
  /** id is what event_feed_id selects (1 to 1,024 bytes). */
  readonly id: string;
  /** eventTypes are the kinds of event the feed emits (ListEventFeeds). */
  readonly eventTypes: readonly EventType[];
  /**
   * list serves one page of events. It must make at most one upstream page request (callers
   * loop on has_more; a call never holds them for a walk), and return a cursor that resumes
   * after what it returned, even when it returned nothing.
   */
  list(ctx: CallContext, request: EventPageRequest): Promise<EventPage>;
}

/** EventPageRequest is one ListEvents call, validated. */
export interface EventPageRequest {
  /** The caller's start_at. Callers send it with every call: the cursor, when there is one, wins. */
  startAt: Date | undefined;
  /** The feed's own cursor from the previous page, checked to be one this connector issued for this feed. */
  cursor: Cursor | undefined;
  /** Events wanted: page_size, or DEFAULT_EVENT_PAGE_SIZE when unset; at most MAX_EVENT_PAGE_SIZE. */
  pageSize: number;
  /** The most bytes the returned cursor may take as JSON, so that the sealed cursor fits the protocol's 4,096. */
  maxCursorBytes: number;
}

/** EventPage is what a feed answers. */
export interface EventPage {
  events: Event[];
  cursor: Cursor;
  /** More events can be had right now; false once caught up (poll again later with the cursor). */
  hasMore: boolean;
}

/** LEGACY_EVENT_FEED_ID is the feed an empty event_feed_id means in the Go SDK. */
export const LEGACY_EVENT_FEED_ID = "baton_feed_event";
/** DEFAULT_EVENT_PAGE_SIZE is the page size when the caller sets none (the Go SDK's CLI asks for 100). */
export const DEFAULT_EVENT_PAGE_SIZE = 100;
/** MAX_EVENT_PAGE_SIZE is the protocol's limit on page_size. */
export const MAX_EVENT_PAGE_SIZE = 1000;
/** MAX_EVENT_CURSOR_BYTES is the protocol's limit on a cursor. */
export const MAX_EVENT_CURSOR_BYTES = 4096;

// Version 2: sealed with the connector's key (token-seal.ts); version 1 had a public checksum.
const VERSION = 2;
const DOMAIN = "event-cursor";

/**
 * EventFeeds answers EventService for a set of feeds: ListEventFeeds, and ListEvents routed by
 * event_feed_id. With no feeds, every ListEvents is NOT_FOUND, as in the Go SDK.
 */
export interface EventFeeds {
  listEventFeeds(): MessageInitShape<typeof ListEventFeedsResponseSchema>;
  listEvents(req: ListEventsRequest, ctx: CallContext): Promise<MessageInitShape<typeof ListEventsResponseSchema>>;
}

/**
 * createEventFeeds checks the feeds' metadata (a bad one is a programming error) and routes to
 * them; the sealer seals and opens their cursors.
 */
export function createEventFeeds(feeds: readonly EventFeed[], sealer: TokenSealer): EventFeeds {
  const byId = new Map<string, EventFeed>();
  for (const feed of feeds) {
    const bytes = Buffer.byteLength(feed.id);
    if (bytes < 1 || bytes > 1024) throw new RangeError(`event feed id "${feed.id}" must be 1 to 1024 bytes`);
    if (byId.has(feed.id)) throw new RangeError(`two event feeds are called "${feed.id}"`);
    if (new Set(feed.eventTypes).size !== feed.eventTypes.length || feed.eventTypes.some((t) => EventType[t] === undefined)) {
      throw new RangeError(`event feed "${feed.id}" must list distinct, defined event types`);
    }
    if (cursorBudget(feed.id) < 256) throw new RangeError(`event feed id "${feed.id}" leaves no room for a cursor`);
    byId.set(feed.id, feed);
  }
  const list = feeds.map((f) => ({ id: f.id, supportedEventTypes: [...f.eventTypes] }));

  return {
    listEventFeeds: () => ({ list }),
    async listEvents(req, ctx) {
      const id = req.eventFeedId || LEGACY_EVENT_FEED_ID;
      const feed = byId.get(id);
      if (!feed) {
        const offered = feeds.length === 0 ? "this connector has no event feeds" : `this connector has ${feeds.map((f) => `"${f.id}"`).join(", ")}`;
        throw new ConnectorError(Code.NotFound, `event feed "${id}" not found: ${offered}`);
      }
      if (req.pageSize > MAX_EVENT_PAGE_SIZE) throw invalidArgument(`page_size must be at most ${MAX_EVENT_PAGE_SIZE}, got ${req.pageSize}`);
      const page = await feed.list(ctx, {
        startAt: req.startAt && dateOf(req.startAt, "start_at"),
        cursor: openCursor(sealer, feed.id, req.cursor),
        pageSize: req.pageSize || DEFAULT_EVENT_PAGE_SIZE,
        maxCursorBytes: cursorBudget(feed.id),
      });
      return { events: page.events, cursor: sealCursor(sealer, feed.id, page.cursor), hasMore: page.hasMore };
    },
  };
}

/** dateOf reads a Timestamp the way the Go SDK's AsTime would refuse: outside years 1 to 9999 is invalid. */
function dateOf(ts: Timestamp, field: string): Date {
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  if (ts.nanos < 0 || ts.nanos > 999_999_999 || !(ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS)) {
    throw invalidArgument(`${field} is not a valid timestamp (seconds ${ts.seconds}, nanos ${ts.nanos})`);
  }
  return new Date(ms);
}

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, the range of a valid Timestamp.
const MIN_TIMESTAMP_MS = -62_135_596_800_000;
const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/**
 * cursorBudget is how many bytes of JSON a feed's cursor may take: the sealed cursor is the
 * base64url of `{"v":2,"f":<feed id>,"c":<cursor>}`, a dot and the seal, within 4,096 bytes.
 */
function cursorBudget(feedId: string): number {
  const envelope = Buffer.byteLength(JSON.stringify({ v: VERSION, f: feedId, c: null })) - "null".length;
  return Math.floor(((MAX_EVENT_CURSOR_BYTES - 1 - SEAL_CHARS) * 3) / 4) - envelope;
}

/**
 * sealCursor makes the opaque cursor: self-contained, versioned, bound to the feed and sealed,
 * so that only the connector makes cursors it will open (a feed's cursor may hold an upstream
 * page token).
 */
export function sealCursor(sealer: TokenSealer, feedId: string, cursor: Cursor): string {
  const payload = Buffer.from(JSON.stringify({ v: VERSION, f: feedId, c: cursor })).toString("base64url");
  const sealed = `${payload}.${sealer.seal(DOMAIN, payload)}`;
  if (sealed.length > MAX_EVENT_CURSOR_BYTES) {
    // The feed broke its budget (maxCursorBytes): a bug, never the caller's fault.
    throw new ConnectorError(Code.Internal, `event feed "${feedId}" made a cursor of ${sealed.length} bytes, over the protocol's ${MAX_EVENT_CURSOR_BYTES}`);
  }
  return sealed;
}

/**
 * openCursor returns the feed's cursor from a cursor sealCursor made for the same feed, or
 * undefined for an empty one. Anything else is INVALID_ARGUMENT: nothing is lost, the caller
 * can start again from start_at.
 */
export function openCursor(sealer: TokenSealer, feedId: string, sealed: string): Cursor | undefined {
  if (sealed === "") return undefined;
  const restart = "; start again without a cursor (from start_at)";
  const dot = sealed.lastIndexOf(".");
  const payload = sealed.slice(0, dot);
  if (dot <= 0 || !sealer.verify(DOMAIN, payload, sealed.slice(dot + 1))) {
    throw invalidArgument(`cursor is malformed or was not issued by this connector (or was sealed with an API key it no longer holds)${restart}`);
  }
  let decoded: { v?: unknown; f?: unknown; c?: Cursor };
  try {
    decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof decoded;
  } catch {
    throw invalidArgument(`cursor is malformed${restart}`);
  }
  if (typeof decoded !== "object" || decoded === null || decoded.c === undefined) throw invalidArgument(`cursor is malformed${restart}`);
  if (decoded.v !== VERSION) throw invalidArgument(`cursor is from an incompatible connector version${restart}`);
  if (decoded.f !== feedId) throw invalidArgument(`cursor was issued for another event feed (${JSON.stringify(decoded.f)})${restart}`);
  return decoded.c;
}
