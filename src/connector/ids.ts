import type { JsonObject } from "@bufbuild/protobuf";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import {
  EntitlementSchema,
  Entitlement_PurposeValue,
  GrantSchema,
  ResourceIdSchema,
  ResourceSchema,
  StatusSchema,
  type Entitlement,
  type Grant,
  type Resource,
  type ResourceId,
  type ResourceType,
  type Status,
  type Status_ResourceStatus,
} from "./c1.js";
import { invalidArgument } from "./errors.js";
import { messageMaker } from "../codec/codecs.js";

// The identifier formulas below are a wire contract (docs/compatibility.md, "Identifier formulas"): existing access reviews
// and policies are keyed on them, so they never change.

/** entitlementId is `<resource type>:<resource id>:<slug>`, a plain join with no escaping. */
export function entitlementId(resource: ResourceId, slug: string): string {
  return `${resource.resourceType}:${resource.resource}:${slug}`;
}

/** grantId is `<entitlement id>:<principal type>:<principal id>`. */
export function grantId(entitlement: string, principal: ResourceId): string {
  return `${entitlement}:${principal.resourceType}:${principal.resource}`;
}

// A sync makes these by the tens of thousands (one of each per grant).
const makeResourceId = messageMaker(ResourceIdSchema);
const makeGrant = messageMaker(GrantSchema);
const makeEntitlement = messageMaker(EntitlementSchema);
const makeResource = messageMaker(ResourceSchema);
const makeStatus = messageMaker(StatusSchema);

/** resourceId builds a ResourceId. */
export function resourceId(resourceType: string, resource: string): ResourceId {
  return makeResourceId({ resourceType, resource });
}

/** ResourceInit describes a resource; what is left out is empty. */
export interface ResourceInit {
  displayName: string;
  description?: string;
  /** Free-form facts shown to reviewers (Resource.profile). */
  profile?: JsonObject;
  status?: Status;
  createdAt?: Timestamp;
  /** Traits, V1 identifiers and other annotations. */
  annotations?: Any[];
  parentResourceId?: ResourceId;
}

/** newResource builds the resource `<type id>:<id>`: the one way resource types make their resources. */
export function newResource(type: ResourceType, id: string, init: ResourceInit): Resource {
  return makeResource({
    id: resourceId(type.id, id),
    displayName: init.displayName,
    description: init.description,
    profile: init.profile,
    status: init.status,
    createdAt: init.createdAt,
    annotations: init.annotations,
    parentResourceId: init.parentResourceId,
  });
}

/** newStatus builds a resource status. */
export function newStatus(status: Status_ResourceStatus, details = ""): Status {
  return makeStatus({ status, details });
}

/**
 * slugOf returns the slug of an entitlement in a provisioning request, checking that its id is
 * `<type>:<resource>:<slug>` for the resource it names. The request's own slug field is not
 * trusted: the platform may leave it out, and the id is what the grant is keyed on.
 */
export function slugOf(entitlement: Entitlement): string {
  const owner = entitlement.resource?.id;
  if (!owner) throw invalidArgument("entitlement.resource.id is required");
  const prefix = `${owner.resourceType}:${owner.resource}:`;
  if (!entitlement.id.startsWith(prefix) || entitlement.id.length === prefix.length) {
    throw invalidArgument(
      `entitlement id "${entitlement.id}" does not match its resource: expected "${prefix}<slug>"`,
    );
  }
  return entitlement.id.slice(prefix.length);
}

/** EntitlementInit describes an entitlement of a resource. */
export interface EntitlementInit {
  displayName: string;
  description: string;
  purpose: "assignment" | "permission";
  grantableTo: ResourceType[];
  annotations?: Any[];
}

/** newEntitlement builds the entitlement `<type>:<id>:<slug>` of a resource. */
export function newEntitlement(resource: Resource, slug: string, init: EntitlementInit): Entitlement {
  if (!resource.id) throw new TypeError("resource without id");
  return makeEntitlement({
    id: entitlementId(resource.id, slug),
    resource,
    slug,
    displayName: init.displayName,
    description: init.description,
    purpose: init.purpose === "assignment" ? Entitlement_PurposeValue.ASSIGNMENT : Entitlement_PurposeValue.PERMISSION,
    grantableTo: init.grantableTo,
    annotations: init.annotations ?? [],
  });
}

/**
 * newGrant builds the grant of entitlement `<resource>:<slug>` to a principal. Like the Go SDK's
 * grant.NewGrant it embeds a stub entitlement (id and resource id) and the principal's id, which
 * is all that readers of grants dereference.
 */
export function newGrant(resource: ResourceId, slug: string, principal: ResourceId, annotations: Any[] = []): Grant {
  const entitlement = stubEntitlement(resource, slug);
  return makeGrant({ id: grantId(entitlement.id, principal), entitlement, principal: makeResource({ id: principal }), annotations });
}

let lastStub = { resourceType: "", resource: "", slug: "", entitlement: undefined as Entitlement | undefined };

/**
 * stubEntitlement is the stub entitlement (id and resource id) grants embed. A sync lists grants
 * entitlement by entitlement, so consecutive grants share one; it is frozen, so sharing is safe.
 */
function stubEntitlement(resource: ResourceId, slug: string): Entitlement {
  const last = lastStub;
  if (last.entitlement && last.slug === slug && last.resource === resource.resource && last.resourceType === resource.resourceType) return last.entitlement;
  const id = Object.freeze(makeResourceId({ resourceType: resource.resourceType, resource: resource.resource }));
  const entitlement = Object.freeze(makeEntitlement({ id: entitlementId(resource, slug), resource: Object.freeze(makeResource({ id })) }));
  lastStub = { resourceType: resource.resourceType, resource: resource.resource, slug, entitlement };
  return entitlement;
}
