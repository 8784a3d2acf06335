import { randomBytes } from "node:crypto";
import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import { annotation, findAnnotation, hasAnnotation } from "../connector/annotations.js";
import {
  ChildResourceTypeSchema,
  ConnectorService,
  EntitlementSchema,
  EntitlementsService,
  GrantExpandableSchema,
  GrantImmutableSchema,
  GrantSchema,
  GrantsService,
  ResourceGetterService,
  ResourceTypesService,
  ResourcesService,
  SkipEntitlementsAndGrantsSchema,
  SkipEntitlementsSchema,
  SkipGrantsSchema,
  ResourceSchema,
  TypeScopedEntitlementsSchema,
  TypeScopedGrantsSchema,
  type Entitlement,
  type Grant,
  type Resource,
  type ResourceId,
  type ResourceType,
} from "../connector/c1.js";
import { RateLimitDescription_Status, RateLimiterService } from "../gen/c1/ratelimit/v1/ratelimit_pb.js";
import { expandGrants, type ExpansionResult, type ExpansionStore, type StoredGrant } from "./expand.js";

/** ConnectorApi makes one unary call to a connector (over gRPC, or in process). */
export interface ConnectorApi {
  call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, request: MessageInitShape<I>, signal?: AbortSignal): Promise<MessageShape<O>>;
}

/** SyncStore receives what a sync finds and gives back the resources to fan out over. */
export interface SyncStore {
  putResourceType(type: ResourceType): void | Promise<void>;
  /** Returns false if the resource was stored already in this sync. */
  putResource(resource: Resource): boolean | Promise<boolean>;
  putEntitlement(entitlement: Entitlement): void | Promise<void>;
  putGrant(grant: Grant): void | Promise<void>;
  /** Every stored resource of a type, in insertion order. */
  resourcesOfType(resourceTypeId: string): AsyncIterable<Resource> | Iterable<Resource>;
  /** Whether a resource is stored (a targeted sync fetches the resources its grants point at). */
  hasResource(id: ResourceId): boolean | Promise<boolean>;
  /** The store as grant expansion reads and writes it, once every grant is in. */
  expansion(): ExpansionStore<unknown>;
}

/**
 * SyncType is the kind of sync run a sync makes, as the SDK records it: `full`, `partial` (a
 * targeted sync of some resources) or `resources_only` (entitlements and grants skipped).
 */
export type SyncType = "full" | "partial" | "resources_only";

/**
 * SyncScope is what a sync covers: the options of the SDK's syncer that a `sync_full` task and
 * `sync -f` pass on (docs/grant-expansion.md, "What a sync stores").
 */
export interface SyncScope {
  /** Store only the grants the connector lists, not those expansion derives (skip_expand_grants). */
  skipExpandGrants?: boolean;
  /** Resource types and resources only: a `resources_only` sync (skip_entitlements_and_grants). */
  skipEntitlementsAndGrants?: boolean;
  /** No grants (skip_grants; the SDK's CLI takes it only with targeted resources). */
  skipGrants?: boolean;
  /** Only these resource types (sync_resource_type_ids); an unknown one fails the sync. */
  resourceTypeIds?: readonly string[];
  /** A `partial` sync of these resources (their id and parent) through GetResource (targeted_sync_resources). */
  targetedResources?: readonly Pick<Resource, "id" | "parentResourceId">[];
}

/** SyncOptions configures runSync. */
export interface SyncOptions extends SyncScope {
  api: ConnectorApi;
  store: SyncStore;
  /** Concurrent calls within a phase, like the Go syncer's --workers (default 1). */
  workers?: number;
  /**
   * Honour TypeScopedEntitlements/TypeScopedGrants as the v0.25 Go syncer does (default true);
   * false lists per resource, as older syncers do.
   */
  typeScoped?: boolean;
  /** The sync's id, sent as active_sync_id (a fresh one when omitted), e.g. the id a c1z file records. */
  syncId?: string;
  /** Called after each phase with counts, for progress output. */
  onProgress?: (event: SyncProgress) => void;
  /** Told what the SDK's syncer logs as a warning and goes on from (a target that does not exist, a cycle…). */
  warn?: (message: string, fields: Record<string, unknown>) => void;
  signal?: AbortSignal;
}

/** SyncProgress reports how far a sync got. */
export interface SyncProgress {
  phase: "resource-types" | "resources" | "static-entitlements" | "entitlements" | "grants" | "expansion" | "cleanup" | "done";
  resources: number;
  entitlements: number;
  grants: number;
  calls: number;
}

/** SyncResult summarizes a finished sync. */
export interface SyncResult extends SyncProgress {
  syncId: string;
  syncType: SyncType;
  /** What grant expansion did; absent when the sync does not expand. */
  expansion?: ExpansionResult;
  /** Wall time of grant expansion, in ms (0 when none ran). */
  expansionMs: number;
}

/** syncTypeOf is the sync run a scope makes: targeted → partial, else skipping entitlements and grants → resources_only, else full. */
export function syncTypeOf(scope: SyncScope): SyncType {
  if ((scope.targetedResources?.length ?? 0) > 0) return "partial";
  return scope.skipEntitlementsAndGrants ? "resources_only" : "full";
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** KSUID_EPOCH is the KSUID format's epoch (2014-05-13T16:53:20Z), in seconds. */
const KSUID_EPOCH = 1_400_000_000;

/**
 * newSyncId makes a KSUID, as the Go SDK names its syncs: 4 bytes of seconds since the KSUID
 * epoch and 16 random bytes, in 27 base62 characters. Readers of v1 files do not check the
 * format, but the SDK's v1 → v3 conversion parses every sync id as a KSUID.
 */
export function newSyncId(now: Date = new Date()): string {
  const bytes = Buffer.alloc(20);
  bytes.writeUInt32BE(Math.max(0, Math.floor(now.getTime() / 1000) - KSUID_EPOCH) >>> 0, 0);
  randomBytes(16).copy(bytes, 4);
  let value = BigInt(`0x${bytes.toString("hex")}`);
  let text = "";
  for (let i = 0; i < 27; i++) {
    text = BASE62[Number(value % 62n)]! + text;
    value /= 62n;
  }
  return text;
}

/**
 * runSync performs a sync the way the baton Go syncer (v0.25.0) drives a connector
 * (docs/baton-protocol.md, "Full sync call order" and "Type-scoped listing"; docs/grant-expansion.md):
 * Validate; resource types; then, for a full sync, resources per type and their children, static
 * entitlements, entitlements and grants per resource honouring the skip annotations (or per type
 * for types marked TypeScopedEntitlements/TypeScopedGrants), and grant expansion; for a targeted
 * sync, each target through GetResource with its own entitlements, grants and children; then
 * Cleanup. Within each phase the types are taken last-announced first, as the Go syncer's action
 * stack takes them. Every call is preceded by RateLimiterService/Do, as the Go client does.
 */
export async function runSync(options: SyncOptions): Promise<SyncResult> {
  const { store, signal } = options;
  const warn = options.warn ?? (() => {});
  const workers = Math.max(1, options.workers ?? 1);
  const syncType = syncTypeOf(options);
  const progress: SyncProgress = { phase: "resource-types", resources: 0, entitlements: 0, grants: 0, calls: 0 };
  const report = (phase: SyncProgress["phase"]) => options.onProgress?.({ ...progress, phase });

  async function call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, request: MessageInitShape<I>): Promise<MessageShape<O>> {
    signal?.throwIfAborted();
    const allowed = await options.api.call(RateLimiterService.method.do, { service: "connector", descriptors: { entries: [{ key: "connector_method", value: `/${method.parent.typeName}/${method.name}` }] } }, signal);
    const status = allowed.description?.status;
    if (status !== RateLimitDescription_Status.OK && status !== RateLimitDescription_Status.EMPTY) {
      throw new Error(`rate limiter refused ${method.name} (status ${String(status)})`);
    }
    progress.calls++;
    return options.api.call(method, request, signal);
  }

  /**
   * pages calls a paged list until its next_page_token is empty. `each` returns a promise only
   * when it has to wait (an asynchronous store): a sync's tens of thousands of items are handled
   * without a promise and a microtask each.
   */
  async function pages<T>(fetch: (token: string) => Promise<{ list: T[]; nextPageToken: string }>, each: (item: T) => void | Promise<void>) {
    let token = "";
    do {
      const res = await fetch(token);
      for (const item of res.list) {
        const pending = each(item);
        if (pending) await pending;
      }
      token = res.nextPageToken;
    } while (token);
  }

  const validated = await call(ConnectorService.method.validate, {});
  const syncId = supportsSyncId(validated.sdkVersion) ? (options.syncId ?? newSyncId()) : "";

  const announced: ResourceType[] = [];
  await pages((pageToken) => call(ResourceTypesService.method.listResourceTypes, { pageToken, activeSyncId: syncId }), (t) => void (t.id && announced.push(t)));
  const wanted = options.resourceTypeIds && options.resourceTypeIds.length > 0 ? new Set(options.resourceTypeIds) : undefined;
  for (const id of wanted ?? []) {
    if (!announced.some((t) => t.id === id)) throw new Error(`invalid resource type '${id}' in filter`);
  }
  const types = announced.filter((t) => !wanted || wanted.has(t.id));
  for (const t of types) await store.putResourceType(t);
  const typeIds = new Set(types.map((t) => t.id));
  report("resource-types");
  // The Go syncer keeps its work on a stack: it pushes one action per type in the announced
  // order, so each phase takes the types last-announced first.
  const stacked = [...types].reverse();

  const childrenDone = new Set<string>();
  async function listResources(resourceTypeId: string, parent: ResourceId | undefined): Promise<void> {
    await pages(
      (pageToken) => call(ResourcesService.method.listResources, { resourceTypeId, parentResourceId: parent, pageToken, activeSyncId: syncId }),
      (resource) => {
        if (!resource.id?.resourceType || !resource.id.resource) return;
        const stored = store.putResource(resource);
        if (typeof stored !== "boolean") return stored.then((isNew) => (isNew ? listChildren(resource) : undefined));
        return stored ? listChildren(resource) : undefined;
      },
    );
  }
  /** listChildren counts a newly stored resource and lists its child resource types (once each, synced types only). */
  function listChildren(resource: Resource): Promise<void> | undefined {
    progress.resources++;
    if (!hasAnnotation(resource.annotations, ChildResourceTypeSchema)) return undefined;
    const id = resource.id!;
    const children = resource.annotations.flatMap((a) => findAnnotation([a], ChildResourceTypeSchema)?.resourceTypeId ?? []).filter((t) => typeIds.has(t));
    return (async () => {
      for (const type of children) {
        const key = `${type}\u0000${id.resourceType}:${id.resource}`;
        if (childrenDone.has(key)) continue;
        childrenDone.add(key);
        await listResources(type, id);
      }
    })();
  }

  const skips = (resource: Resource, type: ResourceType, schema: DescMessage) => hasAnnotation(resource.annotations, schema) || hasAnnotation(type.annotations, schema);
  // Types marked TypeScopedEntitlements/Grants get one type-level chain instead of one per
  // resource: the request names the type as a stub resource and carries the marker.
  const typeScoped = (type: ResourceType, schema: DescMessage) =>
    options.typeScoped !== false && hasAnnotation(type.annotations, schema) && !hasAnnotation(type.annotations, SkipEntitlementsAndGrantsSchema);
  const putEntitlement = async (e: Entitlement) => {
    if (!e.id || !e.resource?.id) return;
    // A full sync keeps only what points into the types it synced (the SDK's fresh-ingest filter).
    if (syncType === "full" && !typeIds.has(e.resource.id.resourceType)) return;
    await store.putEntitlement(e);
    progress.entitlements++;
  };
  const storeGrant = (g: Grant): Promise<void> | undefined => {
    const stored = store.putGrant(g);
    if (stored) return stored.then(() => void progress.grants++);
    progress.grants++;
    return undefined;
  };

  let expansion: ExpansionResult | undefined;
  let expansionMs = 0;
  if (syncType === "partial") {
    await syncTargets(options.targetedResources ?? []);
  } else {
    await parallel(stacked, workers, (t) => listResources(t.id, undefined));
    report("resources");
    if (syncType === "full") {
      await syncEntitlementsAndGrants();
      if (!options.skipExpandGrants) {
        const started = performance.now();
        expansion = expandGrants(store.expansion(), ({ message, fields }) => warn(message, fields));
        expansionMs = performance.now() - started;
        report("expansion");
      }
    }
  }

  if (syncId) await call(ConnectorService.method.cleanup, { activeSyncId: syncId });
  report("done");
  return { ...progress, phase: "done", syncId, syncType, expansion, expansionMs };

  async function syncEntitlementsAndGrants(): Promise<void> {
    for (const t of stacked) {
      const templates: Entitlement[] = [];
      await pages((pageToken) => call(EntitlementsService.method.listStaticEntitlements, { resourceTypeId: t.id, pageToken, activeSyncId: syncId }), async (e) => void templates.push(e));
      if (templates.length === 0) continue;
      for await (const resource of store.resourcesOfType(t.id)) {
        for (const tpl of templates) {
          await store.putEntitlement(create(EntitlementSchema, { ...tpl, id: `${t.id}:${resource.id!.resource}:${tpl.slug}`, resource, displayName: tpl.displayName || resource.displayName }));
          progress.entitlements++;
        }
      }
    }
    report("static-entitlements");

    const typeStub = (type: ResourceType) => create(ResourceSchema, { id: { resourceType: type.id, resource: type.id } });
    await parallel(stacked.filter((t) => typeScoped(t, TypeScopedEntitlementsSchema) && !hasAnnotation(t.annotations, SkipEntitlementsSchema)), workers, (type) =>
      pages((pageToken) => call(EntitlementsService.method.listEntitlements, { resource: typeStub(type), pageToken, activeSyncId: syncId, annotations: [anyPack(TypeScopedEntitlementsSchema, create(TypeScopedEntitlementsSchema))] }), putEntitlement),
    );
    // A type that skips them as a whole is passed over without reading its resources back: the
    // calls are the same, and a sync's largest types (users) are such types.
    const typeSkips = (type: ResourceType, ...schemas: DescMessage[]) => schemas.some((schema) => hasAnnotation(type.annotations, schema));
    const perResourceEntitlements = stacked.filter((t) => !typeScoped(t, TypeScopedEntitlementsSchema) && !typeSkips(t, SkipEntitlementsAndGrantsSchema, SkipEntitlementsSchema));
    await forEachResource(perResourceEntitlements, store, workers, async (resource, type) => {
      if (skips(resource, type, SkipEntitlementsAndGrantsSchema) || skips(resource, type, SkipEntitlementsSchema)) return;
      await pages((pageToken) => call(EntitlementsService.method.listEntitlements, { resource, pageToken, activeSyncId: syncId }), putEntitlement);
    });
    report("entitlements");
    if (options.skipGrants) return;

    const putGrant = (g: Grant): Promise<void> | undefined => {
      const kept = freshGrant(g, typeIds);
      return kept ? storeGrant(kept) : undefined;
    };
    await parallel(stacked.filter((t) => typeScoped(t, TypeScopedGrantsSchema)), workers, (type) =>
      pages((pageToken) => call(GrantsService.method.listGrants, { resource: typeStub(type), pageToken, activeSyncId: syncId, annotations: [anyPack(TypeScopedGrantsSchema, create(TypeScopedGrantsSchema))] }), putGrant),
    );
    const perResourceGrants = stacked.filter((t) => !typeScoped(t, TypeScopedGrantsSchema) && !typeSkips(t, SkipEntitlementsAndGrantsSchema));
    await forEachResource(perResourceGrants, store, workers, async (resource, type) => {
      // Like the Go syncer: SkipGrants counts on the resource only, not on its type.
      if (skips(resource, type, SkipEntitlementsAndGrantsSchema) || hasAnnotation(resource.annotations, SkipGrantsSchema)) return;
      await pages((pageToken) => call(GrantsService.method.listGrants, { resource, pageToken, activeSyncId: syncId }), putGrant);
    });
    report("grants");
  }

  /**
   * syncTargets is the SDK's targeted (partial) sync: each target read with GetResource (one
   * that does not exist is skipped with a warning), its own entitlements and grants unless its
   * type lists them per type (TypeScoped…) or skips them, its children listed (without their
   * entitlements and grants), and the resource of each grant's entitlement fetched when the sync
   * does not hold it. No static entitlements, no expansion.
   */
  async function syncTargets(targets: readonly Pick<Resource, "id" | "parentResourceId">[]): Promise<void> {
    const seen = new Set<string>();
    const byId = new Map(types.map((t) => [t.id, t]));
    for (const target of targets) {
      const id = target.id;
      if (!id?.resourceType || !id.resource || !typeIds.has(id.resourceType)) continue;
      const parent = target.parentResourceId;
      const key = [id.resourceType, id.resource, parent?.resourceType ?? "", parent?.resource ?? ""].join("\u0000");
      if (seen.has(key)) continue;
      seen.add(key);
      const resource = await getResource(id, parent);
      if (!resource) continue;
      const type = byId.get(id.resourceType)!;
      if ((await store.putResource(resource)) !== false) progress.resources++;
      if (!options.skipEntitlementsAndGrants && !skips(resource, type, SkipEntitlementsAndGrantsSchema)) {
        if (!typeScoped(type, TypeScopedEntitlementsSchema) && !skips(resource, type, SkipEntitlementsSchema)) {
          await pages((pageToken) => call(EntitlementsService.method.listEntitlements, { resource, pageToken, activeSyncId: syncId }), putEntitlement);
        }
        if (!options.skipGrants && !typeScoped(type, TypeScopedGrantsSchema) && !hasAnnotation(resource.annotations, SkipGrantsSchema)) {
          await pages(
            (pageToken) => call(GrantsService.method.listGrants, { resource, pageToken, activeSyncId: syncId }),
            async (g) => {
              await storeGrant(g);
              const owner = g.entitlement?.resource;
              if (owner?.id && !(await store.hasResource(owner.id))) {
                const fetched = await getResource(owner.id, owner.parentResourceId);
                if (fetched && (await store.putResource(fetched)) !== false) progress.resources++;
              }
            },
          );
        }
      }
      for (const child of resource.annotations.flatMap((a) => findAnnotation([a], ChildResourceTypeSchema)?.resourceTypeId ?? [])) {
        if (typeIds.has(child)) await listResources(child, resource.id);
      }
    }
    report("resources");
  }

  /** getResource reads one resource; one that does not exist (or a connector that cannot say) is skipped with a warning. */
  async function getResource(id: ResourceId, parent: ResourceId | undefined): Promise<Resource | undefined> {
    try {
      const res = await call(ResourceGetterService.method.getResource, { resourceId: id, parentResourceId: parent, activeSyncId: syncId });
      return res.resource?.id ? res.resource : undefined;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // NOT_FOUND (5) and UNIMPLEMENTED (12), as grpc-js reports them.
      if (code === 5 || code === 12) {
        warn("skipping resource that cannot be read", { resourceType: id.resourceType, resource: id.resource, code });
        return undefined;
      }
      throw err;
    }
  }
}

/**
 * freshGrant is the SDK's fresh-ingest filter for a full sync: a grant whose entitlement or
 * principal is of a type the sync did not store is dropped; the principal types a GrantExpandable
 * passes on are narrowed to the stored ones, and if none is left the grant is kept without it
 * (an empty list would mean every type).
 */
function freshGrant(grant: Grant, typeIds: ReadonlySet<string>): Grant | undefined {
  const entitlementType = grant.entitlement?.resource?.id?.resourceType;
  const principalType = grant.principal?.id?.resourceType;
  if (entitlementType === undefined || principalType === undefined) return grant;
  if (!typeIds.has(entitlementType) || !typeIds.has(principalType)) return undefined;
  const at = grant.annotations.findIndex((a) => a.typeUrl.endsWith(`/${GrantExpandableSchema.typeName}`));
  if (at < 0) return grant;
  const expandable = anyUnpack(grant.annotations[at]!, GrantExpandableSchema);
  if (!expandable || expandable.resourceTypeIds.length === 0 || expandable.resourceTypeIds.every((t) => typeIds.has(t))) return grant;
  const narrowed = expandable.resourceTypeIds.filter((t) => typeIds.has(t));
  const annotations = [...grant.annotations];
  if (narrowed.length === 0) annotations.splice(at, 1);
  else annotations[at] = annotation(GrantExpandableSchema, { ...expandable, resourceTypeIds: narrowed });
  return { ...grant, annotations };
}

/** supportsSyncId: the Go syncer sends active_sync_id to connectors of SDK version ≥ 0.4.3. */
function supportsSyncId(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor, patch] = m.slice(1).map(Number) as [number, number, number];
  return major > 0 || minor > 4 || (minor === 4 && patch >= 3);
}

async function forEachResource(types: ResourceType[], store: SyncStore, workers: number, each: (resource: Resource, type: ResourceType) => Promise<void>): Promise<void> {
  for (const type of types) {
    const batch: Resource[] = [];
    for await (const resource of store.resourcesOfType(type.id)) {
      batch.push(resource);
      if (batch.length >= 100) await parallel(batch.splice(0), workers, (r) => each(r, type));
    }
    await parallel(batch, workers, (r) => each(r, type));
  }
}

/** parallel runs fn over items with at most `limit` in flight. */
async function parallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** MemoryStore keeps a sync's results in memory (tests, benchmarks, small accounts). */
export interface MemoryStore extends SyncStore {
  resourceTypes: ResourceType[];
  resources: Resource[];
  entitlements: Entitlement[];
  /** Grants as the connector listed them (GrantExpandable included), then those expansion derived. */
  grants: Grant[];
}

/** createMemoryStore makes an in-memory SyncStore. */
export function createMemoryStore(): MemoryStore {
  const resources = new Map<string, Resource>();
  const entitlements = new Map<string, Entitlement>();
  const grants = new Map<string, Grant>();
  /** Grant ids by entitlement id, for expansion. */
  const grantsByEntitlement = new Map<string, string[]>();
  const resourceTypes: ResourceType[] = [];
  const immutable = annotation(GrantImmutableSchema);
  type MemoryGrant = StoredGrant<Resource> & { id: string };
  const stored = (g: Grant): MemoryGrant => ({
    id: g.id,
    principalType: g.principal!.id!.resourceType,
    principalId: g.principal!.id!.resource,
    principal: g.principal!,
    sources: new Map(Object.entries(g.sources?.sources ?? {}).map(([k, v]) => [k, v.isDirect])),
  });
  const put = (g: Grant) => {
    if (!grants.has(g.id)) {
      const ids = grantsByEntitlement.get(g.entitlement?.id ?? "");
      if (ids) ids.push(g.id);
      else grantsByEntitlement.set(g.entitlement?.id ?? "", [g.id]);
    }
    grants.set(g.id, g);
  };
  const expansion: ExpansionStore<Resource, MemoryGrant> = {
    *expandableGrants() {
      for (const g of grants.values()) {
        const expandable = findAnnotation(g.annotations as Any[], GrantExpandableSchema);
        if (!expandable || !g.principal?.id || !g.entitlement) continue;
        if (!expandable.entitlementIds.some((id) => id.trim() !== "")) continue;
        yield { entitlementId: g.entitlement.id, principalType: g.principal.id.resourceType, principalId: g.principal.id.resource, ...expandable };
      }
    },
    entitlementOwner(id) {
      const owner = entitlements.get(id)?.resource?.id;
      return owner && `${owner.resourceType}\u0000${owner.resource}`;
    },
    *grantsOn(entitlementId) {
      for (const id of grantsByEntitlement.get(entitlementId) ?? []) {
        const g = grants.get(id);
        if (g?.principal?.id) yield stored(g);
      }
    },
    putDerived(d) {
      const sources = Object.fromEntries([...d.sources].map(([k, isDirect]) => [k, { isDirect }]));
      put(create(GrantSchema, { id: d.id, entitlement: entitlements.get(d.entitlementId), principal: d.principal, annotations: [immutable], sources: { sources } }));
    },
    setSources(grant, sources) {
      const g = grants.get(grant.id)!;
      grants.set(grant.id, { ...g, sources: create(GrantSchema, { sources: { sources: Object.fromEntries([...sources].map(([k, isDirect]) => [k, { isDirect }])) } }).sources });
    },
  };
  return {
    resourceTypes,
    get resources() {
      return [...resources.values()];
    },
    get entitlements() {
      return [...entitlements.values()];
    },
    get grants() {
      return [...grants.values()];
    },
    putResourceType: (t) => void resourceTypes.push(t),
    putResource(r) {
      const key = `${r.id!.resourceType}:${r.id!.resource}`;
      if (resources.has(key)) return false;
      resources.set(key, r);
      return true;
    },
    putEntitlement: (e) => void entitlements.set(e.id, e),
    putGrant: put,
    *resourcesOfType(id) {
      for (const r of resources.values()) if (r.id!.resourceType === id) yield r;
    },
    hasResource: (id) => resources.has(`${id.resourceType}:${id.resource}`),
    expansion: () => expansion as ExpansionStore<unknown>,
  };
}
