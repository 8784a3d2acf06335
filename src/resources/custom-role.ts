import { annotation } from "../connector/annotations.js";
import { RoleTraitSchema, type Entitlement, type Resource } from "../connector/c1.js";
import { Code, ConnectorError, failedPrecondition, invalidArgument } from "../connector/errors.js";
import { newEntitlement, newResource, resourceId, slugOf } from "../connector/ids.js";
import { lazily, type ResourceSyncer } from "../connector/resource-syncer.js";
import { AccountAccess_Role, type CustomRole } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { accessGrant, MEMBER } from "./access-grant.js";
import { accessIndex, buildAccessIndexAhead, groupedRowsPage, rowsPage } from "./access-index.js";
import { refuseImmutable } from "./immutable.js";
import { readPrincipal, roleOfPrincipal, withAccountAccess, writeAccess, type Principal } from "./principals.js";
import { readModifyWrite } from "./read-modify-write.js";
import { clipToBytes, iso, orUndefinedIfMissing, profile, resourceStatus, stateName, pageOf } from "./common.js";
import { CUSTOM_ROLE, PRINCIPAL_TYPES, SERVICE_ACCOUNT } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";
import { roleInfo } from "./temporal-access.js";

/**
 * permissionSummary renders a custom role's permissions for reviewers, one clause per
 * permission: `namespace[payments-prod.acme7]: cloud.namespace.get, cloud.namespace.update`.
 */
export function permissionSummary(role: CustomRole): string {
  return (role.spec?.permissions ?? [])
    .map((p) => {
      const scope = p.resources?.allowAll ? "*" : (p.resources?.resourceIds ?? []).join(", ");
      return `${p.resources?.resourceType ?? "?"}[${scope}]: ${p.actions.join(", ")}`;
    })
    .join("; ");
}

/** customRoleResource converts a Temporal custom role into a `custom-role` resource. */
export function customRoleResource(role: CustomRole): Resource {
  const details = profile({
    custom_role_id: role.id,
    name: role.spec?.name,
    permissions: clipToBytes(permissionSummary(role), 16 * 1024),
    state: stateName(role.state),
    last_modified_at: iso(role.lastModifiedTime),
  });
  return newResource(CUSTOM_ROLE, role.id, {
    displayName: role.spec?.name || role.id,
    description: clipToBytes(role.spec?.description ?? "", 2048),
    profile: details,
    status: resourceStatus(role.state),
    createdAt: role.createdTime,
    annotations: [annotation(RoleTraitSchema)],
  });
}

/** createCustomRoleSyncer builds the `custom-role` resource type. */
export function createCustomRoleSyncer(account: TemporalAccount): ResourceSyncer {
  return {
    resourceType: CUSTOM_ROLE,
    async list(ctx, parent, cursor) {
      if (parent) return { items: [] };
      if (ctx.syncId) buildAccessIndexAhead(account.snapshot(ctx), account.accountId());
      return pageOf(ctx, account.snapshot(ctx).customRoles, cursor, customRoleResource);
    },
    async get(ctx, id) {
      const role = await orUndefinedIfMissing(account.client.getCustomRole(id.resource, { signal: ctx.signal }));
      return role && customRoleResource(role);
    },
    async entitlements(_ctx, resource) {
      return { items: [memberEntitlement(resource)] };
    },
    async typeEntitlements(ctx, cursor) {
      return pageOf(ctx, account.snapshot(ctx).customRoles, cursor, (role) => memberEntitlement(customRoleResource(role)));
    },
    async grants(ctx, resource, cursor) {
      const index = await accessIndex(account.snapshot(ctx), await account.accountId(), ctx.signal);
      const { rows, next } = rowsPage(index.customRole(resource.id!.resource), cursor);
      return { items: lazily(rows, (row) => accessGrant(resource.id!, MEMBER, row)), next };
    },
    async typeGrants(ctx, cursor) {
      const snapshot = account.snapshot(ctx);
      const [index, roles] = await Promise.all([accessIndex(snapshot, await account.accountId(), ctx.signal), snapshot.customRoles.all(ctx.signal)]);
      const { items, next } = groupedRowsPage(roles.map((r) => r.id), (id) => index.customRole(id), cursor);
      return { items: lazily(items, ({ key, row }) => accessGrant(resourceId(CUSTOM_ROLE.id, key), MEMBER, row)), next };
    },

    async grant(ctx, principal, entitlement) {
      const roleId = roleOfMemberEntitlement(entitlement);
      const role = await orUndefinedIfMissing(account.client.getCustomRole(roleId, { signal: ctx.signal }));
      if (!role) throw new ConnectorError(Code.NotFound, `custom role ${roleId} not found`);
      const outcome = await readModifyWrite<Principal, { principal: Principal; alreadyExists?: boolean }>(ctx, account, {
        describe: `grant custom role ${role.spec?.name || roleId}`,
        read: async () => {
          const p = await readPrincipal(ctx, account, principal.id!, "custom roles");
          if (!p) throw new ConnectorError(Code.NotFound, `${principal.id!.resourceType} ${principal.id!.resource} not found`);
          return p;
        },
        version: (p) => p.version,
        plan(p) {
          refuseUnchangeable(p);
          if (roleOfPrincipal(p) === AccountAccess_Role.UNSPECIFIED) {
            throw failedPrecondition(`${p.label} has no built-in account role; custom roles are granted on top of one, so grant an account role first`);
          }
          const held = p.access?.accountAccess?.customRoles ?? [];
          if (held.includes(roleId)) return { result: { principal: p, alreadyExists: true } };
          return { write: writeAccess(account, p, withAccountAccess(p.access, { customRoles: [...held, roleId] })), result: { principal: p } };
        },
      });
      const row = { principalType: outcome.principal.type, principalId: outcome.principal.id };
      return { grants: [accessGrant(resourceId(CUSTOM_ROLE.id, roleId), MEMBER, row)], alreadyExists: outcome.alreadyExists, requestId: outcome.requestId };
    },

    async revoke(ctx, grant) {
      refuseImmutable(grant);
      const roleId = roleOfMemberEntitlement(grant.entitlement!);
      const principalId = grant.principal!.id!;
      return readModifyWrite<Principal | undefined, { alreadyRevoked: boolean }>(ctx, account, {
        describe: `revoke custom role ${roleId} from ${principalId.resourceType} ${principalId.resource}`,
        read: () => readPrincipal(ctx, account, principalId, "custom roles"),
        version: (p) => p?.version ?? "",
        plan(p) {
          const held = p?.access?.accountAccess?.customRoles ?? [];
          if (!p || !held.includes(roleId)) return { result: { alreadyRevoked: true } };
          refuseUnchangeable(p);
          return { write: writeAccess(account, p, withAccountAccess(p.access, { customRoles: held.filter((id) => id !== roleId) })), result: { alreadyRevoked: false } };
        },
      });
    },
  };
}

/** memberEntitlement is the `member` entitlement of a custom role. */
function memberEntitlement(resource: Resource): Entitlement {
  const name = resource.displayName || resource.id!.resource;
  return newEntitlement(resource, MEMBER, {
    displayName: `${name} Custom Role Member`,
    description: `Has the ${name} custom role in Temporal Cloud`,
    purpose: "assignment",
    grantableTo: [...PRINCIPAL_TYPES],
  });
}

/** roleOfMemberEntitlement is the id of the custom role whose `member` entitlement a request names. */
function roleOfMemberEntitlement(entitlement: Entitlement): string {
  const slug = slugOf(entitlement);
  if (slug !== MEMBER) throw invalidArgument(`custom roles have a single entitlement "${MEMBER}", not "${slug}"`);
  return entitlement.resource!.id!.resource;
}

/** refuseUnchangeable: custom roles need an account-scoped principal whose role we may rewrite. */
function refuseUnchangeable(p: Principal): void {
  if (p.type === SERVICE_ACCOUNT.id && (p.scopedNamespace || p.scopedProject)) {
    throw failedPrecondition(`${p.label} is ${p.scopedNamespace ? "namespace" : "project"}-scoped; custom roles can only be held by users, groups and account-scoped service accounts`);
  }
  const role = roleInfo(roleOfPrincipal(p));
  if (role?.neverProvisioned) throw failedPrecondition(`${p.label} holds the ${role.displayName} role, which this connector never rewrites: ${role.neverProvisioned}`);
}
