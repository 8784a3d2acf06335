import { createMemoryStore, runSync, type ConnectorApi } from "../../src/sync/syncer.js";

/** SyncSummary is what a full sync found, as sorted ids, so two syncs compare with toEqual. */
export interface SyncSummary {
  resourceTypes: string[];
  resources: string[];
  entitlements: string[];
  grants: string[];
}

/** syncSummary runs a full sync (the Go syncer's order, see runSync) and summarizes it. */
export async function syncSummary(api: ConnectorApi): Promise<SyncSummary> {
  const store = createMemoryStore();
  await runSync({ api, store });
  return {
    resourceTypes: store.resourceTypes.map((t) => t.id).sort(),
    resources: store.resources.map((r) => `${r.id!.resourceType}:${r.id!.resource}`).sort(),
    entitlements: store.entitlements.map((e) => e.id).sort(),
    grants: store.grants.map((g) => g.id).sort(),
  };
}
