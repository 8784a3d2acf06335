import { annotation, v1Identifier } from "../connector/annotations.js";
import { EntitlementImmutableSchema, RoleTraitSchema, type Entitlement, type Grant, type Resource } from "../connector/c1.js";
import { Code, ConnectorError, failedPrecondition, invalidArgument } from "../connector/errors.js";
import { entitlementId, grantId, newEntitlement, newResource, resourceId, slugOf } from "../connector/ids.js";
import { AccountAccess_Role } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { lazily, type ResourceSyncer } from "../connector/resource-syncer.js";
import { accessGrant, MEMBER } from "./access-grant.js";
import { accessIndex, buildAccessIndexAhead, groupedRowsPage, rowsPage, type AccessRow } from "./access-index.js";
import { refuseImmutable } from "./immutable.js";
import { readPrincipal, roleOfPrincipal, withAccountAccess, writeAccess, type Principal } from "./principals.js";
import { readModifyWrite } from "./read-modify-write.js";
import { profile } from "./common.js";
import { ACCOUNT_ROLE, GROUP, PRINCIPAL_TYPES, SERVICE_ACCOUNT, USER } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";
import { accountRoleId, parseAccountRoleId, roleInfo, roleOf, roleSlug, ROLES, type RoleSlug } from "./temporal-access.js";

/** NAMESPACE_SCOPED_REASON: the role a namespace-scoped service account holds comes with its scope. */
const NAMESPACE_SCOPED_REASON = "namespace-scoped service accounts always have the Read account role";

/** PROJECT_SCOPED_REASON: a project-scoped service account's access is its project's; it has no account role to change. */
const PROJECT_SCOPED_REASON = "project-scoped service accounts hold access to their project only, not an account role";

/** immutableReason explains why a role is never provisioned (docs/compatibility.md, "Immutable roles": synced only). */
function immutableReason(slug: RoleSlug): string | undefined {
  return roleInfo(slug)?.neverProvisioned;
}

/** accountRoleResource builds the `account-role` resource of one built-in role. */
export function accountRoleResource(accountId: string, slug: RoleSlug): Resource {
  const role = ROLES.find((r) => r.slug === slug)!;
  return newResource(ACCOUNT_ROLE, accountRoleId(accountId, slug), {
    displayName: role.displayName,
    description: role.summary,
    profile: profile({ role: slug, account_id: accountId }),
    annotations: [annotation(RoleTraitSchema), v1Identifier(`account-role:${slug}`)],
  });
}

/** createAccountRoleSyncer builds the `account-role` resource type: the six built-in roles. */
export function createAccountRoleSyncer(account: TemporalAccount): ResourceSyncer {
  return {
    resourceType: ACCOUNT_ROLE,
    async list(ctx, parent) {
      if (parent) return { items: [] };
      if (ctx.syncId) buildAccessIndexAhead(account.snapshot(ctx), account.accountId());
      const accountId = await account.accountId();
      return { items: ROLES.map((r) => accountRoleResource(accountId, r.slug)) };
    },
    async get(_ctx, id) {
      const accountId = await account.accountId();
      const slug = parseAccountRoleId(id.resource, accountId);
      return slug && accountRoleResource(accountId, slug);
    },
    async entitlements(_ctx, resource) {
      const slug = parseAccountRoleId(resource.id!.resource, await account.accountId());
      return { items: slug ? [roleEntitlement(resource, slug)] : [] };
    },
    async typeEntitlements() {
      const accountId = await account.accountId();
      return { items: ROLES.map((r) => roleEntitlement(accountRoleResource(accountId, r.slug), r.slug)) };
    },
    async grants(ctx, resource, cursor) {
      const accountId = await account.accountId();
      const roleId = resource.id!.resource;
      const slug = parseAccountRoleId(roleId, accountId);
      if (!slug) return { items: [] };
      const index = await accessIndex(account.snapshot(ctx), accountId, ctx.signal);
      const { rows, next } = rowsPage(index.role(slug), cursor);
      return { items: lazily(rows, (row) => roleGrant(roleId, slug, row)), next };
    },
    async typeGrants(ctx, cursor) {
      const accountId = await account.accountId();
      const index = await accessIndex(account.snapshot(ctx), accountId, ctx.signal);
      const { items, next } = groupedRowsPage(ROLES.map((r) => r.slug), (slug) => index.role(slug as RoleSlug), cursor);
      return { items: lazily(items, ({ key, row }) => roleGrant(accountRoleId(accountId, key as RoleSlug), key as RoleSlug, row)), next };
    },

    async grant(ctx, principal, entitlement) {
      const accountId = await account.accountId();
      const target = roleOfEntitlement(entitlement.resource!.id!.resource, slugOf(entitlement), accountId);
      const outcome = await readModifyWrite<Principal, { principal: Principal; alreadyExists?: boolean; replaced?: RoleSlug }>(ctx, account, {
        describe: `grant ${entitlement.id}`,
        read: async () => {
          const p = await readPrincipal(ctx, account, principal.id!, "account roles");
          if (!p) throw new ConnectorError(Code.NotFound, `${principal.id!.resourceType} ${principal.id!.resource} not found`);
          return p;
        },
        version: (p) => p.version,
        plan(p) {
          if (p.type === SERVICE_ACCOUNT.id && p.scopedNamespace) throw failedPrecondition(`${p.label}: ${NAMESPACE_SCOPED_REASON}`);
          if (p.type === SERVICE_ACCOUNT.id && p.scopedProject) throw failedPrecondition(`${p.label}: ${PROJECT_SCOPED_REASON}`);
          const current = roleSlug(roleOfPrincipal(p));
          refuseProtected(p, current);
          if (current === target) return { result: { principal: p, alreadyExists: true } };
          // A principal has exactly one role: granting one replaces the current one.
          return { write: writeAccess(account, p, withAccountAccess(p.access, { role: roleOf(target) })), result: { principal: p, replaced: current } };
        },
      });
      const p = outcome.principal;
      const roleId = accountRoleId(accountId, target);
      return {
        grants: [roleGrant(roleId, target, { principalType: p.type, principalId: p.id })],
        alreadyExists: outcome.alreadyExists,
        replacedGrantId: outcome.replaced && grantId(entitlementId(resourceId(ACCOUNT_ROLE.id, accountRoleId(accountId, outcome.replaced)), MEMBER), resourceId(p.type, p.id)),
        requestId: outcome.requestId,
      };
    },

    async revoke(ctx, grant) {
      refuseImmutable(grant);
      const accountId = await account.accountId();
      const target = roleOfEntitlement(grant.entitlement!.resource!.id!.resource, slugOf(grant.entitlement!), accountId);
      const principalId = grant.principal!.id!;
      return readModifyWrite<Principal | undefined, { alreadyRevoked: boolean }>(ctx, account, {
        describe: `revoke ${grant.entitlement!.id} from ${principalId.resourceType} ${principalId.resource}`,
        read: () => readPrincipal(ctx, account, principalId, "account roles"),
        version: (p) => p?.version ?? "",
        plan(p) {
          // Revoke only what is still held: never take away a role the principal no longer has.
          if (!p || roleSlug(roleOfPrincipal(p)) !== target) return { result: { alreadyRevoked: true } };
          if (p.type === SERVICE_ACCOUNT.id && p.scopedNamespace) throw failedPrecondition(`${p.label}: ${NAMESPACE_SCOPED_REASON}`);
          return { write: writeAccess(account, p, withAccountAccess(p.access, { role: steppedDown(p, target) })), result: { alreadyRevoked: false } };
        },
      });
    },
  };
}

/** roleEntitlement is the `member` entitlement of an account role; Owner and Finance Admin are immutable. */
function roleEntitlement(resource: Resource, slug: RoleSlug): Entitlement {
  const role = ROLES.find((r) => r.slug === slug)!;
  const reason = immutableReason(slug);
  return newEntitlement(resource, MEMBER, {
    displayName: `${role.displayName} Role Member`,
    description: `Has the ${role.displayName} role in Temporal Cloud`,
    purpose: "assignment",
    grantableTo: [...PRINCIPAL_TYPES],
    annotations: [
      v1Identifier(`membership:${resource.id!.resource}`),
      ...(reason ? [annotation(EntitlementImmutableSchema, { metadata: { reason } })] : []),
    ],
  });
}

/** roleGrant builds the grant of an account role's membership, as a sync would list it. */
function roleGrant(roleId: string, slug: RoleSlug, row: AccessRow): Grant {
  return accessGrant(resourceId(ACCOUNT_ROLE.id, roleId), MEMBER, row, {
    immutable: immutableReason(slug) ?? (row.namespaceScoped ? NAMESPACE_SCOPED_REASON : undefined),
    v1Id: (userId) => `grant:membership:${roleId}:${userId}`,
  });
}

/** roleOfEntitlement reads the role a provisioning request is about and refuses the protected ones. */
function roleOfEntitlement(roleResourceId: string, slug: string, accountId: string): RoleSlug {
  const role = parseAccountRoleId(roleResourceId, accountId);
  if (!role) throw invalidArgument(`"${roleResourceId}" is not an account role of account ${accountId}; expected ${accountId}-<${ROLES.map((r) => r.slug).join("|")}>`);
  if (slug !== MEMBER) throw invalidArgument(`account roles have a single entitlement "${MEMBER}", not "${slug}"`);
  const reason = immutableReason(role);
  if (reason) throw failedPrecondition(`the ${roleInfo(role)!.displayName} role is never granted or revoked by this connector: ${reason}`);
  return role;
}

/** refuseProtected leaves principals holding Owner or Finance Admin untouched. */
function refuseProtected(p: Principal, current: RoleSlug | undefined): void {
  const reason = current && immutableReason(current);
  if (reason) throw failedPrecondition(`${p.label} holds the ${roleInfo(current!)!.displayName} role, which this connector never overwrites: ${reason}`);
}

/**
 * steppedDown is the role left after revoking one: admin → developer → read, metrics-read → read.
 * Users and service accounts must keep a role, so revoking Read is refused; a group may have none.
 */
function steppedDown(p: Principal, role: RoleSlug): AccountAccess_Role {
  if (p.type === GROUP.id) {
    if ((p.access?.accountAccess?.customRoles.length ?? 0) > 0) {
      throw failedPrecondition(`${p.label} has custom roles, which need a built-in account role; revoke its custom roles first`);
    }
    return AccountAccess_Role.UNSPECIFIED;
  }
  switch (role) {
    case "admin":
      return AccountAccess_Role.DEVELOPER;
    case "developer":
    case "metrics-read":
      return AccountAccess_Role.READ;
    default:
      throw failedPrecondition(`${p.label} must keep an account role and Read is the lowest; to remove its access, delete the ${p.type === USER.id ? "account" : "service account"} instead`);
  }
}
