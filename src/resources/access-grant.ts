import type { Any } from "@bufbuild/protobuf/wkt";
import { annotation, v1Identifier } from "../connector/annotations.js";
import { GrantExpandableSchema, GrantImmutableSchema, type Grant, type ResourceId } from "../connector/c1.js";
import { entitlementId, newGrant, resourceId } from "../connector/ids.js";
import type { AccessRow } from "./access-index.js";
import { ACCOUNT_ROLE, GROUP, USER } from "./resource-types.js";

/** MEMBER is the slug of the membership entitlement of groups, account roles and custom roles. */
export const MEMBER = "member";

/** AccessGrantInit says what a grant of access carries besides its ids. */
export interface AccessGrantInit {
  /** Why the grant cannot be revoked directly, when it cannot (GrantImmutable). */
  immutable?: string;
  /** The legacy V1Identifier of a grant to a user, where the official connector had one. */
  v1Id?: (userId: string) => string;
}

/**
 * accessGrant turns an access row into a grant. Access held by a group or an account role is
 * marked expandable through that principal's own `member` entitlement, so the platform passes it
 * on to the members (the syncer requires the source entitlement to belong to the principal).
 */
export function accessGrant(resource: ResourceId, slug: string, row: AccessRow, init: AccessGrantInit = {}): Grant {
  const principal = resourceId(row.principalType, row.principalId);
  const annotations: Any[] = [];
  if (row.principalType === GROUP.id || row.principalType === ACCOUNT_ROLE.id) {
    annotations.push(annotation(GrantExpandableSchema, { entitlementIds: [entitlementId(principal, MEMBER)] }));
  }
  if (init.immutable) annotations.push(annotation(GrantImmutableSchema, { metadata: { reason: init.immutable } }));
  if (row.principalType === USER.id && init.v1Id) annotations.push(v1Identifier(init.v1Id(row.principalId)));
  return newGrant(resource, slug, principal, annotations);
}
