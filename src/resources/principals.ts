import { clone, create } from "@bufbuild/protobuf";
import { invalidArgument } from "../connector/errors.js";
import type { ResourceId } from "../connector/c1.js";
import type { CallContext } from "../connector/resource-syncer.js";
import {
  AccessSchema,
  AccountAccess_Role,
  NamespaceAccessSchema,
  ProjectAccess_ProjectRole,
  ProjectAccessSchema,
  ServiceAccountSpecSchema,
  UserGroupSpecSchema,
  UserSpecSchema,
  type Access,
  type NamespaceAccess_Permission,
  type ServiceAccount,
  type User,
  type UserGroup,
} from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import type { AsyncOperation } from "../gen/temporal/api/cloud/operation/v1/message_pb.js";
import type { WriteOptions } from "../temporal/client.js";
import { orUndefinedIfMissing } from "./common.js";
import { GROUP, PRINCIPAL_TYPES, SERVICE_ACCOUNT, USER, type PrincipalTypeId } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";
import { groupSource, roleInfo, type GroupSource } from "./temporal-access.js";

/** Principal is a user, service account or group read fresh from Temporal Cloud for a write. */
export type Principal =
  | { type: typeof USER.id; id: string; version: string; label: string; access: Access | undefined; user: User }
  | {
      type: typeof SERVICE_ACCOUNT.id;
      id: string;
      version: string;
      label: string;
      /** For a project-scoped service account: its project role and namespace permissions, as an Access. */
      access: Access | undefined;
      scopedNamespace?: string;
      scopedProject?: string;
      serviceAccount: ServiceAccount;
    }
  | { type: typeof GROUP.id; id: string; version: string; label: string; access: Access | undefined; source: GroupSource; group: UserGroup };

/** isPrincipalType tells the resource types that hold access (PRINCIPAL_TYPES). */
export function isPrincipalType(type: string): type is PrincipalTypeId {
  return PRINCIPAL_TYPES.some((t) => t.id === type);
}

/**
 * readPrincipal reads the principal a provisioning request names (`what` names the access, for
 * the message refusing a resource type that cannot hold it). It resolves to undefined when the
 * principal does not exist.
 */
export async function readPrincipal(ctx: CallContext, account: TemporalAccount, id: ResourceId, what: string): Promise<Principal | undefined> {
  const type = id.resourceType;
  if (!isPrincipalType(type)) {
    throw invalidArgument(`${what} can be granted to ${PRINCIPAL_TYPES.map((t) => t.id).join(", ")} principals, not to "${type}"`);
  }
  const opts = { signal: ctx.signal };
  switch (type) {
    case USER.id: {
      const user = await orUndefinedIfMissing(account.client.getUser(id.resource, opts));
      return user && { type, id: user.id, version: user.resourceVersion, label: `user ${user.spec?.email || user.id}`, access: user.spec?.access, user };
    }
    case SERVICE_ACCOUNT.id: {
      const sa = await orUndefinedIfMissing(account.client.getServiceAccount(id.resource, opts));
      const project = sa?.spec?.projectScopedAccess;
      return (
        sa && {
          type,
          id: sa.id,
          version: sa.resourceVersion,
          label: `service account ${sa.spec?.name || sa.id}`,
          access: sa.spec?.namespaceScopedAccess
            ? undefined
            : project
              ? create(AccessSchema, { namespaceAccesses: project.namespaceAccesses, projectAccesses: project.access ? { [project.projectId]: project.access } : {} })
              : sa.spec?.access,
          scopedNamespace: sa.spec?.namespaceScopedAccess?.namespace,
          scopedProject: project?.projectId,
          serviceAccount: sa,
        }
      );
    }
    case GROUP.id: {
      const group = await orUndefinedIfMissing(account.client.getUserGroup(id.resource, opts));
      return group && { type, id: group.id, version: group.resourceVersion, label: `group ${group.spec?.displayName || group.id}`, access: group.spec?.access, source: groupSource(group), group };
    }
  }
}

/** roleOfPrincipal is the principal's built-in account role; namespace-scoped service accounts are always Read. */
export function roleOfPrincipal(p: Principal): AccountAccess_Role {
  if (p.type === SERVICE_ACCOUNT.id && p.scopedNamespace) return AccountAccess_Role.READ;
  return p.access?.accountAccess?.role ?? AccountAccess_Role.UNSPECIFIED;
}

/** scopeOf names the scope of a namespace- or project-scoped service account (which has no account role to change), or undefined. */
export function scopeOf(p: Principal): string | undefined {
  if (p.type !== SERVICE_ACCOUNT.id) return undefined;
  if (p.scopedNamespace) return `namespace ${p.scopedNamespace}`;
  return p.scopedProject ? `project ${p.scopedProject}` : undefined;
}

/** roleName is a role's display name for messages. */
export function roleName(role: AccountAccess_Role): string {
  return roleInfo(role)?.displayName ?? "no account role";
}

/** namespacePermission is the principal's explicit permission on a namespace, if any. */
export function namespacePermission(p: Principal, namespace: string): NamespaceAccess_Permission | undefined {
  if (p.type === SERVICE_ACCOUNT.id && p.scopedNamespace) {
    return p.scopedNamespace === namespace ? p.serviceAccount.spec?.namespaceScopedAccess?.access?.permission : undefined;
  }
  return p.access?.namespaceAccesses[namespace]?.permission || undefined;
}

/**
 * projectRoleOf is the principal's explicit role in a project, if any. A Developer entry counts
 * as none: that role comes with the Account Developer role, not from the project.
 */
export function projectRoleOf(p: Principal, projectId: string): ProjectAccess_ProjectRole | undefined {
  const role = p.access?.projectAccesses[projectId]?.role;
  return role && role !== ProjectAccess_ProjectRole.DEVELOPER ? role : undefined;
}

/**
 * writeAccess replaces the principal's account-level access with a full-spec update: Temporal has
 * no partial update for roles, so every other field of the spec is sent back exactly as read.
 */
export function writeAccess(account: TemporalAccount, p: Principal, access: Access): (opts: WriteOptions) => Promise<AsyncOperation> {
  switch (p.type) {
    case USER.id: {
      const spec = p.user.spec ? clone(UserSpecSchema, p.user.spec) : create(UserSpecSchema);
      spec.access = access;
      return (opts) => account.client.updateUser(p.id, spec, opts);
    }
    case SERVICE_ACCOUNT.id: {
      const spec = p.serviceAccount.spec ? clone(ServiceAccountSpecSchema, p.serviceAccount.spec) : create(ServiceAccountSpecSchema);
      spec.access = access;
      return (opts) => account.client.updateServiceAccount(p.id, spec, opts);
    }
    case GROUP.id: {
      const spec = p.group.spec ? clone(UserGroupSpecSchema, p.group.spec) : create(UserGroupSpecSchema);
      spec.access = access;
      return (opts) => account.client.updateUserGroup(p.id, spec, opts);
    }
  }
}

/** withAccountAccess copies an Access, changing its role and/or custom roles. */
export function withAccountAccess(access: Access | undefined, change: { role?: AccountAccess_Role; customRoles?: string[] }): Access {
  const next = access ? clone(AccessSchema, access) : create(AccessSchema);
  next.accountAccess ??= { $typeName: "temporal.api.cloud.identity.v1.AccountAccess", role: AccountAccess_Role.UNSPECIFIED, customRoles: [] };
  if (change.role !== undefined) next.accountAccess.role = change.role;
  if (change.customRoles !== undefined) next.accountAccess.customRoles = change.customRoles;
  return next;
}

/**
 * writeNamespaceAccess changes one namespace entry of the principal with the per-namespace
 * access endpoint (never a whole-spec rewrite); no permission removes the entry.
 */
export function writeNamespaceAccess(account: TemporalAccount, p: Principal, namespace: string, permission: NamespaceAccess_Permission | undefined): (opts: WriteOptions) => Promise<AsyncOperation> {
  const access = permission === undefined ? undefined : create(NamespaceAccessSchema, { permission });
  switch (p.type) {
    case USER.id:
      return (opts) => account.client.setUserNamespaceAccess(namespace, p.id, access, opts);
    case SERVICE_ACCOUNT.id:
      return (opts) => account.client.setServiceAccountNamespaceAccess(namespace, p.id, access, opts);
    case GROUP.id:
      return (opts) => account.client.setUserGroupNamespaceAccess(namespace, p.id, access, opts);
  }
}

/**
 * writeProjectAccess changes one project entry of the principal with the per-project access
 * endpoint (never a whole-spec rewrite); no role removes the entry.
 */
export function writeProjectAccess(account: TemporalAccount, p: Principal, projectId: string, role: ProjectAccess_ProjectRole | undefined): (opts: WriteOptions) => Promise<AsyncOperation> {
  const access = role === undefined ? undefined : create(ProjectAccessSchema, { role });
  switch (p.type) {
    case USER.id:
      return (opts) => account.client.setUserProjectAccess(projectId, p.id, access, opts);
    case SERVICE_ACCOUNT.id:
      return (opts) => account.client.setServiceAccountProjectAccess(projectId, p.id, access, opts);
    case GROUP.id:
      return (opts) => account.client.setUserGroupProjectAccess(projectId, p.id, access, opts);
  }
}
