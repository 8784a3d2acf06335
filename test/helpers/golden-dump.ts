import { anyIs } from "@bufbuild/protobuf/wkt";
import { GrantExpandableSchema } from "../../src/connector/c1.js";
import { openC1z } from "../../src/c1z/c1z-reader.js";

/**
 * GoldenDump is a c1z reduced to ids, the shape of test/fixtures/go-sdk/*.json: the sync shown,
 * resource types, resources, entitlements and grants (sources, annotation types, and the
 * GrantExpandable kept beside the grant), each list sorted by id.
 */
export interface GoldenDump {
  sync: { type: string; parentIsFullSync: boolean; finished: boolean };
  resourceTypes: string[];
  resources: { id: string; parent: string }[];
  entitlements: { id: string; resource: string; annotations: string[] }[];
  grants: {
    id: string;
    entitlement: string;
    principal: string;
    sources?: Record<string, boolean>;
    annotations: string[];
    expansion?: { entitlementIds: string[]; shallow: boolean; resourceTypeIds: string[] };
  }[];
}

const byId = <T extends { id: string }>(list: T[]) => list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const ref = (id: { resourceType: string; resource: string } | undefined) => (id ? `${id.resourceType}:${id.resource}` : "");

/** dumpC1z reads the sync a reader shows (the newest finished full sync, else the newest finished one) as a GoldenDump. */
export async function dumpC1z(path: string): Promise<GoldenDump> {
  const reader = await openC1z(path);
  try {
    const sync = reader.sync!;
    const fullSyncs = new Set(reader.syncRuns().filter((r) => r.syncType === "full").map((r) => r.syncId));
    const expansions = new Map([...reader.grantExpansions()].map((e) => [e.grantId, e.expansion]));
    return {
      sync: { type: sync.syncType, parentIsFullSync: fullSyncs.has(sync.parentSyncId), finished: sync.endedAt !== null },
      resourceTypes: reader.resourceTypes().map((t) => t.id).sort(),
      resources: byId([...reader.resources()].map((r) => ({ id: ref(r.id), parent: ref(r.parentResourceId) }))),
      entitlements: byId([...reader.entitlements()].map((e) => ({ id: e.id, resource: ref(e.resource?.id), annotations: e.annotations.map((a) => a.typeUrl) }))),
      grants: byId(
        [...reader.grants()].map((g) => {
          const sources = Object.entries(g.sources?.sources ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          const expansion = expansions.get(g.id);
          return {
            id: g.id,
            entitlement: g.entitlement?.id ?? "",
            principal: ref(g.principal?.id),
            ...(sources.length > 0 ? { sources: Object.fromEntries(sources.map(([k, v]) => [k, v.isDirect])) } : {}),
            annotations: g.annotations.filter((a) => !anyIs(a, GrantExpandableSchema)).map((a) => a.typeUrl),
            ...(expansion ? { expansion: { entitlementIds: expansion.entitlementIds, shallow: expansion.shallow, resourceTypeIds: expansion.resourceTypeIds } } : {}),
          };
        }),
      ),
    };
  } finally {
    await reader.close();
  }
}
