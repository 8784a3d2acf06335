import type { JsonValue } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { findAnnotation } from "../connector/annotations.js";
import { SecretTraitSchema, SecurityInsightTraitSchema, Status_ResourceStatus, type Grant, type Resource, type ResourceType } from "../connector/c1.js";
import { ACCOUNT_ROLE, API_KEY, CUSTOM_ROLE, GROUP, NAMESPACE, PROJECT, SECURITY_INSIGHT, USER } from "../resources/resource-types.js";
import { PROJECT_ROLES } from "../resources/temporal-access.js";

/** ReportInput is what a report is made from: one sync, as a c1z file or a live sync holds it. */
export interface ReportInput {
  /** The sync shown, when known. */
  sync?: { syncId: string; startedAt?: Date; endedAt?: Date };
  resourceTypes: Iterable<ResourceType>;
  resources: Iterable<Resource>;
  grants: Iterable<Grant>;
}

/** Ref names a resource by type and id. */
export interface Ref {
  type: string;
  id: string;
}

/** Via says how access is held: directly, through a group, and/or inherited from an account role. */
export interface Via {
  /** Group (id) whose grant the principal holds as a member. */
  group?: string;
  /** Account role resource (id) whose inherited admin the principal holds. */
  role?: string;
}

/** Held is one entitlement held by a principal, and how. */
export interface Held<T> {
  what: T;
  via: Via;
}

/**
 * NamespaceAccess is one way a namespace permission (or a project role) is held, and by whom:
 * directly (users and service accounts), through one group (its members), or inherited from an
 * account role (its holders, group members included): Owner and Admin on every namespace,
 * Developer on every project.
 */
export interface NamespaceAccess {
  level: string;
  way: { kind: "direct" } | { kind: "group"; group: string } | { kind: "inherited"; role: string };
  holders: Ref[];
}

/** Finding is a security insight as the report shows it. */
export interface Finding {
  resource: Resource;
  kind: string;
  severity: string;
  target?: Ref;
  observedAt?: Date;
}

/** KeyInfo is an API key as the report shows it. */
export interface KeyInfo {
  resource: Resource;
  owner?: Ref;
  expiresAt?: Date;
  createdAt?: Date;
  status: "enabled" | "disabled" | "expired" | "deleted";
}

/**
 * AccessModel is a sync turned around for people: for each namespace who holds what and how, for
 * each principal what it holds and how, with group membership and the admin that owners and
 * admins inherit on every namespace spelled out.
 */
export interface AccessModel {
  resourceTypes: ResourceType[];
  /** Every resource by `<type>:<id>`. */
  resources: Map<string, Resource>;
  /** Resources of each type, sorted by display name. */
  byType: Map<string, Resource[]>;
  grantCount: number;
  /**
   * Of grantCount, the grants a syncer derived by expansion (group members, inherited roles):
   * the model works them out itself from the others, and says through what each is held.
   */
  derivedGrantCount: number;
  findings: Finding[];
  keys: KeyInfo[];
  /** How each namespace (by id) is held: by level, inherited first, then direct, then each group. */
  namespaceAccess: Map<string, NamespaceAccess[]>;
  /** How each project (by id) is held, the same way, by role (API v0.18.0 and later). */
  projectAccess: Map<string, NamespaceAccess[]>;
  /** Members (user ids) of each group. */
  groupMembers: Map<string, string[]>;
  /** Groups (ids) of each user. */
  userGroups: Map<string, string[]>;
  /** Direct holders of each account role (by role resource id). */
  roleHolders: Map<string, Ref[]>;
  /** Everyone who holds an account role: its direct holders, and the members of groups holding it. */
  roleMembers(roleId: string): { principal: Ref; via: Via }[];
  /** Account roles held by a principal, directly or through its groups. */
  rolesOf(p: Ref): Held<string>[];
  /** Custom roles held by a principal, directly or through its groups. */
  customRolesOf(p: Ref): Held<string>[];
  /** Explicit namespace permissions held by a principal, directly or through its groups. */
  namespacesOf(p: Ref): Held<{ namespace: string; level: string }>[];
  /** Owner or admin roles (resource ids) through which a principal administers every namespace. */
  adminEverywhereVia(p: Ref): Held<string>[];
  keysOf(p: Ref): KeyInfo[];
  /** The role slug (owner, admin…) of an account-role resource id. */
  roleSlug(roleId: string): string;
}

/** LEVEL_RANK orders namespace permissions, most powerful first. */
const LEVEL_RANK: Readonly<Record<string, number>> = { admin: 0, write: 1, read: 2 };

/** PROJECT_ROLE_RANK orders project roles as Temporal lists them. */
const PROJECT_ROLE_RANK: Readonly<Record<string, number>> = Object.fromEntries(PROJECT_ROLES.map((r, i) => [r.slug, i]));

/** SEVERITY_RANK orders severities, most severe first. */
export const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 4, high: 3, medium: 2, low: 1 };

/** key is the map key of a resource. */
export function key(type: string, id: string): string {
  return `${type}:${id}`;
}

/** buildAccessModel reads a sync's resources and grants into an AccessModel. */
export function buildAccessModel(input: ReportInput): AccessModel {
  const resourceTypes = [...input.resourceTypes];
  const resources = new Map<string, Resource>();
  const byType = new Map<string, Resource[]>();
  for (const r of input.resources) {
    if (!r.id) continue;
    resources.set(key(r.id.resourceType, r.id.resource), r);
    push(byType, r.id.resourceType, r);
  }
  // By name, except the account roles, which keep the connector's order (Owner, Admin… down to Metrics Read).
  for (const [type, list] of byType) if (type !== ACCOUNT_ROLE.id) list.sort((a, b) => compareText(a.displayName || a.id!.resource, b.displayName || b.id!.resource));

  const groupMembers = new Map<string, string[]>();
  const userGroups = new Map<string, string[]>();
  const roleHolders = new Map<string, Ref[]>();
  const customRoleHolders = new Map<string, Ref[]>();
  const namespaceGrants = new Map<string, { level: string; principal: Ref }[]>();
  const projectGrants = new Map<string, { level: string; principal: Ref }[]>();
  let grantCount = 0;
  let derivedGrantCount = 0;
  for (const g of input.grants) {
    grantCount++;
    if (isDerived(g)) {
      derivedGrantCount++;
      continue;
    }
    const owner = g.entitlement?.resource?.id;
    const principal = g.principal?.id;
    if (!owner || !principal || !g.entitlement) continue;
    const prefix = `${owner.resourceType}:${owner.resource}:`;
    if (!g.entitlement.id.startsWith(prefix)) continue;
    const slug = g.entitlement.id.slice(prefix.length);
    const ref = { type: principal.resourceType, id: principal.resource };
    switch (owner.resourceType) {
      case GROUP.id:
        if (ref.type === USER.id) {
          push(groupMembers, owner.resource, ref.id);
          push(userGroups, ref.id, owner.resource);
        }
        break;
      case ACCOUNT_ROLE.id:
        push(roleHolders, owner.resource, ref);
        break;
      case CUSTOM_ROLE.id:
        push(customRoleHolders, owner.resource, ref);
        break;
      case NAMESPACE.id:
        push(namespaceGrants, owner.resource, { level: slug, principal: ref });
        break;
      case PROJECT.id:
        push(projectGrants, owner.resource, { level: slug, principal: ref });
        break;
    }
  }

  const roleSlug = (roleId: string): string => {
    const role = resources.get(key(ACCOUNT_ROLE.id, roleId))?.profile?.role;
    return typeof role === "string" ? role : roleId;
  };
  const isAdminRole = (roleId: string) => ["owner", "admin"].includes(roleSlug(roleId));

  // Turned around: what each principal holds directly.
  const directRoles = invert(roleHolders);
  const directCustomRoles = invert(customRoleHolders);
  const directNamespaces = new Map<string, { namespace: string; level: string }[]>();
  for (const [namespace, grants] of namespaceGrants) {
    for (const { level, principal } of grants) push(directNamespaces, key(principal.type, principal.id), { namespace, level });
  }
  const throughGroups = <T>(p: Ref, direct: Map<string, T[]>): Held<T>[] => {
    const held: Held<T>[] = (direct.get(key(p.type, p.id)) ?? []).map((what) => ({ what, via: {} }));
    if (p.type === USER.id) {
      for (const group of userGroups.get(p.id) ?? []) for (const what of direct.get(key(GROUP.id, group)) ?? []) held.push({ what, via: { group } });
    }
    return held;
  };
  const rolesOf = (p: Ref) => throughGroups(p, directRoles);

  // Everyone who holds a role, members of groups that hold it included.
  const roleMembers = (roleId: string): { principal: Ref; via: Via }[] => {
    const members: { principal: Ref; via: Via }[] = [];
    for (const holder of roleHolders.get(roleId) ?? []) {
      if (holder.type === GROUP.id) for (const user of groupMembers.get(holder.id) ?? []) members.push({ principal: { type: USER.id, id: user }, via: { group: holder.id, role: roleId } });
      else members.push({ principal: holder, via: { role: roleId } });
    }
    return members;
  };

  const nameOf = (ref: Ref) => resources.get(key(ref.type, ref.id))?.displayName || ref.id;
  const byName = (a: Ref, b: Ref) => compareText(nameOf(a), nameOf(b));
  /** waysHeld groups each resource's grants by level and way (inherited, direct, each group), ordered by `rank`. */
  const waysHeld = (grantsOf: Map<string, { level: string; principal: Ref }[]>, rank: Readonly<Record<string, number>>): Map<string, NamespaceAccess[]> => {
    const ways = new Map<string, NamespaceAccess[]>();
    for (const [id, grants] of grantsOf) ways.set(id, waysOf(grants, rank));
    return ways;
  };
  const waysOf = (grants: { level: string; principal: Ref }[], levelRank: Readonly<Record<string, number>>): NamespaceAccess[] => {
    const rows: (NamespaceAccess & { order: string })[] = [];
    const direct = new Map<string, NamespaceAccess & { order: string }>();
    for (const { level, principal } of grants) {
      if (principal.type === ACCOUNT_ROLE.id) {
        // The role's own order (Owner before Admin) is kept by its position among the role resources.
        const rank = String((byType.get(ACCOUNT_ROLE.id) ?? []).findIndex((r) => r.id!.resource === principal.id)).padStart(3, "0");
        // Each holder once, though it may hold the role both itself and through a group.
        const holders = new Map(roleMembers(principal.id).map((m) => [key(m.principal.type, m.principal.id), m.principal]));
        rows.push({ level, way: { kind: "inherited", role: principal.id }, holders: [...holders.values()], order: `0${rank}` });
      } else if (principal.type === GROUP.id) {
        const holders = (groupMembers.get(principal.id) ?? []).map((id) => ({ type: USER.id, id }));
        rows.push({ level, way: { kind: "group", group: principal.id }, holders, order: `2${nameOf(principal)}` });
      } else {
        let row = direct.get(level);
        if (!row) {
          row = { level, way: { kind: "direct" }, holders: [], order: "1" };
          direct.set(level, row);
          rows.push(row);
        }
        row.holders.push(principal);
      }
    }
    for (const row of rows) row.holders.sort(byName);
    rows.sort((a, b) => (levelRank[a.level] ?? 9) - (levelRank[b.level] ?? 9) || compareText(a.order, b.order));
    return rows.map(({ order: _, ...row }) => row);
  };
  const namespaceAccess = waysHeld(namespaceGrants, LEVEL_RANK);
  const projectAccess = waysHeld(projectGrants, PROJECT_ROLE_RANK);

  const findings: Finding[] = [];
  for (const r of byType.get(SECURITY_INSIGHT.id) ?? []) {
    const trait = findAnnotation(r.annotations, SecurityInsightTraitSchema);
    const issue = trait?.insightType.case === "issue" ? trait.insightType.value : undefined;
    const target = trait?.target.case === "resourceId" ? { type: trait.target.value.resourceType, id: trait.target.value.resource } : undefined;
    findings.push({
      resource: r,
      kind: issue?.value || text(r.profile?.kind) || "finding",
      severity: (issue?.severity || text(r.profile?.severity) || "low").toLowerCase(),
      target,
      observedAt: trait?.observedAt && timestampDate(trait.observedAt),
    });
  }
  findings.sort((a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) || compareText(a.kind, b.kind) || compareText(a.resource.displayName, b.resource.displayName));

  const keys: KeyInfo[] = [];
  const keysByOwner = new Map<string, KeyInfo[]>();
  for (const r of byType.get(API_KEY.id) ?? []) {
    const trait = findAnnotation(r.annotations, SecretTraitSchema);
    const owner = trait?.identityId ? { type: trait.identityId.resourceType, id: trait.identityId.resource } : undefined;
    const info: KeyInfo = {
      resource: r,
      owner,
      expiresAt: trait?.expiresAt && timestampDate(trait.expiresAt),
      createdAt: r.createdAt && timestampDate(r.createdAt),
      status: keyStatus(r),
    };
    keys.push(info);
    if (owner) push(keysByOwner, key(owner.type, owner.id), info);
  }

  return {
    resourceTypes,
    resources,
    byType,
    grantCount,
    derivedGrantCount,
    findings,
    keys,
    namespaceAccess,
    projectAccess,
    groupMembers,
    userGroups,
    roleHolders,
    roleMembers,
    rolesOf,
    customRolesOf: (p) => throughGroups(p, directCustomRoles),
    namespacesOf: (p) => throughGroups(p, directNamespaces),
    adminEverywhereVia: (p) => rolesOf(p).filter((held) => isAdminRole(held.what)),
    keysOf: (p) => keysByOwner.get(key(p.type, p.id)) ?? [],
    roleSlug,
  };
}

/**
 * isDerived tells a grant a syncer derived by expansion (docs/grant-expansion.md): its sources
 * name the entitlements it came through, never its own (a listed grant that is also derived
 * names itself among them).
 */
export function isDerived(grant: Grant): boolean {
  const sources = grant.sources?.sources;
  if (!sources || !grant.entitlement) return false;
  const keys = Object.keys(sources);
  return keys.length > 0 && !keys.includes(grant.entitlement.id);
}

function keyStatus(r: Resource): KeyInfo["status"] {
  const status = r.status?.status;
  if (status === Status_ResourceStatus.DELETED) return "deleted";
  if (status !== Status_ResourceStatus.DISABLED) return "enabled";
  return r.profile?.disabled === true ? "disabled" : r.profile?.expired === true ? "expired" : "disabled";
}

/** invert turns "holders of X" into "what each holder holds". */
function invert(holders: Map<string, Ref[]>): Map<string, string[]> {
  const held = new Map<string, string[]>();
  for (const [what, refs] of holders) for (const ref of refs) push(held, key(ref.type, ref.id), what);
  return held;
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

function text(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** compareText orders names as people expect (case-insensitive, numbers by value). */
export function compareText(a: string, b: string): number {
  return collator.compare(a, b);
}
