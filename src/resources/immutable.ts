import { findAnnotation } from "../connector/annotations.js";
import { GrantImmutableSchema, type Grant } from "../connector/c1.js";
import { failedPrecondition } from "../connector/errors.js";

/**
 * refuseImmutable refuses to revoke a grant that cannot be revoked directly: one we marked
 * GrantImmutable (an owner's role, access inherited from an account role, a Google group
 * membership…) or one the syncer derived through group or role expansion (its sources name
 * where the access really comes from). The message says where to act instead.
 */
export function refuseImmutable(grant: Grant): void {
  const entitlement = grant.entitlement?.id ?? "";
  const indirect = Object.keys(grant.sources?.sources ?? {}).filter((source) => source !== entitlement);
  if (indirect.length > 0 && !(entitlement in (grant.sources?.sources ?? {}))) {
    throw failedPrecondition(`grant ${grant.id} is not held directly: the access comes from ${indirect.join(", ")}; revoke that instead`);
  }
  const immutable = findAnnotation(grant.annotations, GrantImmutableSchema);
  if (immutable) {
    const reason = typeof immutable.metadata?.reason === "string" ? immutable.metadata.reason : immutable.sourceId ? `it comes from ${immutable.sourceId}` : "it is derived from other access";
    throw failedPrecondition(`grant ${grant.id} cannot be revoked directly: ${reason}`);
  }
}
