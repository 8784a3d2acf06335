import { timestampDate } from "@bufbuild/protobuf/wkt";
import { AccountAccess_Role, OwnerType, ProjectAccess_ProjectRole, type Access, type ApiKey, type ServiceAccount, type User, type UserGroup } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import type { Project } from "../gen/temporal/api/cloud/project/v1/message_pb.js";
import { ResourceState } from "../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { ACCOUNT_ROLE, API_KEY, GROUP, SERVICE_ACCOUNT, USER } from "../resources/resource-types.js";
import { accountRoleId, groupSource, permissionSlug, roleSlug, ROLES, type RoleSlug } from "../resources/temporal-access.js";

/** InsightKind names what a finding is about; it is the SecurityInsightTrait's issue value. */
export type InsightKind =
  | "service-account-admin"
  | "group-grants-admin"
  | "api-key-orphaned"
  | "api-key-long-lived"
  | "api-key-expired"
  | "invitation-expired-with-access"
  | "admin-count";

/** InsightSeverity is the SecurityInsightTrait's issue severity. */
export type InsightSeverity = "low" | "medium" | "high" | "critical";

/** INSIGHT_KINDS describes each kind: its severity and the rule, in words a reviewer reads. */
export const INSIGHT_KINDS: Readonly<Record<InsightKind, { severity: InsightSeverity; rule: string }>> = {
  "service-account-admin": { severity: "high", rule: "A service account holds the Account Admin role: its API keys can change every user, key and namespace of the account." },
  "group-grants-admin": { severity: "high", rule: "A group holds the Account Admin role: every member, now and later, is an Account Admin." },
  "api-key-orphaned": {
    severity: "high",
    rule: "An enabled API key whose owner is neither a user nor a service account of the account, or is a user whose invitation expired unaccepted: nobody answers for it.",
  },
  "api-key-long-lived": { severity: "medium", rule: "An enabled API key that is valid for longer than the allowed lifetime after its creation." },
  "api-key-expired": { severity: "low", rule: "An API key whose expiry has passed but that was never disabled or deleted." },
  "invitation-expired-with-access": {
    severity: "medium",
    rule: "A user whose invitation expired unaccepted still holds a namespace permission, an account role above Read, or a custom role.",
  },
  "admin-count": { severity: "medium", rule: "More users and service accounts hold Account Owner or Account Admin than the account should need." },
};

/**
 * PROJECT_ADMIN_RULE is the rule of a service-account-admin finding about a project's Admin
 * role (API v0.18.0 and later) rather than the account's: the same risk, within the project.
 */
export const PROJECT_ADMIN_RULE =
  "A service account holds the Admin role of a project: its API keys can change the project's namespaces and who may access them.";

/** InsightThresholds are the tunable limits of the rules (flags, see src/cli/config.ts). */
export interface InsightThresholds {
  /** api-key-long-lived: most days an enabled key may be valid after its creation. */
  apiKeyMaxDays: number;
  /** admin-count: owners plus admins allowed whatever the size of the account. */
  minAdmins: number;
  /** admin-count: owners plus admins allowed, in percent of the users. */
  maxAdminsPercent: number;
}

/** DEFAULT_INSIGHT_THRESHOLDS are the thresholds when no flag says otherwise. */
export const DEFAULT_INSIGHT_THRESHOLDS: InsightThresholds = { apiKeyMaxDays: 90, minAdmins: 3, maxAdminsPercent: 5 };

/** InsightFacts are a finding's details, shown as the resource's profile. */
export type InsightFacts = Record<string, string | number | boolean>;

/** Insight is one finding about one resource. */
export interface Insight {
  /** `<kind>:<target resource type>:<target resource id>`: the same account state gives the same ids. */
  id: string;
  kind: InsightKind;
  severity: InsightSeverity;
  target: { resourceType: string; resource: string };
  /** One sentence a reviewer understands, naming the target. */
  sentence: string;
  facts: InsightFacts;
  /** The rule the finding applies, when it is not its kind's (INSIGHT_KINDS). */
  rule?: string;
}

/** AccountLists is what the rules read: lists a sync reads anyway (no group members needed). */
export interface AccountLists {
  accountId: string;
  users: readonly User[];
  serviceAccounts: readonly ServiceAccount[];
  groups: readonly UserGroup[];
  apiKeys: readonly ApiKey[];
  /** The projects, when the API version has them: their names make findings readable. */
  projects?: readonly Project[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * findInsights applies every rule to the account's lists at `now`, and returns the findings
 * sorted by id. It reads what principals hold themselves: access through a group is the
 * group's finding (group-grants-admin), which keeps the rules off the group member lists.
 */
export function findInsights(account: AccountLists, now: Date, thresholds: InsightThresholds = DEFAULT_INSIGHT_THRESHOLDS): Insight[] {
  const found: Insight[] = [];
  const add = (kind: InsightKind, targetType: string, targetId: string, sentence: string, facts: InsightFacts) => {
    found.push({
      id: `${kind}:${targetType}:${targetId}`,
      kind,
      severity: INSIGHT_KINDS[kind].severity,
      target: { resourceType: targetType, resource: targetId },
      sentence,
      facts: { kind, severity: INSIGHT_KINDS[kind].severity, target_type: targetType, target_id: targetId, ...facts },
    });
  };
  const usersById = new Map(account.users.map((u) => [u.id, u]));
  const serviceAccountIds = new Set(account.serviceAccounts.map((s) => s.id));

  const projectNames = new Map((account.projects ?? []).map((p) => [p.id, p.spec?.displayName || p.id]));
  for (const sa of account.serviceAccounts) {
    const name = sa.spec?.name || sa.id;
    if (!sa.spec?.namespaceScopedAccess && !sa.spec?.projectScopedAccess && roleOf(sa.spec?.access) === "admin") {
      add("service-account-admin", SERVICE_ACCOUNT.id, sa.id, `Service account ${name} holds Account Admin`, { name });
      continue;
    }
    // The same rule within a project: a service account that administers one (an Account Admin is found above).
    const projects = projectsAdministered(sa);
    if (projects.length === 0) continue;
    const names = projects.map((id) => projectNames.get(id) ?? id).sort();
    add("service-account-admin", SERVICE_ACCOUNT.id, sa.id, `Service account ${name} is Admin of project${names.length === 1 ? "" : "s"} ${listed(names)}`, { name, projects: projects.join(", ") });
    found[found.length - 1]!.rule = PROJECT_ADMIN_RULE;
  }

  for (const group of account.groups) {
    if (roleOf(group.spec?.access) !== "admin") continue;
    const name = group.spec?.displayName || group.id;
    add("group-grants-admin", GROUP.id, group.id, `Group ${name} makes every member an Account Admin`, { name, group_source: groupSource(group) });
  }

  for (const key of account.apiKeys) {
    const spec = key.spec;
    const name = spec?.displayName || key.id;
    const expires = spec?.expiryTime && timestampDate(spec.expiryTime);
    const expired = key.state === ResourceState.EXPIRED || (expires !== undefined && expires <= now);
    const gone = key.state === ResourceState.DELETING || key.state === ResourceState.DELETED;
    if (spec?.disabled || gone) continue;
    if (expired) {
      add("api-key-expired", API_KEY.id, key.id, `API key ${name} expired${expires ? ` on ${day(expires)}` : ""} but was never disabled or deleted`, {
        name,
        ...(expires ? { expires_at: expires.toISOString() } : {}),
      });
      continue;
    }
    // Enabled from here on: neither disabled nor expired, so the key still authenticates.
    const ownerId = spec?.ownerId ?? "";
    const owner = usersById.get(ownerId);
    const ownerExpiredAt = owner && invitationExpiredAt(owner, now);
    if (ownerExpiredAt) {
      const email = owner.spec?.email || owner.id;
      add("api-key-orphaned", API_KEY.id, key.id, `API key ${name} is enabled but its owner ${email} never accepted an invitation that expired on ${day(ownerExpiredAt)}`, {
        name,
        owner_id: ownerId,
        owner_type: USER.id,
        reason: "owner-invitation-expired",
      });
    } else if (!owner && !serviceAccountIds.has(ownerId)) {
      const ownerType = spec?.ownerType === OwnerType.SERVICE_ACCOUNT ? "service account" : spec?.ownerType === OwnerType.USER ? "user" : "owner";
      add("api-key-orphaned", API_KEY.id, key.id, `API key ${name} is enabled but its owner, ${ownerType} ${ownerId || "(none)"}, is no longer in the account`, {
        name,
        owner_id: ownerId,
        reason: "owner-missing",
      });
    }
    const created = key.createdTime && timestampDate(key.createdTime);
    if (!created) continue; // no creation time: its lifetime cannot be told
    const lifetimeDays = expires ? (expires.getTime() - created.getTime()) / DAY_MS : Infinity;
    if (lifetimeDays > thresholds.apiKeyMaxDays) {
      const valid = expires ? `is valid for ${Math.floor(lifetimeDays)} days (until ${day(expires)})` : "never expires";
      add("api-key-long-lived", API_KEY.id, key.id, `API key ${name} ${valid}, more than the ${thresholds.apiKeyMaxDays} allowed`, {
        name,
        created_at: created.toISOString(),
        ...(expires ? { expires_at: expires.toISOString(), lifetime_days: Math.floor(lifetimeDays) } : {}),
        max_days: thresholds.apiKeyMaxDays,
      });
    }
  }

  for (const user of account.users) {
    const expiredAt = invitationExpiredAt(user, now);
    if (!expiredAt) continue;
    const held = accessHeld(user.spec?.access);
    if (held.length === 0) continue;
    const email = user.spec?.email || user.id;
    add("invitation-expired-with-access", USER.id, user.id, `User ${email} never accepted an invitation that expired on ${day(expiredAt)} but still holds ${listed(held)}`, {
      email,
      invitation_expired_at: expiredAt.toISOString(),
      access: held.join(", "),
    });
  }

  const owners = account.users.filter((u) => roleOf(u.spec?.access) === "owner").length;
  const admins = account.users.filter((u) => roleOf(u.spec?.access) === "admin").length;
  const adminServiceAccounts = account.serviceAccounts.filter((s) => !s.spec?.namespaceScopedAccess && roleOf(s.spec?.access) === "admin").length;
  const total = owners + admins + adminServiceAccounts;
  const allowed = Math.max(thresholds.minAdmins, (account.users.length * thresholds.maxAdminsPercent) / 100);
  if (total > allowed) {
    add(
      "admin-count",
      ACCOUNT_ROLE.id,
      accountRoleId(account.accountId, "admin"),
      `${total} users and service accounts hold Account Owner or Account Admin, more than the ${Math.floor(allowed)} allowed for ${account.users.length} users`,
      { owners, admins, admin_service_accounts: adminServiceAccounts, allowed: Math.floor(allowed), users: account.users.length },
    );
  }

  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** roleOf is the built-in account role an Access holds. */
function roleOf(access: Access | undefined): RoleSlug | undefined {
  return roleSlug(access?.accountAccess?.role ?? AccountAccess_Role.UNSPECIFIED);
}

/** projectsAdministered lists (sorted) the projects in which a service account holds the Admin role, its scope's included. */
function projectsAdministered(sa: ServiceAccount): string[] {
  const scoped = sa.spec?.projectScopedAccess;
  if (scoped) return scoped.access?.role === ProjectAccess_ProjectRole.ADMIN ? [scoped.projectId] : [];
  if (sa.spec?.namespaceScopedAccess) return [];
  return Object.entries(sa.spec?.access?.projectAccesses ?? {})
    .filter(([, access]) => access.role === ProjectAccess_ProjectRole.ADMIN)
    .map(([id]) => id)
    .sort();
}

/** invitationExpiredAt is when the user's unaccepted invitation expired, if it has. */
function invitationExpiredAt(user: User, now: Date): Date | undefined {
  const expires = user.invitation?.expiredTime && timestampDate(user.invitation.expiredTime);
  return expires && expires <= now ? expires : undefined;
}

/** ABOVE_READ are the account roles that give more than Read (Metrics Read gives less). */
const ABOVE_READ: ReadonlySet<RoleSlug> = new Set(["owner", "admin", "developer", "finance-admin"]);

/** accessHeld lists, for people, the access beyond Read that an Access grants. */
function accessHeld(access: Access | undefined): string[] {
  const held: string[] = [];
  const role = roleOf(access);
  if (role && ABOVE_READ.has(role)) held.push(ROLES.find((r) => r.slug === role)!.displayName);
  const customRoles = access?.accountAccess?.customRoles ?? [];
  if (customRoles.length > 0) held.push(`${customRoles.length} custom role${customRoles.length === 1 ? "" : "s"}`);
  for (const [namespace, ns] of Object.entries(access?.namespaceAccesses ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const permission = permissionSlug(ns.permission);
    if (permission) held.push(`${permission} on ${namespace}`);
  }
  return held;
}

/** listed joins a few items into prose, summarising long lists. */
function listed(items: readonly string[]): string {
  if (items.length > 3) return `${items.slice(0, 2).join(", ")} and ${items.length - 2} more`;
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

