import type { PageScope } from "./page-token.js";
import type { CallContext } from "./resource-syncer.js";
import { createSyncCache } from "./sync-cache.js";

/** ReadAheadOptions configures createReadAhead. */
export interface ReadAheadOptions {
  /** Syncs with pages built ahead at once (least recently used dropped first). */
  maxSyncs: number;
  /** A sync not heard from for this long has its pages dropped. */
  idleMs: number;
  /** Pages built ahead per sync: one per list it walks at once. */
  perSync: number;
}

/**
 * ReadAhead builds the next page of a sync's list while the syncer stores the current one. A
 * syncer walks a list one page after another, and between two pages it decodes and stores the
 * last one: with the page already built, that time and the connector's overlap instead of adding
 * up (0.2-0.3 s of a 1.5 s sync of 10,000 users).
 */
export interface ReadAhead<T> {
  /**
   * start builds the page at `token` once the call that returned that token has ended (its
   * signal fires): starting before its response is written would hold the response back.
   */
  start(ctx: CallContext, scope: PageScope, token: string, build: (ctx: CallContext) => Promise<T>): void;
  /** take returns the page built ahead for this request, or undefined when there is none. */
  take(ctx: CallContext, scope: PageScope, token: string): Promise<T | undefined>;
  /** forget drops (and stops building) a sync's pages. */
  forget(syncId: string): void;
}

interface Ahead<T> {
  started: boolean;
  page: Promise<T | undefined>;
  stop: AbortController;
}

/** createReadAhead keeps pages built ahead per active_sync_id; calls outside a sync get none. */
export function createReadAhead<T>(options: ReadAheadOptions): ReadAhead<T> {
  const syncs = createSyncCache<Map<string, Ahead<T>>>({
    maxEntries: options.maxSyncs,
    idleMs: options.idleMs,
    create: () => new Map(),
    dispose: (pages) => {
      for (const ahead of pages.values()) ahead.stop.abort();
      pages.clear();
    },
  });
  const keyOf = (scope: PageScope, token: string) => `${scope.op}\u0000${scope.resourceType}\u0000${scope.resource ?? ""}\u0000${token}`;

  return {
    start(ctx, scope, token, build) {
      if (!ctx.syncId) return;
      const pages = syncs.get(ctx.syncId);
      const key = keyOf(scope, token);
      if (pages.has(key) || pages.size >= options.perSync) return;
      const stop = new AbortController();
      const ahead: Ahead<T> = { started: false, stop, page: Promise.resolve(undefined) };
      // Its own signal: the call that asked for this page is over. A failure is not kept: the
      // request that wants the page builds it again and reports its own error.
      ahead.page = ended(ctx.signal)
        .then(() => {
          if (stop.signal.aborted) return undefined;
          ahead.started = true;
          return build({ ...ctx, signal: stop.signal });
        })
        .catch(() => undefined);
      pages.set(key, ahead);
    },
    async take(ctx, scope, token) {
      if (!ctx.syncId) return undefined;
      const pages = syncs.get(ctx.syncId);
      const key = keyOf(scope, token);
      const ahead = pages.get(key);
      if (!ahead) return undefined;
      pages.delete(key);
      if (!ahead.started) {
        // Its call has not ended (a caller that never signals the end): build afresh instead.
        ahead.stop.abort();
        return undefined;
      }
      return ahead.page;
    },
    forget: (syncId) => syncs.delete(syncId),
  };
}

function ended(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
