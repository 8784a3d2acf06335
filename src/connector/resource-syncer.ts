import type { Any } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import type { AccountInfo, Entitlement, Grant, Resource, ResourceId, ResourceType } from "./c1.js";
import type { Cursor } from "./page-token.js";

/** CallContext is what every resource-type method gets besides its arguments. */
export interface CallContext {
  /**
   * Fires when the call is over: the caller cancels, its deadline passes, the server shuts down,
   * or its response has been sent (the read-ahead waits for that before building the next page).
   */
  signal: AbortSignal;
  log: Logger;
  /** active_sync_id of the sync this call belongs to, when the caller sent one. */
  syncId?: string;
}

/** ListPage is one page of a list method; next (a resource type's own cursor) means "more". */
export interface ListPage<T> {
  /**
   * The page's items, encoded one by one as they come: made lazily (see lazily), they are never
   * all alive at once (a page of 2,500 grants, all alive, was copied by every young collection).
   */
  items: Iterable<T>;
  next?: Cursor;
  annotations?: Any[];
}

/** lazily makes items from a page of source rows as they are taken (one row may make several). */
export function* lazily<S, T>(rows: Iterable<S>, make: (row: S) => T | readonly T[]): Generator<T> {
  for (const row of rows) {
    const made = make(row);
    if (Array.isArray(made)) yield* made as readonly T[];
    else yield made as T;
  }
}

/** GrantOutcome is what a Grant did; the builder turns it into response annotations. */
export interface GrantOutcome {
  /** The grant now in place. */
  grants: Grant[];
  /** Nothing was written because the principal already held the entitlement. */
  alreadyExists?: boolean;
  /** Id of a grant that the new one replaced (e.g. another permission level on the same namespace). */
  replacedGrantId?: string;
  /** Id of the upstream operation that applied the change, for audit. */
  requestId?: string;
}

/** RevokeOutcome is what a Revoke did. */
export interface RevokeOutcome {
  /** Nothing was written because the principal did not hold the grant. */
  alreadyRevoked?: boolean;
  requestId?: string;
}

/** CreateAccountOutcome is the result of CreateAccount. */
export interface CreateAccountOutcome {
  resource: Resource;
  /** The account existed already; nothing was created. */
  alreadyExists?: boolean;
  /** When an invitation was sent and expires. */
  invitationExpiresAt?: Date;
  requestId?: string;
}

/** DeleteOutcome is the result of DeleteResource. */
export interface DeleteOutcome {
  /** The resource was already gone. */
  notFound?: boolean;
  requestId?: string;
}

/**
 * ResourceSyncer is one resource type: how to list it, its entitlements and its grants, and
 * (optionally) how to provision it. Optional methods are capabilities: the builder derives the
 * advertised capabilities from which of them exist. A list method serves one page per call and
 * returns a cursor for the next; the builder makes the opaque page token out of it.
 */
export interface ResourceSyncer {
  /** The type announced by ListResourceTypes (id, display name, traits, annotations). */
  readonly resourceType: ResourceType;
  /** One page of resources; parent is set when listing children of a resource. */
  list(ctx: CallContext, parent: ResourceId | undefined, cursor: Cursor | undefined): Promise<ListPage<Resource>>;
  /** One page of the entitlements of a resource of this type. */
  entitlements?(ctx: CallContext, resource: Resource, cursor: Cursor | undefined): Promise<ListPage<Entitlement>>;
  /** One page of the grants of a resource of this type. */
  grants?(ctx: CallContext, resource: Resource, cursor: Cursor | undefined): Promise<ListPage<Grant>>;
  /**
   * One page of the entitlements of every resource of this type. With it, the type is announced
   * TypeScopedEntitlements and a v0.25 syncer asks once per type instead of once per resource.
   */
  typeEntitlements?(ctx: CallContext, cursor: Cursor | undefined): Promise<ListPage<Entitlement>>;
  /** One page of the grants of every resource of this type (TypeScopedGrants). */
  typeGrants?(ctx: CallContext, cursor: Cursor | undefined): Promise<ListPage<Grant>>;
  /** One resource by id (targeted sync); undefined when it does not exist. */
  get?(ctx: CallContext, id: ResourceId): Promise<Resource | undefined>;
  /** Grants an entitlement of a resource of this type to a principal. */
  grant?(ctx: CallContext, principal: Resource, entitlement: Entitlement): Promise<GrantOutcome>;
  /** Revokes a grant of an entitlement of a resource of this type. */
  revoke?(ctx: CallContext, grant: Grant): Promise<RevokeOutcome>;
  /** Creates an account of this type (a user). */
  createAccount?(ctx: CallContext, info: AccountInfo): Promise<CreateAccountOutcome>;
  /** Deletes a resource of this type. */
  delete?(ctx: CallContext, id: ResourceId): Promise<DeleteOutcome>;
}
