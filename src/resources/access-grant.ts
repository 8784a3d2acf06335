import type { Any } from "@bufbuild/protobuf/wkt";
import { annotation, v1Identifier } from "../connector/annotations.js";
import { GrantExpandableSchema, GrantImmutableSchema, type Grant, type ResourceId } from "../connector/c1.js";
import { entitlementId, newGrant, resourceId } from "../connector/ids.js";
import type { AccessRow } from "./access-index.js";

/** MEMBER is the slug of the membership entitlement of groups, account roles and custom roles. */
export const MEMBER = "member";

/**
 * accessGrant turns an access row into a grant. Access held by a group or an account role is
 * marked expandable through that principal's own `member` entitlement, so the platform passes it
 * on to the members (the syncer requires the source entitlement to belong to the principal).
 * v1Id gives the legacy V1Identifier of grants to users, where the official connector had one.
 */
export function accessGrant(resource: ResourceId, slug: string, row: AccessRow, v1Id?: (userId: string) => string): Grant {
  const principal = resourceId(row.principalType, row.principalId);
  const annotations: Any[] = [];
  if (row.principalType === "group" || row.principalType === "account-role") {
    annotations.push(annotation(GrantExpandableSchema, { entitlementIds: [entitlementId(principal, MEMBER)] }));
  }
  if (row.immutable) {
    annotations.push(annotation(GrantImmutableSchema, { metadata: { reason: row.immutable } }));
  }
  if (row.principalType === "user" && v1Id) annotations.push(v1Identifier(v1Id(row.principalId)));
  return newGrant(resource, slug, principal, annotations);
}
