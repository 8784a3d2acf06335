import { TemporalApiError } from "./errors.js";

interface Entry {
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
  /** Waiters that came with a signal: calls. The others are read-ahead, which nobody awaits. */
  callers: number;
  settled: boolean;
}

/** SharedFetches runs each keyed fetch once and lets every caller await the same result. */
export interface SharedFetches {
  /**
   * get returns the value for key, starting fetch if nobody has. The caller's signal only cancels
   * its own wait; the fetch itself is cancelled when every waiter has gone. Failures are not
   * remembered, so the next caller tries again.
   */
  get<T>(key: string, fetch: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * dispose forgets every value and stops work nobody waits for (read-ahead). Fetches a call
   * waits for run on, so calls in flight when their sync is cleaned up still get their answer;
   * read-ahead asks without a signal, and none starts from here on.
   */
  dispose(): void;
}

/**
 * createSharedFetches de-duplicates concurrent upstream work: when the Go syncer runs several
 * workers against one sync, they share one in-flight fetch per list instead of each fetching it.
 */
export function createSharedFetches(): SharedFetches {
  const entries = new Map<string, Entry>();
  let disposed = false;
  return {
    get<T>(key: string, fetch: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
      // No read-ahead starts once disposed, nor anything for a caller that has already gone.
      if (disposed && !signal) return Promise.reject(new TemporalApiError({ kind: "cancelled", message: "read-ahead stopped: the sync was cleaned up" }));
      if (signal?.aborted) return Promise.reject(signal.reason);
      let entry = entries.get(key);
      if (!entry) {
        const controller = new AbortController();
        const created: Entry = { controller, waiters: 0, callers: 0, settled: false, promise: Promise.resolve() };
        created.promise = fetch(controller.signal).then(
          (value) => {
            created.settled = true;
            return value;
          },
          (err: unknown) => {
            if (entries.get(key) === created) entries.delete(key);
            // Fetches this one started for itself (the other lists of an index, say) stop too.
            controller.abort(err);
            throw err;
          },
        );
        created.promise.catch(() => {}); // a fetch nobody waits for any more must not crash the process
        entries.set(key, created);
        entry = created;
      }
      const current = entry;
      if (current.settled) return current.promise as Promise<T>;
      current.waiters++;
      if (signal) current.callers++;
      return new Promise<T>((resolve, reject) => {
        let left = false;
        const leave = () => {
          if (left) return false;
          left = true;
          signal?.removeEventListener("abort", onAbort);
          current.waiters--;
          if (signal) current.callers--;
          return true;
        };
        const onAbort = () => {
          if (!leave()) return;
          if (current.waiters === 0 && !current.settled) {
            current.controller.abort(signal?.reason);
            if (entries.get(key) === current) entries.delete(key);
          }
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        current.promise.then(
          (value) => {
            if (leave()) resolve(value as T);
          },
          (err: unknown) => {
            if (leave()) reject(err);
          },
        );
      });
    },
    dispose() {
      disposed = true;
      for (const entry of entries.values()) if (!entry.settled && entry.callers === 0) entry.controller.abort();
      entries.clear();
    },
  };
}
