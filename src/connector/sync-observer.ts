/** SyncedObjectKind is what a list page of a sync holds. */
export type SyncedObjectKind = "resources" | "entitlements" | "grants";

/**
 * SyncObserver is told what the connector serves to syncs (for metrics): a sync is the calls
 * that carry one active_sync_id, from the first page served to its Cleanup.
 */
export interface SyncObserver {
  /** pageServed reports a list page answered to a sync and how many objects it held. */
  pageServed(syncId: string, kind: SyncedObjectKind, count: number): void;
  /** syncEnded reports the sync's Cleanup. */
  syncEnded(syncId: string): void;
}
