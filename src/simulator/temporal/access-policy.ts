import { create } from "@bufbuild/protobuf";
import {
  AccessSchema,
  AccountAccess_Role,
  NamespaceAccess_Permission,
  NamespaceAccessSchema,
  ProjectAccess_ProjectRole,
  ProjectAccessSchema,
  type Access,
  type NamespaceAccess,
  type ProjectAccess,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { failedPrecondition, invalidArgument, permissionDenied } from "./api-error.js";
import type { Caller } from "./route.js";
import type { SimulatorStore } from "./simulator-store.js";

/** OWNER_ROLE_MESSAGE is the refusal for any API change to the Account Owner role (docs/temporal-cloud-api.md, "Refused mutations"). */
export const OWNER_ROLE_MESSAGE = "changes to the Account Owner role must be made through Temporal Support";

/** roleOf returns the built-in account role in an access (UNSPECIFIED when absent). */
export function roleOf(access: Access | undefined): AccountAccess_Role {
  return access?.accountAccess?.role ?? AccountAccess_Role.UNSPECIFIED;
}

/** isAdminRole reports whether a role implies Namespace Admin on every namespace (OWNER, ADMIN). */
export function isAdminRole(role: AccountAccess_Role): boolean {
  return role === AccountAccess_Role.OWNER || role === AccountAccess_Role.ADMIN;
}

/** roleName returns the enum name of a role, e.g. "ROLE_ADMIN". */
export function roleName(role: AccountAccess_Role): string {
  return `ROLE_${AccountAccess_Role[role] ?? String(role)}`;
}

/** permissionOf returns a namespace permission (UNSPECIFIED when absent). */
export function permissionOf(access: NamespaceAccess | undefined): NamespaceAccess_Permission {
  return access?.permission ?? NamespaceAccess_Permission.UNSPECIFIED;
}

/**
 * callerRoles returns the caller's account roles: its own and, for a user, those of its groups
 * (a user's effective access is the most permissive of its own and its groups', docs/temporal-cloud-api.md, "Namespace access and inherited access").
 */
export function callerRoles(store: SimulatorStore, caller: Caller): AccountAccess_Role[] {
  if (caller.kind === "serviceAccount") {
    const spec = caller.serviceAccount.spec;
    return spec?.namespaceScopedAccess !== undefined ? [AccountAccess_Role.READ] : [roleOf(spec?.access)];
  }
  return [roleOf(caller.user.spec?.access), ...store.groupsOfUser(caller.user.id).map((g) => roleOf(g.spec?.access))];
}

/** isAccountOwner reports whether the caller holds the Account Owner role. */
export function isAccountOwner(store: SimulatorStore, caller: Caller): boolean {
  return callerRoles(store, caller).includes(AccountAccess_Role.OWNER);
}

/** isAccountAdmin reports whether the caller is a Global Admin or Account Owner. */
export function isAccountAdmin(store: SimulatorStore, caller: Caller): boolean {
  return callerRoles(store, caller).some(isAdminRole);
}

/**
 * requireAccountAdmin throws PERMISSION_DENIED unless the caller is a Global Admin or Account
 * Owner. Custom-role grants are not evaluated: the simulator authorizes by built-in roles only.
 */
export function requireAccountAdmin(store: SimulatorStore, caller: Caller, action: string): void {
  if (!isAccountAdmin(store, caller)) {
    throw permissionDenied(`permission denied: ${action} requires the Global Admin or Account Owner role`);
  }
}

/** hasNamespaceAdmin reports whether the caller administers the namespace (directly, via a group or an admin role). */
export function hasNamespaceAdmin(store: SimulatorStore, caller: Caller, namespace: string): boolean {
  if (isAccountAdmin(store, caller)) return true;
  const admin = (access: NamespaceAccess | undefined) => permissionOf(access) === NamespaceAccess_Permission.ADMIN;
  if (caller.kind === "serviceAccount") {
    const spec = caller.serviceAccount.spec;
    const scoped = spec?.namespaceScopedAccess;
    if (scoped !== undefined) return scoped.namespace === namespace && admin(scoped.access);
    return admin(spec?.access?.namespaceAccesses[namespace]);
  }
  if (admin(caller.user.spec?.access?.namespaceAccesses[namespace])) return true;
  return store.groupsOfUser(caller.user.id).some((g) => admin(g.spec?.access?.namespaceAccesses[namespace]));
}

/** requireNamespaceAdmin throws PERMISSION_DENIED unless the caller administers the namespace. */
export function requireNamespaceAdmin(store: SimulatorStore, caller: Caller, namespace: string, action: string): void {
  if (!hasNamespaceAdmin(store, caller, namespace)) {
    throw permissionDenied(`permission denied: ${action} requires Namespace Admin on ${namespace}`);
  }
}

/** projectRoleOf returns a project role (UNSPECIFIED when absent). */
export function projectRoleOf(access: ProjectAccess | undefined): ProjectAccess_ProjectRole {
  return access?.role ?? ProjectAccess_ProjectRole.UNSPECIFIED;
}

/**
 * validateProjectRole throws INVALID_ARGUMENT for a role number outside the enum, and for
 * Developer, which "cannot be assigned directly" (it comes with the Account Developer role).
 */
export function validateProjectRole(role: ProjectAccess_ProjectRole, what: string): void {
  if (ProjectAccess_ProjectRole[role] === undefined) throw invalidArgument(`${what}: unknown project role ${role}`);
  if (role === ProjectAccess_ProjectRole.DEVELOPER) {
    throw invalidArgument(`${what}: PROJECT_ROLE_DEVELOPER is inherited from the account developer role and cannot be assigned directly`);
  }
}

/**
 * hasProjectAdmin reports whether the caller administers the project: a Global Admin or Owner,
 * or a holder of its Admin role (directly, through a group, or as its project-scoped service
 * account) ((inferred): project Admins manage "project membership", the API's own words).
 */
export function hasProjectAdmin(store: SimulatorStore, caller: Caller, projectId: string): boolean {
  if (isAccountAdmin(store, caller)) return true;
  const admin = (access: ProjectAccess | undefined) => projectRoleOf(access) === ProjectAccess_ProjectRole.ADMIN;
  if (caller.kind === "serviceAccount") {
    const spec = caller.serviceAccount.spec;
    const scoped = spec?.projectScopedAccess;
    if (scoped !== undefined) return scoped.projectId === projectId && admin(scoped.access);
    return spec?.namespaceScopedAccess === undefined && admin(spec?.access?.projectAccesses[projectId]);
  }
  if (admin(caller.user.spec?.access?.projectAccesses[projectId])) return true;
  return store.groupsOfUser(caller.user.id).some((g) => admin(g.spec?.access?.projectAccesses[projectId]));
}

/** requireProjectAdmin throws PERMISSION_DENIED unless the caller administers the project. */
export function requireProjectAdmin(store: SimulatorStore, caller: Caller, projectId: string, action: string): void {
  if (!hasProjectAdmin(store, caller, projectId)) {
    throw permissionDenied(`permission denied: ${action} requires the Admin role of project ${projectId}`);
  }
}

/**
 * requireNamespaceOfProject refuses a namespace that is not in the project: a project-scoped
 * service account reaches only its project's namespaces ((inferred) from its scope).
 */
export function requireNamespaceOfProject(store: SimulatorStore, namespace: string, projectId: string): void {
  const ns = store.namespaces.get(namespace);
  if (ns === undefined) throw invalidArgument(`namespace not found: ${namespace}`);
  if (ns.projectId !== projectId) throw invalidArgument(`namespace ${namespace} is not in project ${projectId}`);
}

/**
 * validatePermission throws INVALID_ARGUMENT for a permission number outside the enum.
 */
export function validatePermission(permission: NamespaceAccess_Permission, what: string): void {
  if (NamespaceAccess_Permission[permission] === undefined) {
    throw invalidArgument(`${what}: unknown namespace permission ${permission}`);
  }
}

/**
 * normalizeAccess validates the access of a Create* or Update* request against the refusals
 * of docs/temporal-cloud-api.md, "Refused mutations", and returns what the API stores:
 * - setting or removing ROLE_OWNER is FAILED_PRECONDITION;
 * - newly assigning ROLE_FINANCE_ADMIN is PERMISSION_DENIED unless the caller is an owner;
 * - custom roles need a built-in role and must exist; they are de-duplicated and sorted (set semantics);
 * - namespaces must exist with a specified permission;
 * - namespace accesses of ADMIN/OWNER principals are silently dropped, as once observed
 *   (docs/temporal-cloud-api.md, "Refused mutations"; uncertain whether the API now rejects them instead);
 * - project accesses (API v0.18.0, `projects`) name existing projects with an assignable role;
 *   a request of an older version cannot carry them, so the principal keeps the ones it has.
 */
export function normalizeAccess(
  store: SimulatorStore,
  caller: Caller,
  access: Access | undefined,
  previous: Access | undefined,
  projects: boolean,
): Access {
  const role = roleOf(access);
  const previousRole = roleOf(previous);
  if (AccountAccess_Role[role] === undefined) throw invalidArgument(`unknown account role ${role}`);
  if ((role === AccountAccess_Role.OWNER) !== (previousRole === AccountAccess_Role.OWNER)) {
    throw failedPrecondition(OWNER_ROLE_MESSAGE);
  }
  if (
    role === AccountAccess_Role.FINANCE_ADMIN &&
    previousRole !== AccountAccess_Role.FINANCE_ADMIN &&
    !isAccountOwner(store, caller)
  ) {
    throw permissionDenied("permission denied: only an Account Owner can assign the Finance Admin role");
  }
  const customRoles = Array.from(new Set(access?.accountAccess?.customRoles ?? [])).sort();
  if (customRoles.length > 0 && role === AccountAccess_Role.UNSPECIFIED) {
    // (uncertain, docs/temporal-cloud-api.md, "Refused mutations") server-side enforcement is not documented; the CLI refuses it.
    throw invalidArgument("custom roles require a built-in account role");
  }
  for (const id of customRoles) {
    if (store.customRoles.get(id) === undefined) throw invalidArgument(`custom role not found: ${id}`);
  }
  const namespaceAccesses: Record<string, NamespaceAccess> = {};
  if (!isAdminRole(role)) {
    for (const [namespace, namespaceAccess] of Object.entries(access?.namespaceAccesses ?? {})) {
      if (store.namespaces.get(namespace) === undefined) {
        throw invalidArgument(`namespace not found: ${namespace}`);
      }
      const permission = permissionOf(namespaceAccess);
      validatePermission(permission, `namespace ${namespace}`);
      if (permission === NamespaceAccess_Permission.UNSPECIFIED) {
        throw invalidArgument(`namespace ${namespace}: a namespace access needs a permission`);
      }
      namespaceAccesses[namespace] = create(NamespaceAccessSchema, { permission });
    }
  }
  const projectAccesses: Record<string, ProjectAccess> = {};
  for (const [projectId, projectAccess] of Object.entries((projects ? access : previous)?.projectAccesses ?? {})) {
    if (!projects) {
      projectAccesses[projectId] = projectAccess;
      continue;
    }
    if (store.projects.get(projectId) === undefined) throw invalidArgument(`project not found: ${projectId}`);
    const projectRole = projectRoleOf(projectAccess);
    if (projectRole === ProjectAccess_ProjectRole.UNSPECIFIED) throw invalidArgument(`project ${projectId}: a project access needs a role`);
    validateProjectRole(projectRole, `project ${projectId}`);
    projectAccesses[projectId] = create(ProjectAccessSchema, { role: projectRole });
  }
  return create(AccessSchema, { accountAccess: { role, customRoles }, namespaceAccesses, projectAccesses });
}

/**
 * sameAccess compares two accesses the way the API decides "nothing to change": same role,
 * same set of custom roles, same permission on the same namespaces.
 */
export function sameAccess(a: Access | undefined, b: Access | undefined): boolean {
  if (roleOf(a) !== roleOf(b)) return false;
  const rolesA = Array.from(new Set(a?.accountAccess?.customRoles ?? [])).sort();
  const rolesB = Array.from(new Set(b?.accountAccess?.customRoles ?? [])).sort();
  if (rolesA.join("\n") !== rolesB.join("\n")) return false;
  const nsA = a?.namespaceAccesses ?? {};
  const nsB = b?.namespaceAccesses ?? {};
  const keysA = Object.keys(nsA).filter((k) => permissionOf(nsA[k]) !== NamespaceAccess_Permission.UNSPECIFIED);
  const keysB = Object.keys(nsB).filter((k) => permissionOf(nsB[k]) !== NamespaceAccess_Permission.UNSPECIFIED);
  if (keysA.length !== keysB.length) return false;
  if (!keysA.every((k) => permissionOf(nsA[k]) === permissionOf(nsB[k]))) return false;
  return sameProjectAccesses(a?.projectAccesses, b?.projectAccesses);
}

/** sameProjectAccesses compares two project access maps: the same role in the same projects. */
export function sameProjectAccesses(a: Record<string, ProjectAccess> | undefined, b: Record<string, ProjectAccess> | undefined): boolean {
  const keysA = Object.keys(a ?? {}).filter((k) => projectRoleOf(a![k]) !== ProjectAccess_ProjectRole.UNSPECIFIED);
  const keysB = Object.keys(b ?? {}).filter((k) => projectRoleOf(b![k]) !== ProjectAccess_ProjectRole.UNSPECIFIED);
  return keysA.length === keysB.length && keysA.every((k) => projectRoleOf(a![k]) === projectRoleOf(b![k]));
}

/** isEmail is a deliberately loose address check: one "@" with text on both sides. */
export function isEmail(value: string): boolean {
  // The length first: over a long value this pattern backtracks for quadratic time.
  return value.length <= 254 && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value);
}
