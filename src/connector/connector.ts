import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromDate, type Any } from "@bufbuild/protobuf/wkt";
import {
  Capability,
  CapabilityDetailCredentialOption,
  ConnectorCapabilitiesSchema,
  ConnectorMetadataSchema,
  ResourceTypeCapabilitySchema,
  GrantAlreadyExistsSchema,
  GrantAlreadyRevokedSchema,
  GrantReplacedSchema,
  RequestIdSchema,
  EntitlementSchema,
  GrantSchema,
  ResourceDoesNotExistSchema,
  ResourceSchema,
  ResourceTypeSchema,
  TypeScopedEntitlementsSchema,
  TypeScopedGrantsSchema,
  type ConnectorCapabilities,
  type ConnectorMetadata,
  type ResourceType,
  type CreateAccountRequest,
  type CreateAccountResponseSchema,
  type DeleteResourceRequest,
  type EntitlementsServiceListEntitlementsRequest,
  EntitlementsServiceListEntitlementsResponseSchema,
  type EntitlementsServiceListStaticEntitlementsRequest,
  type EntitlementsServiceListStaticEntitlementsResponseSchema,
  type GrantManagerServiceGrantRequest,
  type GrantManagerServiceGrantResponseSchema,
  type GrantManagerServiceRevokeRequest,
  type GrantManagerServiceRevokeResponseSchema,
  type GrantsServiceListGrantsRequest,
  GrantsServiceListGrantsResponseSchema,
  type ResourceGetterServiceGetResourceRequest,
  type ResourceGetterServiceGetResourceResponseSchema,
  type ResourceTypesServiceListResourceTypesRequest,
  type ResourceTypesServiceListResourceTypesResponseSchema,
  type ResourcesServiceListResourcesRequest,
  ResourcesServiceListResourcesResponseSchema,
  type ListEventFeedsResponseSchema,
  type ListEventsRequest,
  type ListEventsResponseSchema,
} from "./c1.js";
import { annotation, hasAnnotation } from "./annotations.js";
import { Code, ConnectorError, failedPrecondition, invalidArgument, toConnectorError, type ErrorTranslator } from "./errors.js";
import { createEventFeeds, type EventFeed } from "./event-feed.js";
import { encodeInit, encodeListItems, type EncodedMessage } from "../codec/codecs.js";
import { decodePageToken, encodePageToken, type Cursor, type PageScope } from "./page-token.js";
import { createReadAhead } from "./read-ahead.js";
import type { CallContext, ListPage, ResourceSyncer } from "./resource-syncer.js";
import type { SyncedObjectKind, SyncObserver } from "./sync-observer.js";
import type { TokenSealer } from "./token-seal.js";

/** SDK_VERSION is the baton protocol level we implement; ≥ v0.4.3 makes the syncer send active_sync_id. */
export const SDK_VERSION = "v0.25.0";

/** ConnectorOptions configures createConnector. */
export interface ConnectorOptions {
  /** The resource types, in the order ListResourceTypes announces them. */
  resourceTypes: readonly ResourceSyncer[];
  /** Display name, description, account creation schema…; capabilities are filled in. */
  metadata: MessageInitShape<typeof ConnectorMetadataSchema>;
  /** When false, Grant, Revoke, CreateAccount and DeleteResource are refused. */
  provisioning: boolean;
  /** Checks the upstream credentials (Validate); may return annotations for the response. */
  validate(ctx: CallContext): Promise<Any[] | void>;
  /** Forgets what was cached for a sync (Cleanup). */
  cleanup?(syncId: string): void;
  /** What the failures of the upstream the resource types call mean for a caller (see errorOf). */
  translateError?: ErrorTranslator;
  /** Build a sync's next list page while the syncer stores the current one (default true). */
  readAhead?: boolean;
  /** Event feeds served by EventService; any feed makes the connector announce CAPABILITY_EVENT_FEED_V2. */
  eventFeeds?: readonly EventFeed[];
  /** Told about the pages served to syncs and their Cleanup (metrics). */
  syncObserver?: SyncObserver;
  /** Seals page tokens and event-feed cursors (token-seal.ts): the same key on every replica. */
  tokenSealer: TokenSealer;
}

type Init<S extends Parameters<typeof create>[0]> = MessageInitShape<S>;

/** CallInfo is the per-call part of a CallContext; the builder adds the sync id from the request. */
export type CallInfo = Omit<CallContext, "syncId">;

/**
 * Connector is the protocol-neutral core behind the c1.connector.v2 services: the server edge
 * decodes a request, calls the matching method and sends what it returns. The list methods answer
 * with their response already encoded (EncodedMessage): a sync's pages are most of what the
 * connector sends, and they are encoded once, item by item, within the message size limit; the
 * edge hands them to the caller's codec (src/codec/codecs.ts toSend).
 */
export interface Connector {
  readonly provisioning: boolean;
  /**
   * errorOf says what a failure of one of these methods means for the caller (a code and a
   * message safe to show), or undefined when it is a bug, to be reported as Internal.
   */
  errorOf(err: unknown): ConnectorError | undefined;
  capabilities(): ConnectorCapabilities;
  metadata(): ConnectorMetadata;
  /** validate answers Validate with the annotations of its response. */
  validate(info: CallInfo): Promise<Any[]>;
  cleanup(syncId: string): void;
  listEventFeeds(): Init<typeof ListEventFeedsResponseSchema>;
  listEvents(req: ListEventsRequest, info: CallInfo): Promise<Init<typeof ListEventsResponseSchema>>;
  listResourceTypes(req: ResourceTypesServiceListResourceTypesRequest): Init<typeof ResourceTypesServiceListResourceTypesResponseSchema>;
  listResources(req: ResourcesServiceListResourcesRequest, info: CallInfo): Promise<EncodedMessage<typeof ResourcesServiceListResourcesResponseSchema>>;
  getResource(req: ResourceGetterServiceGetResourceRequest, info: CallInfo): Promise<Init<typeof ResourceGetterServiceGetResourceResponseSchema>>;
  listEntitlements(req: EntitlementsServiceListEntitlementsRequest, info: CallInfo): Promise<EncodedMessage<typeof EntitlementsServiceListEntitlementsResponseSchema>>;
  listStaticEntitlements(req: EntitlementsServiceListStaticEntitlementsRequest): Init<typeof EntitlementsServiceListStaticEntitlementsResponseSchema>;
  listGrants(req: GrantsServiceListGrantsRequest, info: CallInfo): Promise<EncodedMessage<typeof GrantsServiceListGrantsResponseSchema>>;
  grant(req: GrantManagerServiceGrantRequest, info: CallInfo): Promise<Init<typeof GrantManagerServiceGrantResponseSchema>>;
  revoke(req: GrantManagerServiceRevokeRequest, info: CallInfo): Promise<Init<typeof GrantManagerServiceRevokeResponseSchema>>;
  createAccount(req: CreateAccountRequest, info: CallInfo): Promise<Init<typeof CreateAccountResponseSchema>>;
  /** Serves both ResourceManagerService/DeleteResource and ResourceDeleterService/DeleteResourceV2. */
  deleteResource(req: Pick<DeleteResourceRequest, "resourceId">, info: CallInfo): Promise<{ annotations: Any[] }>;
}

/**
 * createConnector is our "connectorbuilder": it routes each request to the resource type it is
 * about, turns resource-type cursors into opaque page tokens and back, enforces the protocol's
 * rules (provisioning gate, unknown types, token loops), and derives capabilities from the
 * methods each resource type implements.
 */
export function createConnector(options: ConnectorOptions): Connector {
  const byId = new Map(options.resourceTypes.map((t) => [t.resourceType.id, t]));
  const types = options.resourceTypes;
  const announced = types.map(announce);

  function typeOf(id: string | undefined, what: string): ResourceSyncer {
    const syncer = id ? byId.get(id) : undefined;
    if (!syncer) {
      throw invalidArgument(`${what}: unknown resource type "${id ?? ""}"; this connector has ${types.map((t) => t.resourceType.id).join(", ")}`);
    }
    return syncer;
  }

  // Sized like the account snapshots a sync reads (temporal-account.ts): a few syncs at once,
  // each walking a list or two at a time.
  const readAhead = options.readAhead === false ? undefined : createReadAhead<BuiltPage<DescMessage>>({ maxSyncs: 4, idleMs: 10 * 60_000, perSync: 4 });

  function requireProvisioning(): void {
    if (!options.provisioning) throw failedPrecondition("provisioning is not enabled");
  }

  /** page answers one list call; in a sync, with the page built ahead and building the next. */
  async function page<S extends DescMessage, R extends DescMessage>(
    scope: PageScope,
    token: string,
    schemas: { item: S; response: R },
    ctx: CallContext,
    list: (ctx: CallContext, cursor: Cursor | undefined) => Promise<ListPage<MessageShape<S>>>,
  ): Promise<EncodedMessage<R>> {
    // A page built ahead was built for this scope, so for this response type.
    const built = ((await readAhead?.take(ctx, scope, token)) as BuiltPage<R> | undefined) ?? (await buildPage(scope, token, schemas, (cursor) => list(ctx, cursor)));
    if (ctx.syncId) options.syncObserver?.pageServed(ctx.syncId, SYNCED_KINDS[scope.op], built.count);
    const next = built.nextPageToken;
    if (next !== "") readAhead?.start(ctx, scope, next, (aheadCtx) => buildPage(scope, next, schemas, (cursor) => list(aheadCtx, cursor)));
    return built.response;
  }

  /**
   * buildPage decodes the token, calls the resource type, and encodes the next token and the
   * response. Whatever the data, a response stays within PAGE_BYTES: when a resource type's page
   * is larger, the rest of it is served by the next call, whose token says how many items to skip
   * (so the resource type needs no notion of message size).
   */
  async function buildPage<S extends DescMessage, R extends DescMessage>(
    scope: PageScope,
    token: string,
    schemas: { item: S; response: R },
    list: (cursor: Cursor | undefined) => Promise<ListPage<MessageShape<S>>>,
  ): Promise<BuiltPage<R>> {
    const position = pagePosition(decodePageToken(options.tokenSealer, scope, token));
    const result = await list(position.cursor);
    // The pages of a sync are most of what the connector sends: they are encoded here, once.
    const page = encodeListItems(schemas.response, position.skip > 0 ? skip(result.items, position.skip) : result.items, PAGE_BYTES);
    let next: PagePosition | undefined;
    if (page.more) next = { cursor: position.cursor, skip: position.skip + page.count };
    else if (result.next !== undefined) next = { cursor: result.next, skip: 0 };
    const nextPageToken = next === undefined ? "" : encodePageToken(options.tokenSealer, scope, next.skip > 0 ? { c: next.cursor ?? null, s: next.skip } : { c: next.cursor ?? null });
    if (token !== "" && nextPageToken === token) {
      // The Go SDK refuses this too: a list that hands back the token it was given never ends.
      throw new ConnectorError(Code.Internal, `list ${scope.op} of ${scope.resourceType} returned its own page token again`);
    }
    // Every list response is `list`, `next_page_token` and `annotations`.
    const rest = { nextPageToken, annotations: result.annotations ?? [] } as unknown as Omit<MessageInitShape<R>, "list">;
    return { response: page.finish(rest), nextPageToken, count: page.count };
  }

  /** typeScoped returns a type-level list method, refusing types that do not have one (as the Go SDK does). */
  function typeScoped<F>(list: F | undefined, syncer: ResourceSyncer, what: string): F {
    if (!list) throw invalidArgument(`type-scoped ${what} are not supported for ${syncer.resourceType.id}; list them per resource`);
    return list;
  }

  const eventFeeds = createEventFeeds(options.eventFeeds ?? [], options.tokenSealer);
  const capabilities = create(ConnectorCapabilitiesSchema, computeCapabilities(types, announced));
  if (options.eventFeeds?.length) capabilities.connectorCapabilities = [...capabilities.connectorCapabilities, Capability.EVENT_FEED_V2].sort((a, b) => a - b);
  const metadata = create(ConnectorMetadataSchema, { ...options.metadata, capabilities });

  return {
    provisioning: options.provisioning,
    errorOf: (err) => toConnectorError(err, options.translateError),
    capabilities: () => capabilities,
    metadata: () => metadata,
    validate: async (info) => (await options.validate(info)) ?? [],
    cleanup(syncId) {
      options.syncObserver?.syncEnded(syncId);
      readAhead?.forget(syncId);
      options.cleanup?.(syncId);
    },

    listEventFeeds: eventFeeds.listEventFeeds,
    listEvents: (req, info) => eventFeeds.listEvents(req, info),

    listResourceTypes(req) {
      if (req.pageToken !== "") throw invalidArgument("page_token: resource types are listed in a single page; call again without a page_token");
      return { list: announced };
    },

    async listResources(req, info) {
      const syncer = typeOf(req.resourceTypeId, "resource_type_id");
      const parent = req.parentResourceId;
      const scope: PageScope = { op: "resources", resourceType: syncer.resourceType.id, resource: parent ? `${parent.resourceType}:${parent.resource}` : undefined };
      const ctx = { ...info, syncId: req.activeSyncId || undefined };
      return page(scope, req.pageToken, RESOURCES, ctx, (c, cursor) => syncer.list(c, parent, cursor));
    },

    async getResource(req, info) {
      const id = req.resourceId;
      if (!id) throw invalidArgument("resource_id is required");
      const syncer = typeOf(id.resourceType, "resource_id.resource_type");
      if (!syncer.get) throw new ConnectorError(Code.Unimplemented, `resource type ${id.resourceType} does not support GetResource`);
      const resource = await syncer.get({ ...info, syncId: req.activeSyncId || undefined }, id);
      if (!resource) throw new ConnectorError(Code.NotFound, `${id.resourceType} ${id.resource} not found`);
      return { resource };
    },

    async listEntitlements(req, info) {
      const resource = req.resource;
      if (!resource?.id) throw invalidArgument("resource with an id is required");
      const syncer = typeOf(resource.id.resourceType, "resource.id.resource_type");
      const ctx = { ...info, syncId: req.activeSyncId || undefined };
      if (hasAnnotation(req.annotations, TypeScopedEntitlementsSchema)) {
        const list = typeScoped(syncer.typeEntitlements, syncer, "entitlements");
        return page({ op: "type-entitlements", resourceType: resource.id.resourceType }, req.pageToken, ENTITLEMENTS, ctx, (c, cursor) => list.call(syncer, c, cursor));
      }
      const list = syncer.entitlements;
      if (!list) return emptyList(ENTITLEMENTS.response);
      const scope: PageScope = { op: "entitlements", resourceType: resource.id.resourceType, resource: resource.id.resource };
      return page(scope, req.pageToken, ENTITLEMENTS, ctx, (c, cursor) => list.call(syncer, c, resource, cursor));
    },

    listStaticEntitlements(req) {
      typeOf(req.resourceTypeId, "resource_type_id");
      // Every entitlement here has a per-resource display name, so none is a static template.
      return { list: [], nextPageToken: "" };
    },

    async listGrants(req, info) {
      const resource = req.resource;
      if (!resource?.id) throw invalidArgument("resource with an id is required");
      const syncer = typeOf(resource.id.resourceType, "resource.id.resource_type");
      const ctx = { ...info, syncId: req.activeSyncId || undefined };
      if (hasAnnotation(req.annotations, TypeScopedGrantsSchema)) {
        const list = typeScoped(syncer.typeGrants, syncer, "grants");
        return page({ op: "type-grants", resourceType: resource.id.resourceType }, req.pageToken, GRANTS, ctx, (c, cursor) => list.call(syncer, c, cursor));
      }
      const list = syncer.grants;
      if (!list) return emptyList(GRANTS.response);
      const scope: PageScope = { op: "grants", resourceType: resource.id.resourceType, resource: resource.id.resource };
      return page(scope, req.pageToken, GRANTS, ctx, (c, cursor) => list.call(syncer, c, resource, cursor));
    },

    async grant(req, info) {
      requireProvisioning();
      const { entitlement, principal } = req;
      if (!entitlement?.resource?.id || !principal?.id) throw invalidArgument("entitlement (with its resource) and principal are required");
      const syncer = typeOf(entitlement.resource.id.resourceType, "entitlement.resource.id.resource_type");
      if (!syncer.grant) throw new ConnectorError(Code.Unimplemented, `entitlements of ${syncer.resourceType.id} cannot be granted`);
      const outcome = await syncer.grant(info, principal, entitlement);
      const annotations: Any[] = [];
      if (outcome.alreadyExists) annotations.push(annotation(GrantAlreadyExistsSchema));
      if (outcome.replacedGrantId) annotations.push(annotation(GrantReplacedSchema, { replacedGrantId: outcome.replacedGrantId }));
      if (outcome.requestId) annotations.push(annotation(RequestIdSchema, { requestId: outcome.requestId }));
      return { grants: outcome.grants, annotations };
    },

    async revoke(req, info) {
      requireProvisioning();
      const grant = req.grant;
      if (!grant?.entitlement?.resource?.id || !grant.principal?.id) throw invalidArgument("grant with entitlement (and its resource) and principal is required");
      const syncer = typeOf(grant.entitlement.resource.id.resourceType, "grant.entitlement.resource.id.resource_type");
      if (!syncer.revoke) throw new ConnectorError(Code.Unimplemented, `entitlements of ${syncer.resourceType.id} cannot be revoked`);
      const outcome = await syncer.revoke(info, grant);
      const annotations: Any[] = [];
      if (outcome.alreadyRevoked) annotations.push(annotation(GrantAlreadyRevokedSchema));
      if (outcome.requestId) annotations.push(annotation(RequestIdSchema, { requestId: outcome.requestId }));
      return { annotations };
    },

    async createAccount(req, info) {
      requireProvisioning();
      const managers = types.filter((t) => t.createAccount);
      // Without a resource type, the one type that creates accounts does (as in the Go builder).
      const syncer = req.resourceTypeId ? typeOf(req.resourceTypeId, "resource_type_id") : managers.length === 1 ? managers[0]! : undefined;
      if (!syncer) throw invalidArgument(`resource_type_id is required: accounts can be created of types ${managers.map((t) => t.resourceType.id).join(", ")}`);
      if (!syncer.createAccount) throw new ConnectorError(Code.Unimplemented, `resource type ${syncer.resourceType.id} does not support account creation`);
      if (!req.accountInfo) throw invalidArgument("account_info is required");
      const outcome = await syncer.createAccount(info, req.accountInfo);
      const annotations = outcome.requestId ? [annotation(RequestIdSchema, { requestId: outcome.requestId })] : [];
      if (outcome.alreadyExists) {
        return { result: { case: "alreadyExists", value: { resource: outcome.resource, isCreateAccountResult: true } }, annotations };
      }
      const invitationExpiresAt = outcome.invitationExpiresAt && timestampFromDate(outcome.invitationExpiresAt);
      return { result: { case: "success", value: { resource: outcome.resource, isCreateAccountResult: true, invitationExpiresAt } }, annotations };
    },

    async deleteResource(req, info) {
      requireProvisioning();
      const id = req.resourceId;
      if (!id) throw invalidArgument("resource_id is required");
      const syncer = typeOf(id.resourceType, "resource_id.resource_type");
      if (!syncer.delete) throw new ConnectorError(Code.Unimplemented, `resources of type ${id.resourceType} cannot be deleted`);
      const outcome = await syncer.delete(info, id);
      const annotations: Any[] = [];
      if (outcome.notFound) annotations.push(annotation(ResourceDoesNotExistSchema));
      if (outcome.requestId) annotations.push(annotation(RequestIdSchema, { requestId: outcome.requestId }));
      return { annotations };
    },
  };
}

/**
 * PAGE_BYTES keeps every list response under gRPC's default 4 MiB message limit, which neither
 * the Go syncer nor this server raises, with room for the envelope and annotations.
 */
export const PAGE_BYTES = 3 * 1024 * 1024;

const RESOURCES = { item: ResourceSchema, response: ResourcesServiceListResourcesResponseSchema };
const ENTITLEMENTS = { item: EntitlementSchema, response: EntitlementsServiceListEntitlementsResponseSchema };
const GRANTS = { item: GrantSchema, response: GrantsServiceListGrantsResponseSchema };

/** PagePosition is where a list resumes: a resource type's cursor and items of its page to skip. */
interface PagePosition {
  cursor: Cursor | undefined;
  skip: number;
}

/** SYNCED_KINDS says what each kind of list page holds, for the sync observer. */
const SYNCED_KINDS: Record<PageScope["op"], SyncedObjectKind> = {
  resources: "resources",
  entitlements: "entitlements",
  "type-entitlements": "entitlements",
  grants: "grants",
  "type-grants": "grants",
};

/** BuiltPage is a list response, encoded, and the token it hands out ("" on the last page). */
interface BuiltPage<R extends DescMessage> {
  response: EncodedMessage<R>;
  nextPageToken: string;
  /** How many items the page holds. */
  count: number;
}

/** emptyList is the last (and only) page of a list with nothing in it. */
function emptyList<R extends DescMessage>(schema: R): EncodedMessage<R> {
  return { schema, bytes: encodeInit(schema, {} as MessageInitShape<R>) };
}

/**
 * MAX_SKIP bounds the items a token may skip: a genuine one skips part of one resource type's page,
 * which never holds this many (upstream pages hold 1,000, access-index pages 2,500).
 */
const MAX_SKIP = 100_000;

function pagePosition(decoded: Cursor | undefined): PagePosition {
  if (decoded === undefined) return { cursor: undefined, skip: 0 };
  const envelope = decoded as { c?: Cursor; s?: unknown };
  const skipsAny = (s: unknown) => Number.isInteger(s) && (s as number) > 0 && (s as number) <= MAX_SKIP;
  if (typeof envelope !== "object" || envelope === null || Array.isArray(envelope) || !("c" in envelope) || (envelope.s !== undefined && !skipsAny(envelope.s))) {
    throw invalidArgument("page_token does not belong to this list; start again without a page_token");
  }
  return { cursor: envelope.c === null ? undefined : envelope.c, skip: (envelope.s as number | undefined) ?? 0 };
}

/** skip passes over the first `count` items (of a page that did not fit in one response). */
function* skip<T>(items: Iterable<T>, count: number): Generator<T> {
  for (const item of items) {
    if (count > 0) count--;
    else yield item;
  }
}

/**
 * announce is the ResourceType a syncer announces: its own, marked TypeScopedEntitlements or
 * TypeScopedGrants when it can list them for the whole type, so that a v0.25 syncer makes one
 * chain of calls per type instead of one per resource. Older syncers ignore the markers and list
 * per resource, which every type still serves.
 */
function announce(syncer: ResourceSyncer): ResourceType {
  const type = syncer.resourceType;
  const markers = [
    ...(syncer.typeEntitlements ? [annotation(TypeScopedEntitlementsSchema)] : []),
    ...(syncer.typeGrants ? [annotation(TypeScopedGrantsSchema)] : []),
  ];
  return markers.length === 0 ? type : create(ResourceTypeSchema, { ...type, annotations: [...type.annotations, ...markers] });
}

/** computeCapabilities derives capabilities from the methods each resource type implements. */
function computeCapabilities(types: readonly ResourceSyncer[], announced: readonly ResourceType[]): MessageInitShape<typeof ConnectorCapabilitiesSchema> {
  const perType: MessageInitShape<typeof ResourceTypeCapabilitySchema>[] = [];
  const all = new Set<Capability>();
  for (const [i, t] of types.entries()) {
    const caps: Capability[] = [Capability.SYNC];
    if (t.get) caps.push(Capability.TARGETED_SYNC);
    if (t.grant && t.revoke) caps.push(Capability.PROVISION);
    if (t.createAccount) caps.push(Capability.ACCOUNT_PROVISIONING);
    if (t.delete) caps.push(Capability.RESOURCE_DELETE);
    caps.sort((a, b) => a - b);
    caps.forEach((c) => all.add(c));
    perType.push({ resourceType: announced[i], capabilities: caps });
  }
  if (all.has(Capability.TARGETED_SYNC)) all.add(Capability.SERVICE_MODE_TARGETED_SYNC);
  const accountProvisioning = types.some((t) => t.createAccount);
  return {
    resourceTypeCapabilities: perType,
    connectorCapabilities: [...all].sort((a, b) => a - b),
    credentialDetails: accountProvisioning
      ? {
          // Temporal Cloud invites new users by email: there is never a credential to hand back.
          capabilityAccountProvisioning: {
            supportedCredentialOptions: [CapabilityDetailCredentialOption.NO_PASSWORD],
            preferredCredentialOption: CapabilityDetailCredentialOption.NO_PASSWORD,
          },
        }
      : undefined,
  };
}
