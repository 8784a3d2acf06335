import { createHash } from "node:crypto";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import type { Event } from "../connector/c1.js";
import { Code, ConnectorError, invalidArgument } from "../connector/errors.js";
import type { EventFeed } from "../connector/event-feed.js";
import type { Cursor } from "../connector/page-token.js";
import type { LogRecord } from "../gen/temporal/api/cloud/auditlog/v1/message_pb.js";
import type { TemporalClient } from "../temporal/client.js";
import { AUDIT_LOG_EVENT_TYPES, eventsOfRecord, recordKey } from "./audit-log-events.js";
import type { UserDirectory } from "../resources/user-directory.js";

/** AUDIT_LOG_FEED_ID is the id of the feed (event_feed_id). */
export const AUDIT_LOG_FEED_ID = "temporal_audit_log";
/** DEFAULT_SETTLE_MS: a window ends this long before now, so records that arrive late are in it by then. */
export const DEFAULT_SETTLE_MS = 5 * 60_000;
/** DEFAULT_OVERLAP_MS: each window starts this long before the previous one ended, to catch records later still. */
export const DEFAULT_OVERLAP_MS = 15 * 60_000;
/** DEFAULT_LOOKBACK_MS is where a feed starts without start_at: 24 hours ago, as the Go SDK's CLI asks. */
export const DEFAULT_LOOKBACK_MS = 24 * 60 * 60_000;
/** RETENTION_MS is how far back Temporal Cloud keeps its audit log. */
export const RETENTION_MS = 30 * 24 * 60 * 60_000;
// A start this much inside the retention, so that the oldest records are still there when asked for.
const RETENTION_MARGIN_MS = 60_000;
// The longest a window is expected to be walked, page after page: a cursor of a window opened
// longer ago than this, past the retention, was left rather than walked.
const MAX_WALK_MS = 60 * 60_000;

/** AuditLogFeedOptions configures createAuditLogFeed. */
export interface AuditLogFeedOptions {
  client: Pick<TemporalClient, "getAuditLogs">;
  /** Resolves principals named only by email; the feed also adds what records teach it. */
  users: UserDirectory;
  settleMs?: number;
  overlapMs?: number;
  /** Clock, in ms since the epoch (default Date.now). */
  now?: () => number;
  /** Projects are synced (API v0.18.0 and later): project access changes map to events. */
  projects?: boolean;
}

/** Seen is a record delivered by the feed: its emit time and a 48-bit digest of its key. */
interface Seen {
  t: number;
  h: string;
}

/**
 * FeedState is what the cursor holds. The feed reads the log in fixed windows [lo, hi), with hi
 * set when the window opens (now − settle); the window is walked page by page with the upstream
 * page token, then the next one starts at `next` (hi − overlap) and skips the records delivered
 * in that overlap.
 */
interface FeedState {
  lo: number;
  open?: { hi: number; next: number; token: string };
  /** Delivered before this window, at or after lo: skipped when read again. */
  skip: Seen[];
  /** Delivered in this window, at or after `next`: skipped by the next window. */
  recent: Seen[];
}

const MAX_TIME_MS = 253_402_300_799_999;
const ENTRY_BYTES = 10; // 4 bytes of time after lo, 6 of digest
// Room a cursor keeps for its other fields and a typical upstream page token when it decides how
// many records a new window may remember (half of what fits: the other half is for the window's own).
const RESERVED_BYTES = 300;

/**
 * createAuditLogFeed is the `temporal_audit_log` event feed: Temporal Cloud's audit log mapped to
 * protocol events (audit-log-events.ts). Each ListEvents call reads one upstream page. Every
 * event is delivered once over any sequence of calls, on any replica, because the cursor carries
 * everything: the window, the upstream page token, and the records already delivered that the
 * next window will read again. The records a cursor remembers are bounded (about 100 going into
 * a window): when more were delivered in an overlap, the overlap shrinks to the newest ones, so
 * only a record arriving later than that could then be missed.
 */
export function createAuditLogFeed(options: AuditLogFeedOptions): EventFeed {
  const { client, users } = options;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  const now = options.now ?? Date.now;

  return {
    id: AUDIT_LOG_FEED_ID,
    eventTypes: AUDIT_LOG_EVENT_TYPES,
    async list(ctx, request) {
      const at = now();
      // The cursor wins over start_at, which callers send with every call.
      let state: FeedState = request.cursor === undefined ? { lo: request.startAt?.getTime() ?? at - DEFAULT_LOOKBACK_MS, skip: [], recent: [] } : readCursor(request.cursor);
      if (state.open) checkWindow(state.open, state.lo, { at, settleMs, overlapMs });
      // A window starts within the retention. One being walked started there when it opened and
      // may fall behind while it is walked; a cursor left for longer than a walk takes is given up,
      // and the feed goes on from the oldest records kept.
      const oldest = at - RETENTION_MS + RETENTION_MARGIN_MS;
      if (state.lo < (state.open ? oldest - MAX_WALK_MS : oldest)) {
        ctx.log.warn({ from: new Date(state.lo).toISOString(), readFrom: new Date(oldest).toISOString(), gapMs: oldest - state.lo }, "the audit log keeps 30 days: events before readFrom cannot be read");
        state = { lo: oldest, skip: state.skip.filter((s) => s.t >= oldest), recent: [] };
      }
      if (!state.open) {
        const hi = at - settleMs;
        // Nothing has settled since lo yet (a start_at less than the settle delay ago, or in the future).
        if (hi <= state.lo) return { events: [], cursor: writeCursor(state, request.maxCursorBytes, ctx.log), hasMore: false };
        state.open = { hi, next: Math.max(state.lo, hi - overlapMs), token: "" };
      }
      const open = state.open;
      const page = await client.getAuditLogs(
        { pageSize: request.pageSize, pageToken: open.token || undefined },
        { startTimeInclusive: new Date(state.lo), endTimeExclusive: new Date(open.hi) },
        { signal: ctx.signal },
      );
      learnUsers(page.items, users);
      const seen = new Set([...state.skip, ...state.recent].map((s) => s.h));
      const events: Event[] = [];
      for (const record of page.items) {
        const t = record.emitTime ? floorMs(record.emitTime) : open.hi - 1;
        // Outside the window: a window that covers it delivers it.
        if (t < state.lo || t >= open.hi) continue;
        const h = digest(recordKey(record));
        if (seen.has(h)) continue;
        const mapped = eventsOfRecord(record, users.idOf, { projects: options.projects });
        if (mapped.length === 0) continue;
        seen.add(h);
        events.push(...mapped);
        if (t >= open.next) state.recent.push({ t, h });
      }
      let hasMore = false;
      if (page.nextPageToken !== "" && page.nextPageToken === open.token) {
        // Callers would go round in circles; the builder refuses the same of a list (connector.ts).
        throw new ConnectorError(Code.Internal, "the audit log returned the page token it was given: its pages do not end");
      }
      if (page.nextPageToken !== "") {
        open.token = page.nextPageToken;
        hasMore = true;
      } else {
        state = nextWindow(state, request.maxCursorBytes, ctx.log);
      }
      return { events, cursor: writeCursor(state, request.maxCursorBytes, ctx.log), hasMore };
    },
  };
}

/**
 * CLOCK_SKEW_MS is how far ahead of this replica's clock a window another replica opened may end:
 * replicas' clocks differ by a little, never by minutes.
 */
const CLOCK_SKEW_MS = 60_000;

/**
 * checkWindow holds an open window of a cursor to what the feed itself opens, whenever the cursor
 * is used: it ends at least the settle delay before now, spans at most the retention, and its
 * overlap is at most the configured one. A cursor the connector sealed never breaks these (unless
 * replicas' clocks or settings differ); the check keeps the feed's bounds even so.
 */
function checkWindow(open: NonNullable<FeedState["open"]>, lo: number, bounds: { at: number; settleMs: number; overlapMs: number }): void {
  const refuse = (why: string) => invalidArgument(`cursor asks for a window ${why}; start again without a cursor (from start_at)`);
  if (open.hi > bounds.at - bounds.settleMs + CLOCK_SKEW_MS) throw refuse(`that ends less than the settle delay (${bounds.settleMs / 1000}s) before now`);
  if (open.hi - lo > RETENTION_MS) throw refuse("longer than the audit log's 30 days");
  if (open.next < open.hi - bounds.overlapMs) throw refuse(`with an overlap longer than ${bounds.overlapMs / 1000}s`);
}

/** floorMs is a timestamp in whole milliseconds, rounded down (so that lo <= t < hi agrees with the API's window). */
function floorMs(ts: Timestamp): number {
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
}

function digest(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 2 * (ENTRY_BYTES - 4));
}

/** learnUsers remembers the users records name with both their id and their email. */
function learnUsers(records: readonly LogRecord[], users: UserDirectory): void {
  for (const record of records) {
    const p = record.principal;
    if (p && p.type.toLowerCase() === "user" && p.id !== "" && p.name.includes("@")) users.remember(p.name, p.id);
  }
}

/**
 * nextWindow closes a walked window: the next one starts at its `next`, and skips what was
 * delivered from there on. It remembers at most half of what a cursor holds; beyond that it
 * starts after the oldest ones it forgets, so it never delivers them twice.
 */
function nextWindow(state: FeedState, maxCursorBytes: number, log: Logger): FeedState {
  const next = state.open!.next;
  let keep = [...state.skip, ...state.recent].filter((s) => s.t >= next).sort((a, b) => a.t - b.t);
  let lo = next;
  const most = Math.floor(((maxCursorBytes - RESERVED_BYTES) * 3) / (4 * ENTRY_BYTES) / 2);
  if (keep.length > most) {
    lo = keep[keep.length - most - 1]!.t + 1;
    keep = keep.filter((s) => s.t >= lo);
    log.info({ remembered: keep.length, overlapMs: state.open!.hi - lo }, "audit log feed: more records in the overlap than a cursor holds; the overlap is shortened");
  }
  return { lo, skip: keep, recent: [] };
}

/**
 * writeCursor encodes the state within maxCursorBytes of JSON. When the records of an open
 * window do not fit, the next window's overlap shrinks past the oldest of them.
 */
function writeCursor(state: FeedState, maxCursorBytes: number, log: Logger): Cursor {
  for (;;) {
    const cursor = encode(state);
    if (Buffer.byteLength(JSON.stringify(cursor)) <= maxCursorBytes) return cursor;
    const open = state.open;
    if (open && state.recent.length > 0) {
      open.next = Math.min(...state.recent.map((s) => s.t)) + 1;
      state.recent = state.recent.filter((s) => s.t >= open.next);
      log.info({ remembered: state.recent.length }, "audit log feed: more records in the overlap than a cursor holds; the overlap is shortened");
    } else if (!open && state.skip.length > 0) {
      state.lo = Math.min(...state.skip.map((s) => s.t)) + 1;
      state.skip = state.skip.filter((s) => s.t >= state.lo);
    } else {
      // Only an upstream page token of kilobytes gets here; Temporal Cloud's are far shorter.
      throw new ConnectorError(Code.Internal, `the audit log's page token (${open?.token.length ?? 0} bytes) leaves no room in a ${maxCursorBytes}-byte cursor`);
    }
  }
}

function encode(state: FeedState): Cursor {
  const cursor: { [key: string]: Cursor } = { lo: state.lo };
  if (state.open) {
    cursor.hi = state.open.hi;
    cursor.nx = state.open.next;
    if (state.open.token !== "") cursor.tk = state.open.token;
    if (state.recent.length > 0) cursor.r = packSeen(state.recent, state.lo);
  }
  if (state.skip.length > 0) cursor.s = packSeen(state.skip, state.lo);
  return cursor;
}

function packSeen(seen: readonly Seen[], lo: number): string {
  const bytes = Buffer.alloc(seen.length * ENTRY_BYTES);
  seen.forEach((s, i) => {
    bytes.writeUInt32BE(s.t - lo, i * ENTRY_BYTES);
    bytes.write(s.h, i * ENTRY_BYTES + 4, "hex");
  });
  return bytes.toString("base64url");
}

/**
 * readCursor decodes a cursor encode made (the builder has checked its seal), its shape checked
 * again all the same; checkWindow checks its times against the clock.
 */
function readCursor(cursor: Cursor): FeedState {
  const malformed = () => invalidArgument("cursor is malformed; start again without a cursor (from start_at)");
  if (typeof cursor !== "object" || cursor === null || Array.isArray(cursor)) throw malformed();
  const { lo, hi, nx, tk, s, r } = cursor as Record<string, Cursor | undefined>;
  // Times from 1970 to the end of year 9999, as a request's start_at may be.
  const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_TIME_MS;
  if (!isTime(lo)) throw malformed();
  const unpack = (value: Cursor | undefined): Seen[] => {
    if (value === undefined) return [];
    if (typeof value !== "string") throw malformed();
    const bytes = Buffer.from(value, "base64url");
    if (bytes.length % ENTRY_BYTES !== 0 || bytes.toString("base64url") !== value) throw malformed();
    const seen: Seen[] = [];
    for (let i = 0; i < bytes.length; i += ENTRY_BYTES) seen.push({ t: lo + bytes.readUInt32BE(i), h: bytes.toString("hex", i + 4, i + ENTRY_BYTES) });
    return seen;
  };
  const state: FeedState = { lo, skip: unpack(s), recent: [] };
  if (hi === undefined) {
    if (nx !== undefined || tk !== undefined || r !== undefined) throw malformed();
    return state;
  }
  // A window the feed opens spans at most the 30 days kept: its times fit the 4 bytes of an entry.
  if (!isTime(hi) || !isTime(nx) || nx < lo || nx > hi || hi - lo > 0xffff_ffff || (tk !== undefined && (typeof tk !== "string" || tk === ""))) throw malformed();
  state.open = { hi, next: nx, token: tk ?? "" };
  state.recent = unpack(r);
  if (state.recent.some((x) => x.t < nx || x.t >= hi)) throw malformed();
  return state;
}
