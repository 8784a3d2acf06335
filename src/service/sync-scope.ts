import type { Resource } from "../connector/c1.js";
import type { Task_SyncFullTask } from "../gen/c1/connectorapi/baton/v1/baton_pb.js";

/** SyncScope is what of the account a sync task asks for, in the syncer's own option names. */
export interface SyncScope {
  /** Leave grant expansion to ConductorOne. */
  skipExpandGrants: boolean;
  /** Resources only (ConductorOne's quick first sync). */
  skipEntitlementsAndGrants: boolean;
  /** Resources and entitlements, no grants. */
  skipGrants: boolean;
  /** Only these resource types (all when empty). */
  resourceTypeIds: string[];
  /** Only these resources (a partial sync; all when empty). */
  targetedResources: Resource[];
}

/**
 * syncScopeOfTask is the one place a sync_full task's scope becomes the syncer's options
 * (docs/service-mode.md, "sync_full"). `storage_engine` has no counterpart: the connector always
 * writes a v1 (SQLite) c1z, which every reader takes (docs/c1z-format.md).
 */
export function syncScopeOfTask(task: Task_SyncFullTask): SyncScope {
  return {
    skipExpandGrants: task.skipExpandGrants,
    skipEntitlementsAndGrants: task.skipEntitlementsAndGrants,
    skipGrants: task.skipGrants,
    resourceTypeIds: [...task.syncResourceTypeIds],
    targetedResources: [...task.targetedSyncResources],
  };
}
