import { randomUUID } from "node:crypto";
import { annotation, findAnnotation } from "../connector/annotations.js";
import { EntitlementImmutableSchema, GrantImmutableSchema, GroupTraitSchema, type Entitlement, type Grant, type Resource } from "../connector/c1.js";
import { Code, ConnectorError, failedPrecondition, invalidArgument } from "../connector/errors.js";
import { newEntitlement, newGrant, newResource, resourceId, slugOf } from "../connector/ids.js";
import { stringCursor, type Cursor } from "../connector/page-token.js";
import type { CallContext, ResourceSyncer } from "../connector/resource-syncer.js";
import type { UserGroup, UserGroupMember } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { MEMBER } from "./access-grant.js";
import { ROWS_PER_PAGE } from "./access-index.js";
import { TemporalApiError } from "../temporal/errors.js";
import { clipToBytes, iso, isNotFound, orUndefinedIfMissing, profile, resourceStatus, stateName, pageOf } from "./common.js";
import { refuseImmutable } from "./immutable.js";
import { GROUP, USER } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";
import { externallyManaged, groupSource, roleSlug, type GroupSource } from "./temporal-access.js";

/** groupResource converts a Temporal user group into a `group` resource. */
export function groupResource(group: UserGroup): Resource {
  const spec = group.spec;
  const source = groupSource(group);
  const accountAccess = spec?.access?.accountAccess;
  const details = profile({
    group_id: group.id,
    source,
    email: spec?.groupType.case === "googleGroup" ? spec.groupType.value.emailAddress : undefined,
    idp_id: spec?.groupType.case === "scimGroup" ? spec.groupType.value.idpId : undefined,
    account_role: accountAccess ? roleSlug(accountAccess.role) : undefined,
    custom_roles: clipToBytes(accountAccess?.customRoles.join(",") ?? "", 4096),
    state: stateName(group.state),
    last_modified_at: iso(group.lastModifiedTime),
  });
  return newResource(GROUP, group.id, {
    displayName: spec?.displayName || group.id,
    profile: details,
    status: resourceStatus(group.state),
    createdAt: group.createdTime,
    annotations: [annotation(GroupTraitSchema, { groupSourceType: source })],
  });
}

/** byId orders groups by id: the order typeGrants walks them in, whatever order the API lists them in. */
function byId(groups: readonly UserGroup[]): UserGroup[] {
  return [...groups].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** createGroupSyncer builds the `group` resource type. */
export function createGroupSyncer(account: TemporalAccount): ResourceSyncer {
  /** sourceOf reads the group's kind from the resource the syncer sent back, or asks upstream. */
  async function sourceOf(ctx: CallContext, resource: Resource): Promise<GroupSource> {
    const trait = findAnnotation(resource.annotations, GroupTraitSchema);
    if (trait?.groupSourceType === "google" || trait?.groupSourceType === "scim" || trait?.groupSourceType === "cloud") return trait.groupSourceType;
    return groupSource(await account.client.getUserGroup(resource.id!.resource, { signal: ctx.signal }));
  }

  return {
    resourceType: GROUP,
    async list(ctx, parent, cursor) {
      if (parent) return { items: [] };
      const snapshot = account.snapshot(ctx);
      if (ctx.syncId) {
        // A sync that lists groups lists their members next: read them ahead, so that those
        // round trips overlap with the rest of the sync instead of adding up at the end. In the
        // order typeGrants walks them, so that its first pages are ready first.
        snapshot.groups.all().then((groups) => snapshot.prefetchMembers(byId(groups).map((g) => g.id)), () => {});
      }
      return pageOf(ctx, snapshot.groups, cursor, groupResource);
    },
    async get(ctx, id) {
      const group = await orUndefinedIfMissing(account.client.getUserGroup(id.resource, { signal: ctx.signal }));
      return group && groupResource(group);
    },
    async entitlements(ctx, resource) {
      return { items: [memberEntitlement(resource, await sourceOf(ctx, resource))] };
    },
    async typeEntitlements(ctx, cursor) {
      return pageOf(ctx, account.snapshot(ctx).groups, cursor, (group) => memberEntitlement(groupResource(group), groupSource(group)));
    },
    async grants(ctx, resource, cursor) {
      const groupId = resource.id!.resource;
      const [reason, page] = await Promise.all([
        sourceOf(ctx, resource).then(externallyManaged),
        account.snapshot(ctx).groupMembers(groupId).page(stringCursor(cursor), ctx.signal),
      ]);
      return { items: memberGrants(groupId, page.items, reason), next: page.nextPageToken || undefined };
    },
    /** typeGrants walks every group's members in group-id order; the cursor is a group and its members' page token. */
    async typeGrants(ctx, cursor) {
      const snapshot = account.snapshot(ctx);
      const groups = byId(await snapshot.groups.all(ctx.signal));
      if (ctx.syncId) snapshot.prefetchMembers(groups.map((g) => g.id));
      const at = memberCursor(cursor);
      const items: Grant[] = [];
      let i = at ? groups.findIndex((g) => g.id >= at.group) : 0;
      if (i < 0) return { items };
      for (let token = at && groups[i]!.id === at.group ? at.token : ""; i < groups.length; i++, token = "") {
        const group = groups[i]!;
        const reason = externallyManaged(groupSource(group));
        do {
          const page = await snapshot.groupMembers(group.id).page(token, ctx.signal);
          items.push(...memberGrants(group.id, page.items, reason));
          token = page.nextPageToken;
          if (items.length >= ROWS_PER_PAGE) {
            const next = token ? { group: group.id, token } : groups[i + 1] && { group: groups[i + 1]!.id, token: "" };
            return { items, next };
          }
        } while (token);
      }
      return { items };
    },

    /** grant adds a user to a Cloud group; Google and SCIM groups are managed by their IdP. */
    async grant(ctx, principal, entitlement) {
      const groupId = groupOfMemberEntitlement(entitlement);
      const group = await cloudGroup(ctx, groupId);
      if (!group) throw new ConnectorError(Code.NotFound, `group ${groupId} not found`);
      const userId = principal.id!;
      if (userId.resourceType !== USER.id) throw invalidArgument(`only users can be members of a group, not "${userId.resourceType}"`);
      if (!(await orUndefinedIfMissing(account.client.getUser(userId.resource, { signal: ctx.signal })))) {
        throw new ConnectorError(Code.NotFound, `user ${userId.resource} not found`);
      }
      const grants = [memberGrant(groupId, userId.resource, undefined)];
      if (await isMember(ctx, groupId, userId.resource)) return { grants, alreadyExists: true };
      try {
        const op = await account.client.addUserGroupMember(groupId, userId.resource, { operationId: randomUUID(), signal: ctx.signal });
        return { grants, requestId: (await account.awaitOperation(op, ctx)).id };
      } catch (err) {
        // Added concurrently since we looked: the status code says so, no message matching.
        if (err instanceof TemporalApiError && err.kind === "already-exists") return { grants, alreadyExists: true };
        throw err;
      }
    },

    async revoke(ctx, grant) {
      refuseImmutable(grant);
      const groupId = groupOfMemberEntitlement(grant.entitlement!);
      const userId = grant.principal!.id!;
      const group = await cloudGroup(ctx, groupId);
      if (!group || userId.resourceType !== USER.id || !(await isMember(ctx, groupId, userId.resource))) return { alreadyRevoked: true };
      try {
        const op = await account.client.removeUserGroupMember(groupId, userId.resource, { operationId: randomUUID(), signal: ctx.signal });
        return { requestId: (await account.awaitOperation(op, ctx)).id };
      } catch (err) {
        if (isNotFound(err)) return { alreadyRevoked: true };
        throw err;
      }
    },
  };

  /** cloudGroup reads a group whose membership we may change, refusing Google and SCIM groups. */
  async function cloudGroup(ctx: CallContext, groupId: string): Promise<UserGroup | undefined> {
    const group = await orUndefinedIfMissing(account.client.getUserGroup(groupId, { signal: ctx.signal }));
    const reason = group && externallyManaged(groupSource(group));
    if (reason) throw failedPrecondition(`group ${group!.spec?.displayName || groupId}: ${reason}; change it there`);
    return group;
  }

  /** isMember walks the group's members (one request per 1,000). */
  async function isMember(ctx: CallContext, groupId: string, userId: string): Promise<boolean> {
    let pageToken: string | undefined;
    do {
      const page = await account.client.listUserGroupMembers(groupId, { pageToken }, { signal: ctx.signal });
      if (page.items.some((m) => m.memberId?.memberType.case === "userId" && m.memberId.memberType.value === userId)) return true;
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    return false;
  }
}

/** memberGrant is the grant of a group's membership; IdP-managed memberships are immutable here. */
function memberGrant(groupId: string, userId: string, immutableReason: string | undefined): Grant {
  const annotations = immutableReason ? [annotation(GrantImmutableSchema, { metadata: { reason: immutableReason } })] : [];
  return newGrant(resourceId(GROUP.id, groupId), MEMBER, resourceId(USER.id, userId), annotations);
}

function memberGrants(groupId: string, members: readonly UserGroupMember[], immutableReason: string | undefined): Grant[] {
  return members.flatMap((m) => (m.memberId?.memberType.case === "userId" ? [memberGrant(groupId, m.memberId.memberType.value, immutableReason)] : []));
}

/** memberEntitlement is a group's `member` entitlement, immutable when an IdP manages membership. */
export function memberEntitlement(resource: Resource, source: GroupSource): Entitlement {
  const reason = externallyManaged(source);
  const name = resource.displayName || resource.id!.resource;
  return newEntitlement(resource, MEMBER, {
    displayName: `${name} Member`,
    description: `Member of the ${name} user group in Temporal Cloud`,
    purpose: "assignment",
    grantableTo: [USER],
    annotations: reason ? [annotation(EntitlementImmutableSchema, { metadata: { reason } })] : [],
  });
}

function memberCursor(cursor: Cursor | undefined): { group: string; token: string } | undefined {
  if (cursor === undefined) return undefined;
  const c = cursor as { group?: unknown; token?: unknown };
  if (typeof c !== "object" || c === null || typeof c.group !== "string" || typeof c.token !== "string") {
    throw invalidArgument("page_token does not belong to this list; start again without a page_token");
  }
  return { group: c.group, token: c.token };
}

/** groupOfMemberEntitlement is the id of the group whose `member` entitlement a request names. */
function groupOfMemberEntitlement(entitlement: Entitlement): string {
  const slug = slugOf(entitlement);
  if (slug !== MEMBER) throw invalidArgument(`groups have a single entitlement "${MEMBER}", not "${slug}"`);
  return entitlement.resource!.id!.resource;
}
