/** SyncCacheOptions configures createSyncCache. */
export interface SyncCacheOptions<T> {
  /** Most syncs remembered at once; the least recently used is dropped first. */
  maxEntries: number;
  /** A sync not heard from for this long is forgotten. */
  idleMs: number;
  create(syncId: string): T;
  /** Called when an entry is dropped (e.g. to stop its read-ahead). */
  dispose?(value: T): void;
}

/** SyncCache keeps one value per active sync id. */
export interface SyncCache<T> {
  get(syncId: string): T;
  delete(syncId: string): void;
  clear(): void;
  readonly size: number;
}

/**
 * createSyncCache keeps per-sync state (the account snapshot a sync reads) keyed by
 * active_sync_id, so that one sync never sees another's data, bounded in count (LRU) and in time
 * (idle expiry, swept by an unref'd timer so memory is returned even when nobody calls again).
 */
export function createSyncCache<T>(options: SyncCacheOptions<T>): SyncCache<T> {
  const entries = new Map<string, { value: T; lastUsed: number }>();
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    options.dispose?.(entry.value);
  };
  const sweep = () => {
    const now = Date.now();
    for (const [key, entry] of entries) if (now - entry.lastUsed > options.idleMs) drop(key);
  };
  const timer = setInterval(sweep, Math.max(1000, options.idleMs / 2));
  timer.unref();
  return {
    get(syncId) {
      sweep();
      let entry = entries.get(syncId);
      if (entry) {
        entries.delete(syncId); // re-insert: Map order is our recency order
      } else {
        entry = { value: options.create(syncId), lastUsed: 0 };
      }
      entry.lastUsed = Date.now();
      entries.set(syncId, entry);
      while (entries.size > options.maxEntries) drop(entries.keys().next().value as string);
      return entry.value;
    },
    delete: drop,
    clear() {
      for (const key of [...entries.keys()]) drop(key);
    },
    get size() {
      return entries.size;
    },
  };
}
