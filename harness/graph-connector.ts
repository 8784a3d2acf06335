// A baton connector that serves a graph of resources, entitlements and grants given as data: the
// cases of grant expansion (nested groups, cycles, shallow edges, type filters, missing
// entitlements) that Temporal Cloud's own data cannot express, served over the real protocol so
// that the Go SDK's syncer and ours can be run against the same thing (test/fixtures/go-sdk/).
//
//   node dist/harness/graph-connector.js test/fixtures/go-sdk/graphs/nested.json
//
// prints {"address":"127.0.0.1:PORT"} and serves until SIGTERM or SIGINT.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { create } from "@bufbuild/protobuf";
import { annotation } from "../src/connector/annotations.js";
import { EntitlementSchema, GrantExpandableSchema, GrantSchema, GroupTraitSchema, ResourceTypeSchema, ResourceType_Trait, RoleTraitSchema, UserTraitSchema, type Entitlement, type Grant, type Resource, type ResourceId } from "../src/connector/c1.js";
import { createConnector, type Connector } from "../src/connector/connector.js";
import { createTokenSealer } from "../src/connector/token-seal.js";
import { newResource, resourceId } from "../src/connector/ids.js";
import type { ResourceSyncer } from "../src/connector/resource-syncer.js";
import { createLogger } from "../src/logger.js";
import { startServer, type RunningServer } from "../src/server/server.js";

/** GraphSpec is a connector's whole content, as data. */
export interface GraphSpec {
  /** Resource types in the order ListResourceTypes announces them; traits are trait names (user, group, role). */
  types: { id: string; traits?: string[] }[];
  /** Resources as `<type>:<id>`. */
  resources: string[];
  /** Entitlements as `<type>:<id>:<slug>` (the resource must be listed). */
  entitlements: string[];
  grants: GraphGrant[];
}

/** GraphGrant is one grant: its entitlement id, its principal `<type>:<id>`, and a GrantExpandable if any. */
export interface GraphGrant {
  entitlement: string;
  principal: string;
  expandable?: { entitlementIds: string[]; shallow?: boolean; resourceTypeIds?: string[] };
}

const TRAITS: Record<string, ResourceType_Trait> = { user: ResourceType_Trait.USER, group: ResourceType_Trait.GROUP, role: ResourceType_Trait.ROLE };
/** The trait annotation a resource of a type with that trait must carry (the Go syncer refuses resources without it). */
const TRAIT_ANNOTATIONS = { user: () => annotation(UserTraitSchema), group: () => annotation(GroupTraitSchema), role: () => annotation(RoleTraitSchema) } as const;

/** splitResource splits `<type>:<id>` at its first colon. */
function splitResource(ref: string): ResourceId {
  const at = ref.indexOf(":");
  if (at <= 0) throw new Error(`not a resource reference: ${ref}`);
  return resourceId(ref.slice(0, at), ref.slice(at + 1));
}

/** splitEntitlement splits `<type>:<id>:<slug>` into its resource and slug (the slug follows the last colon). */
function splitEntitlement(id: string): { resource: ResourceId; slug: string } {
  const at = id.lastIndexOf(":");
  return { resource: splitResource(id.slice(0, at)), slug: id.slice(at + 1) };
}

/** createGraphConnector builds a connector whose types list exactly what the spec holds, one page per list. */
export function createGraphConnector(spec: GraphSpec): Connector {
  const types = new Map(spec.types.map((t) => [t.id, create(ResourceTypeSchema, { id: t.id, displayName: t.id, traits: (t.traits ?? []).map((name) => TRAITS[name]!) })]));
  const resources = new Map<string, Resource>();
  for (const ref of spec.resources) {
    const id = splitResource(ref);
    const traits = spec.types.find((t) => t.id === id.resourceType)?.traits ?? [];
    const annotations = traits.map((name) => TRAIT_ANNOTATIONS[name as keyof typeof TRAIT_ANNOTATIONS]());
    resources.set(ref, newResource(types.get(id.resourceType)!, id.resource, { displayName: ref, annotations }));
  }
  const entitlements = new Map<string, Entitlement>();
  for (const id of spec.entitlements) {
    const { resource, slug } = splitEntitlement(id);
    const owner = resources.get(`${resource.resourceType}:${resource.resource}`);
    if (!owner) throw new Error(`entitlement ${id}: resource not listed`);
    entitlements.set(id, create(EntitlementSchema, { id, resource: owner, slug, displayName: id }));
  }
  const grantsOf = new Map<string, Grant[]>();
  for (const g of spec.grants) {
    const entitlement = entitlements.get(g.entitlement);
    const principal = resources.get(g.principal);
    if (!entitlement || !principal) throw new Error(`grant ${g.entitlement} → ${g.principal}: entitlement or principal not listed`);
    const annotations = g.expandable ? [annotation(GrantExpandableSchema, { entitlementIds: g.expandable.entitlementIds, shallow: g.expandable.shallow ?? false, resourceTypeIds: g.expandable.resourceTypeIds ?? [] })] : [];
    const grant = create(GrantSchema, { id: `${g.entitlement}:${g.principal}`, entitlement, principal, annotations });
    const owner = `${entitlement.resource!.id!.resourceType}:${entitlement.resource!.id!.resource}`;
    grantsOf.set(owner, [...(grantsOf.get(owner) ?? []), grant]);
  }
  const key = (r: Resource | ResourceId) => ("id" in r && r.id ? `${r.id.resourceType}:${r.id.resource}` : `${(r as ResourceId).resourceType}:${(r as ResourceId).resource}`);
  const syncers: ResourceSyncer[] = [...types.values()].map((type) => ({
    resourceType: type,
    list: async (_ctx, parent) => ({ items: parent ? [] : [...resources.values()].filter((r) => r.id!.resourceType === type.id) }),
    entitlements: async (_ctx, resource) => ({ items: [...entitlements.values()].filter((e) => key(e.resource!) === key(resource)) }),
    grants: async (_ctx, resource) => ({ items: grantsOf.get(key(resource)) ?? [] }),
    get: async (_ctx, id) => resources.get(key(id)),
  }));
  return createConnector({
    resourceTypes: syncers,
    metadata: { displayName: "graph" },
    provisioning: false,
    validate: async () => undefined,
    tokenSealer: createTokenSealer({ secret: () => "graph-connector" }),
  });
}

/** serveGraph serves a graph connector on a loopback port. */
export async function serveGraph(spec: GraphSpec): Promise<RunningServer> {
  return startServer({ connector: createGraphConnector(spec), log: createLogger({ level: "warn", format: "json" }), host: "127.0.0.1", port: 0, drainTimeoutMs: 1000 });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const spec = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as GraphSpec;
  const server = await serveGraph(spec);
  process.stdout.write(`${JSON.stringify({ address: `127.0.0.1:${server.port}` })}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
