import { randomBytes } from "node:crypto";
import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { findAnnotation, hasAnnotation } from "../connector/annotations.js";
import {
  ChildResourceTypeSchema,
  ConnectorService,
  EntitlementSchema,
  EntitlementsService,
  GrantExpandableSchema,
  GrantsService,
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
  /** Whether an entitlement id was stored (to check GrantExpandable sources). */
  entitlementOwner(entitlementId: string): ResourceId | undefined | Promise<ResourceId | undefined>;
}

/** SyncOptions configures runSync. */
export interface SyncOptions {
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
  signal?: AbortSignal;
}

/** SyncProgress reports how far a sync got. */
export interface SyncProgress {
  phase: "resource-types" | "resources" | "static-entitlements" | "entitlements" | "grants" | "cleanup" | "done";
  resources: number;
  entitlements: number;
  grants: number;
  calls: number;
}

/** SyncResult summarizes a finished sync. */
export interface SyncResult extends SyncProgress {
  syncId: string;
}

/** KSUID-like sync ids: 27 base62 characters, as the Go SDK uses. */
export function newSyncId(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return [...randomBytes(27)].map((b) => alphabet[b % 62]).join("");
}

/**
 * runSync performs a full sync the way the baton Go syncer drives a connector
 * (docs/baton-protocol.md, "Full sync call order" and "Type-scoped listing"): Validate; resource
 * types; resources per type, then children; static entitlements; entitlements and grants per
 * resource honouring the skip annotations, or per type for types marked
 * TypeScopedEntitlements/TypeScopedGrants; Cleanup. Within each phase the types are taken
 * last-announced first, as the Go syncer's action stack takes them. Every call is preceded by
 * RateLimiterService/Do, as the Go client does. A GrantExpandable whose source is not an
 * entitlement of the grant's principal fails the sync, as it fails the Go syncer.
 */
export async function runSync(options: SyncOptions): Promise<SyncResult> {
  const { store, signal } = options;
  const workers = Math.max(1, options.workers ?? 1);
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

  const types: ResourceType[] = [];
  await pages((pageToken) => call(ResourceTypesService.method.listResourceTypes, { pageToken, activeSyncId: syncId }), async (t) => {
    if (!t.id) return;
    types.push(t);
    await store.putResourceType(t);
  });
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
  /** listChildren counts a newly stored resource and lists its child resource types (once each). */
  function listChildren(resource: Resource): Promise<void> | undefined {
    progress.resources++;
    if (!hasAnnotation(resource.annotations, ChildResourceTypeSchema)) return undefined;
    const id = resource.id!;
    const children = resource.annotations.flatMap((a) => findAnnotation([a], ChildResourceTypeSchema)?.resourceTypeId ?? []);
    return (async () => {
      for (const type of children) {
        const key = `${type}\u0000${id.resourceType}:${id.resource}`;
        if (childrenDone.has(key)) continue;
        childrenDone.add(key);
        await listResources(type, id);
      }
    })();
  }
  await parallel(stacked, workers, (t) => listResources(t.id, undefined));
  report("resources");

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

  const skips = (resource: Resource, type: ResourceType, schema: DescMessage) => hasAnnotation(resource.annotations, schema) || hasAnnotation(type.annotations, schema);
  const putEntitlement = async (e: Entitlement) => {
    if (!e.id || !e.resource?.id) return;
    await store.putEntitlement(e);
    progress.entitlements++;
  };
  const storeGrant = (g: Grant): Promise<void> | undefined => {
    const stored = store.putGrant(g);
    if (stored) return stored.then(() => void progress.grants++);
    progress.grants++;
    return undefined;
  };
  const putGrant = (g: Grant): Promise<void> | undefined => {
    const checked = checkExpandable(g, store);
    return checked ? checked.then(() => storeGrant(g)) : storeGrant(g);
  };
  // Types marked TypeScopedEntitlements/Grants get one type-level chain instead of one per
  // resource: the request names the type as a stub resource and carries the marker.
  const typeScoped = (type: ResourceType, schema: DescMessage) =>
    options.typeScoped !== false && hasAnnotation(type.annotations, schema) && !hasAnnotation(type.annotations, SkipEntitlementsAndGrantsSchema);
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

  if (syncId) await call(ConnectorService.method.cleanup, { activeSyncId: syncId });
  report("done");
  return { ...progress, phase: "done", syncId };
}

/** supportsSyncId: the Go syncer sends active_sync_id to connectors of SDK version ≥ 0.4.3. */
function supportsSyncId(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor, patch] = m.slice(1).map(Number) as [number, number, number];
  return major > 0 || minor > 4 || (minor === 4 && patch >= 3);
}

/** checkExpandable fails a GrantExpandable grant whose sources are not its principal's; undefined when there is nothing to check. */
function checkExpandable(grant: Grant, store: SyncStore): Promise<void> | undefined {
  const expandable = findAnnotation(grant.annotations as Any[], GrantExpandableSchema);
  if (!expandable) return undefined;
  return (async () => {
    const principal = grant.principal?.id;
    for (const source of expandable.entitlementIds) {
      const owner = await store.entitlementOwner(source);
      if (owner && (owner.resourceType !== principal?.resourceType || owner.resource !== principal?.resource)) {
        throw new Error(`grant ${grant.id}: expandable source entitlement ${source} does not belong to the grant's principal (source entitlement resource id did not match grant principal id)`);
      }
    }
  })();
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
  grants: Grant[];
}

/** createMemoryStore makes an in-memory SyncStore. */
export function createMemoryStore(): MemoryStore {
  const resources = new Map<string, Resource>();
  const entitlements = new Map<string, Entitlement>();
  const grants = new Map<string, Grant>();
  const resourceTypes: ResourceType[] = [];
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
    putGrant: (g) => void grants.set(g.id, g),
    *resourcesOfType(id) {
      for (const r of resources.values()) if (r.id!.resourceType === id) yield r;
    },
    entitlementOwner: (id) => entitlements.get(id)?.resource?.id,
  };
}
