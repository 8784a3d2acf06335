import { isAdminRole, roleOf } from "../src/simulator/temporal/access-policy.js";
import { generateAccount } from "../src/simulator/temporal/index.js";

/**
 * The account model of the benchmark: the sizes of a generated account, the counts the simulator
 * will serve for them, the request floor of our connector and the request count of the official Go
 * connector's algorithm on the same account.
 */

/** AccountSize is what the simulator generates (its CLI flags). */
export interface AccountSize {
  users: number;
  serviceAccounts: number;
  namespaces: number;
  groups: number;
  membersPerGroup: number;
  customRoles: number;
  apiKeys: number;
  /** Projects (API v0.18.0), each with two project-scoped service accounts (generate-account.ts). */
  projects: number;
  seed: number;
}

/**
 * sizeFor scales the issue-6 account (10,000 users, 1,000 service accounts, 200 namespaces, 300
 * groups of ~20 members, 50 custom roles, 5,000 API keys) and issue 25's 20 projects to `users`:
 * service accounts, namespaces, groups, API keys and projects scale proportionally; members per
 * group (20) and custom roles (50) stay fixed.
 */
export function sizeFor(users: number): AccountSize {
  const f = users / 10_000;
  const scaled = (n: number) => Math.max(1, Math.round(n * f));
  return { users, serviceAccounts: scaled(1000), namespaces: scaled(200), groups: scaled(300), membersPerGroup: 20, customRoles: 50, apiKeys: scaled(5000), projects: scaled(20), seed: 1 };
}

/** simulatorFlags renders a size as `simulator` command flags. */
export function simulatorFlags(size: AccountSize): string[] {
  return [
    "--users", String(size.users),
    "--service-accounts", String(size.serviceAccounts),
    "--namespaces", String(size.namespaces),
    "--groups", String(size.groups),
    "--members-per-group", String(size.membersPerGroup),
    "--custom-roles", String(size.customRoles),
    "--api-keys", String(size.apiKeys),
    "--projects", String(size.projects),
    "--seed", String(size.seed),
  ];
}

/** AccountCounts are the item counts of every list endpoint the sync may read. */
export interface AccountCounts {
  users: number;
  serviceAccounts: number;
  groups: number;
  namespaces: number;
  customRoles: number;
  apiKeys: number;
  projects: number;
  /** Members of each group. */
  groupMembers: number[];
  /** Users GetUsers?namespace=<ns> returns for each namespace (explicit access, or Owner/Admin). */
  usersPerNamespace: number[];
}

/**
 * countAccount generates the account exactly as the simulator child does (the generator is
 * deterministic for a seed; `now` only moves expiry dates) and keeps only its counts.
 */
export function countAccount(size: AccountSize): AccountCounts {
  const account = generateAccount(size);
  let admins = 0;
  const explicit = new Map<string, number>();
  for (const user of account.users) {
    const access = user.spec?.access;
    // Mirrors userHasNamespaceAccess (simulator user-routes.ts) without a users × namespaces loop.
    if (isAdminRole(roleOf(access))) {
      admins++;
      continue;
    }
    for (const ns of Object.keys(access?.namespaceAccesses ?? {})) explicit.set(ns, (explicit.get(ns) ?? 0) + 1);
  }
  return {
    users: account.users.length,
    serviceAccounts: account.serviceAccounts.length,
    groups: account.groups.length,
    namespaces: account.namespaces.length,
    customRoles: account.customRoles.length,
    apiKeys: account.apiKeys.length,
    projects: account.projects?.length ?? 0,
    groupMembers: account.groups.map((g) => account.groupMembers.get(g.id)?.length ?? 0),
    usersPerNamespace: account.namespaces.map((n) => admins + (explicit.get(n.namespace) ?? 0)),
  };
}

/** pages is the number of requests to walk a list of n items: at least one, to learn it is empty. */
export function pages(items: number, pageSize: number): number {
  return Math.max(1, Math.ceil(items / pageSize));
}

/** ALL_TYPES are the resource types our connector announces. */
export const ALL_TYPES = ["user", "service-account", "group", "namespace", "project", "account-role", "custom-role", "api-key", "security-insight"] as const;

/** OFFICIAL_TYPES are what the official Go connector syncs. */
export const OFFICIAL_TYPES = ["user", "service-account", "namespace", "account-role"] as const;

/** Floor is the fewest upstream requests a sync of some resource types can make, with its parts. */
export interface Floor {
  total: number;
  parts: Record<string, number>;
}

/**
 * requestFloor is the physical limit (issue 6): one pass over each list endpoint the synced types
 * need at page size 1,000 — ceil(items / 1000), at least 1, per parent it must be called for — plus
 * a constant of 2 for Validate (GetCurrentIdentity to check the key, GetAccount for the account id
 * that every account-role and namespace id embeds).
 *
 * What each type needs:
 * - user, service-account, namespace, custom-role, api-key, group: their own list;
 * - group also: GetUserGroupMembers once per group (members are only readable per group);
 * - namespace, account-role and custom-role grants: who holds them is written on the principals,
 *   so the users, service-accounts and groups lists (a namespace's grants also include groups'
 *   and service accounts' permissions, which GetUsers?namespace= cannot give);
 * - project: its own list, and for its grants the principals' lists too (project roles are
 *   written on the principals; project-scoped service accounts are in GetServiceAccounts);
 * - security-insight: the findings read the users, service accounts, groups and API keys, and
 *   the projects (for their names; API v0.18.0 and later, which the bench speaks).
 */
export function requestFloor(counts: AccountCounts, types: readonly string[]): Floor {
  const lists = new Set<string>();
  for (const type of types) {
    switch (type) {
      case "user":
        lists.add("users");
        break;
      case "service-account":
        lists.add("serviceAccounts");
        break;
      case "group":
        lists.add("groups").add("groupMembers");
        break;
      case "namespace":
        lists.add("namespaces").add("users").add("serviceAccounts").add("groups");
        break;
      case "account-role":
        lists.add("users").add("serviceAccounts").add("groups");
        break;
      case "custom-role":
        lists.add("customRoles").add("users").add("serviceAccounts").add("groups");
        break;
      case "api-key":
        lists.add("apiKeys");
        break;
      case "project":
        lists.add("projects").add("users").add("serviceAccounts").add("groups");
        break;
      case "security-insight":
        lists.add("users").add("serviceAccounts").add("groups").add("apiKeys").add("projects");
        break;
    }
  }
  const parts: Record<string, number> = { "GetCurrentIdentity+GetAccount": 2 };
  const route: Record<string, [string, number]> = {
    users: ["GetUsers", counts.users],
    serviceAccounts: ["GetServiceAccounts", counts.serviceAccounts],
    groups: ["GetUserGroups", counts.groups],
    namespaces: ["GetNamespaces", counts.namespaces],
    customRoles: ["GetCustomRoles", counts.customRoles],
    apiKeys: ["GetApiKeys", counts.apiKeys],
    projects: ["GetProjects", counts.projects],
  };
  for (const list of lists) {
    if (list === "groupMembers") parts.GetUserGroupMembers = counts.groupMembers.reduce((sum, m) => sum + pages(m, 1000), 0);
    else parts[route[list]![0]] = pages(route[list]![1], 1000);
  }
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

/** OFFICIAL_ROLES is how many account roles the official connector lists grants for (issue 6: all six). */
export const OFFICIAL_ROLES = 6;
/** OFFICIAL_PAGE_SIZE: the official connector never sets page_size, so the API's default applies. */
export const OFFICIAL_PAGE_SIZE = 100;

/**
 * officialRequests is the request count of the official Go connector (ConductorOne/baton-temporalcloud,
 * the Cloud Ops API version with account roles and service accounts) for a full sync of its four
 * resource types on the same account, derived from its algorithm:
 *
 *   GetUsers      ceil(U/100)            user List, one page per call
 *   GetServiceAccounts ceil(S/100)       service-account List
 *   GetNamespaces ceil(N/100)            namespace List
 *   GetAccount    1                      account-role List (GetAccountID; its cache is never filled,
 *                                        so every call fetches the account again)
 *   GetAccount    R                      account-role Entitlements, one call per role
 *   GetUsers      R × ceil(U/100)        account-role Grants: every user, once per role…
 *   GetAccount    R × ceil(U/100)        …plus GetAccountID on every Grants page
 *   GetUsers      Σ_ns ceil(u_ns/100)    namespace Grants: GetUsers?namespace=<ns>, u_ns = users with
 *                                        explicit access to ns plus Owners/Admins (as the simulator
 *                                        answers that filter)
 *
 * with R = 6 roles, every list at the API's default page size of 100, each empty list still one
 * request. Assumptions: Validate makes no request (it returns nil); user and service-account
 * Entitlements/Grants and namespace Entitlements make none; service accounts' and groups' access is
 * not synced at all (so it costs nothing); no retries. Counting a GetAccount on every connector call
 * instead (the resource List pages too) would only raise the count.
 */
export function officialRequests(counts: AccountCounts): Floor {
  const p = (n: number) => pages(n, OFFICIAL_PAGE_SIZE);
  const userPages = p(counts.users);
  const parts: Record<string, number> = {
    "GetUsers (user List)": userPages,
    "GetServiceAccounts (service-account List)": p(counts.serviceAccounts),
    "GetNamespaces (namespace List)": p(counts.namespaces),
    "GetAccount (account-role List + Entitlements)": 1 + OFFICIAL_ROLES,
    "GetUsers (account-role Grants)": OFFICIAL_ROLES * userPages,
    "GetAccount (account-role Grants pages)": OFFICIAL_ROLES * userPages,
    "GetUsers?namespace= (namespace Grants)": counts.usersPerNamespace.reduce((sum, u) => sum + p(u), 0),
  };
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}
