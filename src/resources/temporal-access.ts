import { AccountAccess_Role, NamespaceAccess_Permission, ProjectAccess_ProjectRole, type UserGroup } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";

/** RoleSlug names a built-in account role in ids (docs/compatibility.md, "Account roles": `<account id>-<role>`). */
export type RoleSlug = "owner" | "admin" | "developer" | "finance-admin" | "read" | "metrics-read";

/** RoleInfo describes a built-in account role. */
export interface RoleInfo {
  slug: RoleSlug;
  role: AccountAccess_Role;
  /** Its name in ids and displays (docs/compatibility.md). */
  displayName: string;
  summary: string;
  /** Why the connector never grants, revokes or overwrites the role, when it never does. */
  neverProvisioned?: string;
}

/** ROLES lists the account roles in the order we present them, with their contract names. */
export const ROLES: readonly RoleInfo[] = [
  {
    slug: "owner",
    role: AccountAccess_Role.OWNER,
    displayName: "Account Owner",
    summary: "Full control of the account, including billing and its owners; namespace admin everywhere.",
    neverProvisioned: "the Account Owner role can only be changed by Temporal Support",
  },
  { slug: "admin", role: AccountAccess_Role.ADMIN, displayName: "Account Admin", summary: "Manages users, groups, service accounts and namespaces; namespace admin everywhere." },
  { slug: "developer", role: AccountAccess_Role.DEVELOPER, displayName: "Account Developer", summary: "Creates namespaces and administers the ones it creates." },
  {
    slug: "finance-admin",
    role: AccountAccess_Role.FINANCE_ADMIN,
    displayName: "Account Finance Admin",
    summary: "Manages billing and usage; no namespace access.",
    neverProvisioned: "the Finance Admin role can only be assigned by an Account Owner",
  },
  { slug: "read", role: AccountAccess_Role.READ, displayName: "Account Read", summary: "Reads account settings; namespace access only where granted." },
  { slug: "metrics-read", role: AccountAccess_Role.METRICS_READ, displayName: "Account Metrics Read", summary: "Reads account metrics only." },
];

/** roleInfo describes a role by slug or Temporal value; undefined for ROLE_UNSPECIFIED and unknown values. */
export function roleInfo(role: RoleSlug | AccountAccess_Role): RoleInfo | undefined {
  return ROLES.find((r) => r.slug === role || r.role === role);
}

/** roleSlug returns the slug of a built-in role, or undefined for ROLE_UNSPECIFIED and unknown values. */
export function roleSlug(role: AccountAccess_Role): RoleSlug | undefined {
  return ROLES.find((r) => r.role === role)?.slug;
}

/** roleOf returns the Temporal role of a slug. */
export function roleOf(slug: RoleSlug): AccountAccess_Role {
  return ROLES.find((r) => r.slug === slug)!.role;
}

/** accountRoleId is the account-role resource id `<account id>-<role>`. */
export function accountRoleId(accountId: string, slug: RoleSlug): string {
  return `${accountId}-${slug}`;
}

/**
 * parseAccountRoleId reads an account-role resource id back. Besides `<account id>-<role>` it
 * accepts the legacy form `<anything>-<account id>`, which meant Admin (docs/compatibility.md, "Legacy account-role ids").
 */
export function parseAccountRoleId(id: string, accountId: string): RoleSlug | undefined {
  const prefix = `${accountId}-`;
  if (id.startsWith(prefix)) {
    const slug = id.slice(prefix.length);
    if (ROLES.some((r) => r.slug === slug)) return slug as RoleSlug;
  }
  if (id.endsWith(`-${accountId}`)) return "admin";
  return undefined;
}

/** PermissionSlug is a namespace entitlement slug. */
export type PermissionSlug = "admin" | "write" | "read";

/** PERMISSIONS lists namespace permissions from most to least powerful. */
export const PERMISSIONS: readonly { slug: PermissionSlug; permission: NamespaceAccess_Permission; displayName: string }[] = [
  { slug: "admin", permission: NamespaceAccess_Permission.ADMIN, displayName: "Admin" },
  { slug: "write", permission: NamespaceAccess_Permission.WRITE, displayName: "Write" },
  { slug: "read", permission: NamespaceAccess_Permission.READ, displayName: "Read" },
];

/** permissionSlug returns the slug of a namespace permission, or undefined for UNSPECIFIED. */
export function permissionSlug(permission: NamespaceAccess_Permission): PermissionSlug | undefined {
  return PERMISSIONS.find((p) => p.permission === permission)?.slug;
}

/** permissionOf returns the Temporal permission of a slug, or undefined for an unknown slug. */
export function permissionOf(slug: string): NamespaceAccess_Permission | undefined {
  return PERMISSIONS.find((p) => p.slug === slug)?.permission;
}

/** ProjectRoleSlug is a project entitlement slug. */
export type ProjectRoleSlug = "admin" | "write" | "read" | "list" | "contribute" | "member" | "developer";

/** ProjectRoleInfo describes a project role. */
export interface ProjectRoleInfo {
  slug: ProjectRoleSlug;
  role: ProjectAccess_ProjectRole;
  displayName: string;
  summary: string;
  /** Why the role cannot be granted or revoked, when it comes with an account role instead. */
  inherited?: string;
}

/**
 * PROJECT_ROLES lists the project roles in Temporal's order, with their summaries from the API's
 * own descriptions. Developer is never assigned: principals with the Account Developer role hold
 * it on every project (docs/temporal-cloud-api.md, "Projects").
 */
export const PROJECT_ROLES: readonly ProjectRoleInfo[] = [
  { slug: "admin", role: ProjectAccess_ProjectRole.ADMIN, displayName: "Admin", summary: "Full access to the project, including who may access it." },
  { slug: "write", role: ProjectAccess_ProjectRole.WRITE, displayName: "Write", summary: "Write access to the project's resources." },
  { slug: "read", role: ProjectAccess_ProjectRole.READ, displayName: "Read", summary: "Read-only access to the project's resources." },
  { slug: "list", role: ProjectAccess_ProjectRole.LIST, displayName: "List", summary: "Lists the resources within the project." },
  { slug: "contribute", role: ProjectAccess_ProjectRole.CONTRIBUTE, displayName: "Contribute", summary: "Contributes to the workflows within the project." },
  { slug: "member", role: ProjectAccess_ProjectRole.MEMBER, displayName: "Member", summary: "Basic membership: read-only access to the project." },
  {
    slug: "developer",
    role: ProjectAccess_ProjectRole.DEVELOPER,
    displayName: "Developer",
    summary: "Held on every project by the principals with the Account Developer role.",
    inherited: "the Developer project role comes with the Account Developer role and cannot be assigned directly",
  },
];

/** projectRoleInfo describes a project role by slug or Temporal value; undefined for UNSPECIFIED and unknown values. */
export function projectRoleInfo(role: string | ProjectAccess_ProjectRole): ProjectRoleInfo | undefined {
  return PROJECT_ROLES.find((r) => r.slug === role || r.role === role);
}

/** hasAdminEverywhere is true for the roles that are namespace admins on every namespace. */
export function hasAdminEverywhere(role: AccountAccess_Role): boolean {
  return role === AccountAccess_Role.OWNER || role === AccountAccess_Role.ADMIN;
}

/** GroupSource is where a group's membership is managed. */
export type GroupSource = "google" | "scim" | "cloud";

/** groupSource tells a group's kind from its spec. */
export function groupSource(group: UserGroup): GroupSource {
  switch (group.spec?.groupType.case) {
    case "googleGroup":
      return "google";
    case "scimGroup":
      return "scim";
    default:
      return "cloud";
  }
}

/** externallyManaged explains why the membership of Google and SCIM groups is read-only here. */
export function externallyManaged(source: GroupSource): string | undefined {
  if (source === "google") return "membership of Google groups is managed in Google Workspace";
  if (source === "scim") return "membership of SCIM groups is managed by the identity provider";
  return undefined;
}
