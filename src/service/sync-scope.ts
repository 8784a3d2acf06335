import type { Task_SyncFullTask } from "../gen/c1/connectorapi/baton/v1/baton_pb.js";
import type { SyncScope } from "../sync/syncer.js";

/**
 * syncScopeOfTask is the one place a sync_full task's scope becomes the syncer's options
 * (docs/service-mode.md, "sync_full"): skip_expand_grants, skip_entitlements_and_grants,
 * skip_grants, sync_resource_type_ids and targeted_sync_resources, under the names runSync takes
 * (the same `sync -f`'s flags map to, src/cli/sync-scope.ts). `storage_engine` has no
 * counterpart: the connector always writes a v1 (SQLite) c1z, which every reader takes
 * (docs/c1z-format.md).
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
