import { createHash } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AccessSchema,
  AccountAccess_Role as Role,
  ApiKeySchema,
  CustomRoleSchema,
  InvitationSchema,
  NamespaceAccess_Permission as Permission,
  ProjectAccessSchema,
  OwnerType,
  ProjectAccess_ProjectRole as ProjectRole,
  ServiceAccountSchema,
  UserGroupSchema,
  UserGroupSpecSchema,
  UserSchema,
  type ApiKey,
  type CustomRole,
  type ServiceAccount,
  type User,
  type UserGroup,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { NamespaceSchema, Replica_ReplicaState, type Namespace } from "../../gen/temporal/api/cloud/namespace/v1/message_pb.js";
import { ProjectSchema, type Project } from "../../gen/temporal/api/cloud/project/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import type { AccountData } from "./account-data.js";
import { createPrng, type Prng } from "./prng.js";

/** GenerateAccountOptions sizes a generated account; counts left out get defaults scaled to `users`. */
export interface GenerateAccountOptions {
  users: number;
  /** Default: users / 10 (at least 1: the admin service account owning the bearer key). */
  serviceAccounts?: number;
  /** Default 10. */
  namespaces?: number;
  /** Default: users / 30. */
  groups?: number;
  /** Average members per group (default 10). */
  membersPerGroup?: number;
  /** Default 5. */
  customRoles?: number;
  /** Default: users / 2 (at least 1: the bearer key). */
  apiKeys?: number;
  /**
   * Projects (API v0.18.0; default 0: none, and the account is exactly what it was before
   * projects). They are drawn after everything else, from a generator of their own, so the same
   * seed gives the same users, groups, keys… with or without them (addProjects).
   */
  projects?: number;
  /** Default 1. */
  seed?: number;
  /** Default "gen42". */
  accountId?: string;
  /** Reference time for invitations and key expiries (default: the current time). */
  now?: Date;
}

/**
 * GeneratedAccount is a generated AccountData plus the bearer secret accepted for it.
 */
export interface GeneratedAccount extends AccountData {
  /** Bearer secret of an API key owned by the admin service account `adminServiceAccountId`. */
  apiKey: string;
  adminServiceAccountId: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Creation times fall in 2024–2025 regardless of `now`, so a seed alone fixes them.
const EPOCH_MS = Date.UTC(2024, 0, 1);
const FIRST_NAMES = ["ada", "alan", "barbara", "brian", "claude", "dennis", "edsger", "frances", "grace", "guido", "hedy", "john", "ken", "linus", "margaret", "niklaus", "radia", "rob", "shafi", "tim"];
const LAST_NAMES = ["allen", "backus", "cerf", "dijkstra", "hamilton", "hopper", "kay", "knuth", "lamport", "liskov", "lovelace", "mccarthy", "perlman", "pike", "ritchie", "shannon", "thompson", "torvalds", "turing", "wirth"];
const TEAMS = ["payments", "orders", "search", "billing", "platform", "data", "growth", "identity", "mobile", "infra", "risk", "support"];
const REGIONS = ["aws-us-east-1", "aws-us-west-2", "aws-eu-west-1", "aws-ap-southeast-2", "gcp-us-central1", "gcp-europe-west3"];
const NAMESPACE_ACTIONS = ["cloud.namespace.get", "cloud.namespace.update", "cloud.namespace.setUserAccess", "cloud.namespace.getUserNamespaceAssignments"];
const ACCOUNT_ACTIONS = ["cloud.account.get", "cloud.usage.get", "cloud.auditlog.list", "cloud.user.list", "cloud.usergroup.list"];

type AccessInit = MessageInitShape<typeof AccessSchema>;

/**
 * generateAccount builds a large, realistic account deterministically from `seed` (and `now`).
 * The mix: one owner, ~2% admins, ~45% developers, ~45% read-only, ~1% finance admins, the rest
 * metrics-read; non-admin users hold explicit access to 0–4 namespaces; ~10% have custom roles;
 * ~5% have a pending invitation. Service accounts are 80% account-scoped, 20% namespace-scoped;
 * the first is the admin owning the returned bearer key. Groups are Google, SCIM and Cloud in
 * turn, with roles, 1–3 namespace accesses and on average `membersPerGroup` members. ~5% of API
 * keys are expired and ~5% disabled; the others expire within 85 days, and about one in nine was
 * made for longer than 90 days. Namespace ids are `ns-0001.<accountId>` and so on. Every kind of
 * security-insight finding occurs at least once (plantFindingCases). With `projects`, projects
 * are added last (addProjects).
 */
export function generateAccount(options: GenerateAccountOptions): GeneratedAccount {
  const prng = createPrng(options.seed ?? 1);
  const now = (options.now ?? new Date()).getTime();
  const accountId = options.accountId ?? "gen42";
  const userCount = Math.max(1, options.users);
  const counts = {
    serviceAccounts: Math.max(1, options.serviceAccounts ?? Math.ceil(userCount / 10)),
    namespaces: Math.max(1, options.namespaces ?? 10),
    groups: Math.max(0, options.groups ?? Math.ceil(userCount / 30)),
    membersPerGroup: Math.max(0, options.membersPerGroup ?? 10),
    customRoles: Math.max(0, options.customRoles ?? 5),
    apiKeys: Math.max(1, options.apiKeys ?? Math.ceil(userCount / 2)),
  };
  const created = () => timestampFromMs(EPOCH_MS + prng.int(600) * DAY_MS + prng.int(86_400) * 1000);

  const namespaces = generateNamespaces(prng, accountId, counts.namespaces);
  const namespaceIds = namespaces.map((n) => n.namespace);
  const customRoles = generateCustomRoles(prng, namespaceIds, counts.customRoles, created);
  const customRoleIds = customRoles.map((r) => r.id);

  // namespaceAccesses draws up to `max` distinct namespaces with random permissions.
  const namespaceAccesses = (min: number, max: number): AccessInit["namespaceAccesses"] => {
    const result: Record<string, { permission: Permission }> = {};
    const wanted = Math.min(namespaceIds.length, prng.between(min, max));
    while (Object.keys(result).length < wanted) {
      const roll = prng.next();
      result[prng.pick(namespaceIds)] = {
        permission: roll < 0.1 ? Permission.ADMIN : roll < 0.55 ? Permission.WRITE : Permission.READ,
      };
    }
    return result;
  };
  const someCustomRoles = (probability: number, max: number): string[] => {
    if (customRoleIds.length === 0 || !prng.chance(probability)) return [];
    const picked = new Set<string>();
    const wanted = Math.min(customRoleIds.length, prng.between(1, max));
    while (picked.size < wanted) picked.add(prng.pick(customRoleIds));
    return Array.from(picked).sort();
  };

  const users: User[] = [];
  for (let i = 0; i < userCount; i++) {
    const roll = prng.next();
    const role =
      i === 0
        ? Role.OWNER
        : roll < 0.02
          ? Role.ADMIN
          : roll < 0.47
            ? Role.DEVELOPER
            : roll < 0.92
              ? Role.READ
              : roll < 0.93
                ? Role.FINANCE_ADMIN
                : Role.METRICS_READ;
    const admin = role === Role.OWNER || role === Role.ADMIN;
    const access: AccessInit = {
      accountAccess: { role, customRoles: someCustomRoles(0.1, 2) },
      namespaceAccesses: admin ? {} : namespaceAccesses(0, 4),
    };
    const email = `${prng.pick(FIRST_NAMES)}.${prng.pick(LAST_NAMES)}.${i + 1}@${accountId}.example`;
    const pending = i > 0 && prng.chance(0.05);
    const invitedAt = now - prng.int(7 * 24) * 60 * 60 * 1000;
    users.push(
      create(UserSchema, {
        id: prng.hex(32),
        resourceVersion: prng.hex(16),
        spec: { email, access },
        state: ResourceState.ACTIVE,
        createdTime: pending ? timestampFromMs(invitedAt) : created(),
        ...(pending
          ? { invitation: { createdTime: timestampFromMs(invitedAt), expiredTime: timestampFromMs(invitedAt + 7 * DAY_MS) } }
          : {}),
      }),
    );
  }

  const serviceAccounts: ServiceAccount[] = [];
  for (let i = 0; i < counts.serviceAccounts; i++) {
    const id = prng.hex(32);
    const base = { id, resourceVersion: prng.hex(16), state: ResourceState.ACTIVE, createdTime: created() };
    if (i === 0) {
      serviceAccounts.push(
        create(ServiceAccountSchema, {
          ...base,
          spec: { name: "sim-admin", description: "Owns the generated bearer key", access: { accountAccess: { role: Role.ADMIN } } },
        }),
      );
      continue;
    }
    const name = `svc-${prng.pick(TEAMS)}-${String(i).padStart(4, "0")}`;
    if (prng.chance(0.8)) {
      const roll = prng.next();
      const role = roll < 0.05 ? Role.ADMIN : roll < 0.5 ? Role.DEVELOPER : roll < 0.9 ? Role.READ : Role.METRICS_READ;
      serviceAccounts.push(
        create(ServiceAccountSchema, {
          ...base,
          spec: {
            name,
            access: {
              accountAccess: { role, customRoles: someCustomRoles(0.05, 1) },
              namespaceAccesses: role === Role.ADMIN ? {} : namespaceAccesses(0, 3),
            },
          },
        }),
      );
    } else {
      const roll = prng.next();
      serviceAccounts.push(
        create(ServiceAccountSchema, {
          ...base,
          spec: {
            name,
            namespaceScopedAccess: {
              namespace: prng.pick(namespaceIds),
              access: { permission: roll < 0.2 ? Permission.ADMIN : roll < 0.7 ? Permission.WRITE : Permission.READ },
            },
          },
        }),
      );
    }
  }

  const groups: UserGroup[] = [];
  const groupMembers = new Map<string, string[]>();
  for (let i = 0; i < counts.groups; i++) {
    const roll = prng.next();
    const role =
      roll < 0.2 ? Role.UNSPECIFIED : roll < 0.55 ? Role.READ : roll < 0.9 ? Role.DEVELOPER : roll < 0.95 ? Role.METRICS_READ : Role.ADMIN;
    const team = prng.pick(TEAMS);
    const slug = `${team}-${String(i + 1).padStart(4, "0")}`;
    const groupType: MessageInitShape<typeof UserGroupSpecSchema>["groupType"] =
      i % 3 === 0
        ? { case: "googleGroup" as const, value: { emailAddress: `${slug}@${accountId}.example` } }
        : i % 3 === 1
          ? { case: "scimGroup" as const, value: { idpId: `00g${prng.hex(14)}` } }
          : { case: "cloudGroup" as const, value: {} };
    const group = create(UserGroupSchema, {
      id: prng.hex(32),
      resourceVersion: prng.hex(16),
      state: ResourceState.ACTIVE,
      createdTime: created(),
      spec: {
        displayName: `${team[0]?.toUpperCase()}${team.slice(1)} ${String(i + 1).padStart(4, "0")}`,
        groupType,
        access: {
          accountAccess: {
            role,
            customRoles: role === Role.UNSPECIFIED ? [] : someCustomRoles(0.1, 1),
          },
          namespaceAccesses: role === Role.ADMIN ? {} : namespaceAccesses(1, 3),
        },
      },
    });
    groups.push(group);
    const memberCount = Math.min(users.length, prng.int(2 * counts.membersPerGroup + 1));
    groupMembers.set(group.id, distinctIndexes(prng, users.length, memberCount).map((n) => (users[n] as User).id));
  }

  const apiKeys: ApiKey[] = [];
  const apiKeySecrets = new Map<string, string>();
  const admin = serviceAccounts[0] as ServiceAccount;
  const bearer = `tcsim-gen-${prng.hex(40)}`;
  for (let i = 0; i < counts.apiKeys; i++) {
    const id = prng.hex(32);
    let ownerId = admin.id;
    let ownerType = OwnerType.SERVICE_ACCOUNT;
    let displayName = "sim-admin-key";
    let expiry = now + 365 * DAY_MS;
    let disabled = false;
    if (i === 0) {
      apiKeySecrets.set(bearer, id);
    } else {
      if (serviceAccounts.length > 1 && prng.chance(0.3)) {
        ownerId = prng.pick(serviceAccounts).id;
      } else {
        ownerId = prng.pick(users).id;
        ownerType = OwnerType.USER;
      }
      displayName = `key-${String(i).padStart(5, "0")}`;
      const roll = prng.next();
      // Most keys are rotated within 90 days; about one in nine was made for longer.
      expiry = roll < 0.05 ? now - prng.between(1, 300) * DAY_MS : now + prng.between(1, 85) * DAY_MS;
      disabled = roll >= 0.05 && roll < 0.1;
    }
    apiKeys.push(
      create(ApiKeySchema, {
        id,
        resourceVersion: prng.hex(16),
        state: ResourceState.ACTIVE,
        createdTime: timestampFromMs(Math.min(now - DAY_MS, expiry - prng.between(14, 100) * DAY_MS)),
        spec: { ownerId, ownerType, displayName, expiryTime: timestampFromMs(expiry), disabled },
      }),
    );
  }

  plantFindingCases({ accountId, users, serviceAccounts, groups, apiKeys }, now);
  const projects = addProjects({ users, serviceAccounts, groups, namespaces }, Math.max(0, options.projects ?? 0), (options.seed ?? 1) ^ 0x9e0c7);

  return {
    accountId,
    users,
    serviceAccounts,
    groups,
    groupMembers,
    namespaces,
    customRoles,
    apiKeys,
    apiKeySecrets,
    ...(projects.length > 0 ? { projects } : {}),
    apiKey: bearer,
    adminServiceAccountId: admin.id,
  };
}

/**
 * plantFindingCases makes a generated account hold at least one case of every security-insight
 * finding of the connector (src/resources/insight-rules.ts, default thresholds), whatever its
 * size, without drawing from the generator, so everything else stays as the seed made it:
 * - owners and admins exceed max(3, 5% of the users): developers become admins, in order;
 * - a group holds Account Admin (the first group, when none does);
 * - a tenth of the pending invitations (and at least one user holding more than Read) expired
 *   unaccepted a week ago, so their holders keep access and their API keys are orphaned;
 * - one enabled API key in a hundred (at least one) names a user no longer in the account.
 * The sim-admin service account is the admin service account; the expiries drawn above give
 * long-lived and expired keys.
 */
function plantFindingCases(account: { accountId: string; users: User[]; serviceAccounts: ServiceAccount[]; groups: UserGroup[]; apiKeys: ApiKey[] }, now: number): void {
  const { users, serviceAccounts, groups, apiKeys } = account;
  const roleOf = (access: { accountAccess?: { role: Role } } | undefined) => access?.accountAccess?.role ?? Role.UNSPECIFIED;

  const allowed = Math.max(3, users.length * 0.05);
  let admins =
    users.filter((u) => roleOf(u.spec?.access) === Role.OWNER || roleOf(u.spec?.access) === Role.ADMIN).length +
    serviceAccounts.filter((s) => !s.spec?.namespaceScopedAccess && roleOf(s.spec?.access) === Role.ADMIN).length;
  for (const user of users) {
    if (admins > allowed) break;
    const access = user.spec?.access;
    if (!access?.accountAccess || access.accountAccess.role !== Role.DEVELOPER) continue;
    access.accountAccess.role = Role.ADMIN;
    access.namespaceAccesses = {}; // admins hold admin everywhere; Temporal refuses explicit permissions for them
    admins++;
  }

  const adminGroup = groups.find((g) => roleOf(g.spec?.access) === Role.ADMIN) ?? groups[0];
  if (adminGroup?.spec?.access?.accountAccess) {
    adminGroup.spec.access.accountAccess.role = Role.ADMIN;
    adminGroup.spec.access.namespaceAccesses = {};
  }

  const holdsMoreThanRead = (u: User) => {
    const access = u.spec?.access;
    const role = roleOf(access);
    return role === Role.DEVELOPER || role === Role.ADMIN || role === Role.FINANCE_ADMIN || (access?.accountAccess?.customRoles.length ?? 0) > 0 || Object.keys(access?.namespaceAccesses ?? {}).length > 0;
  };
  const pending = users.filter((u) => u.invitation);
  const expiring = pending.filter((_, i) => i % 10 === 0);
  if (!expiring.some(holdsMoreThanRead)) {
    const holder = pending.find(holdsMoreThanRead) ?? users.slice(1).find(holdsMoreThanRead);
    if (holder) expiring.push(holder);
  }
  for (const user of expiring) {
    user.invitation = create(InvitationSchema, { createdTime: timestampFromMs(now - 14 * DAY_MS), expiredTime: timestampFromMs(now - 7 * DAY_MS) });
    user.createdTime = user.invitation.createdTime;
  }

  // The bearer key (the first) is left alone: the simulator authenticates with it.
  const enabled = apiKeys.slice(1).filter((k) => !k.spec?.disabled && (k.spec?.expiryTime?.seconds ?? 0n) * 1000n > BigInt(now));
  const orphaned = enabled.filter((_, i) => i % 100 === 99);
  if (orphaned.length === 0 && enabled.length > 0) orphaned.push(enabled[enabled.length - 1]!);
  for (const key of orphaned) {
    key.spec!.ownerId = createHash("sha256").update(`${account.accountId}:removed:${key.id}`).digest("hex").slice(0, 32);
    key.spec!.ownerType = OwnerType.USER;
  }
}

/** PROJECT_ROLES_DRAWN are the assignable project roles, with how often each is drawn. */
const PROJECT_ROLES_DRAWN: readonly [ProjectRole, number][] = [
  [ProjectRole.ADMIN, 0.05],
  [ProjectRole.WRITE, 0.3],
  [ProjectRole.READ, 0.25],
  [ProjectRole.LIST, 0.1],
  [ProjectRole.CONTRIBUTE, 0.2],
  [ProjectRole.MEMBER, 0.1],
];

/**
 * addProjects adds `count` projects to a generated account, drawing from a generator of its own:
 * every namespace goes to one of them (the first is the default project), ~30% of the non-admin
 * users and of the groups and ~20% of the account-scoped service accounts get a role in one or
 * two, and two project-scoped service accounts per project are appended (with a role, and
 * permissions on some of its namespaces), the first of them the project's Admin so that the
 * service-account-admin finding has a project case.
 */
function addProjects(account: { users: User[]; serviceAccounts: ServiceAccount[]; groups: UserGroup[]; namespaces: Namespace[] }, count: number, seed: number): Project[] {
  if (count === 0) return [];
  const prng = createPrng(seed);
  const projects = Array.from({ length: count }, (_, i) => {
    const team = i === 0 ? "default" : prng.pick(TEAMS);
    return create(ProjectSchema, {
      id: prng.hex(32),
      resourceVersion: prng.hex(16),
      spec: { displayName: i === 0 ? "Default" : `${team[0]!.toUpperCase()}${team.slice(1)} ${String(i).padStart(3, "0")}`, description: i === 0 ? "Namespaces created without a project" : `The ${team} team's namespaces`, lifecycle: { enableDeleteProtection: prng.chance(0.3) } },
      state: ResourceState.ACTIVE,
      createdTime: timestampFromMs(EPOCH_MS + prng.int(600) * DAY_MS),
    });
  });
  const namespacesOf = new Map<string, string[]>();
  for (const ns of account.namespaces) {
    ns.projectId = prng.pick(projects).id;
    namespacesOf.set(ns.projectId, [...(namespacesOf.get(ns.projectId) ?? []), ns.namespace]);
  }
  const role = (): ProjectRole => {
    let roll = prng.next();
    for (const [r, p] of PROJECT_ROLES_DRAWN) if ((roll -= p) < 0) return r;
    return ProjectRole.MEMBER;
  };
  const someRoles = (access: { projectAccesses: Record<string, { role: ProjectRole }> } | undefined, probability: number) => {
    if (!access || !prng.chance(probability)) return;
    for (let n = prng.between(1, 2); n > 0; n--) access.projectAccesses[prng.pick(projects).id] = create(ProjectAccessSchema, { role: role() });
  };
  for (const user of account.users) {
    const accountRole = user.spec?.access?.accountAccess?.role;
    if (accountRole !== Role.OWNER && accountRole !== Role.ADMIN) someRoles(user.spec?.access, 0.3);
  }
  for (const group of account.groups) someRoles(group.spec?.access, 0.3);
  for (const sa of account.serviceAccounts) if (sa.spec?.access && !sa.spec.namespaceScopedAccess) someRoles(sa.spec.access, 0.2);
  for (const [i, project] of projects.entries()) {
    for (let j = 0; j < 2; j++) {
      const namespaces = namespacesOf.get(project.id) ?? [];
      const permissions = namespaces.filter(() => prng.chance(0.5)).map((ns) => [ns, { permission: prng.chance(0.5) ? Permission.WRITE : Permission.READ }] as const);
      account.serviceAccounts.push(
        create(ServiceAccountSchema, {
          id: prng.hex(32),
          resourceVersion: prng.hex(16),
          state: ResourceState.ACTIVE,
          createdTime: timestampFromMs(EPOCH_MS + prng.int(600) * DAY_MS),
          spec: {
            name: `svc-project-${String(i + 1).padStart(3, "0")}-${j + 1}`,
            projectScopedAccess: { projectId: project.id, access: { role: j === 0 ? ProjectRole.ADMIN : role() }, namespaceAccesses: Object.fromEntries(permissions) },
          },
        }),
      );
    }
  }
  return projects;
}

function generateNamespaces(prng: Prng, accountId: string, count: number): Namespace[] {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => {
    const name = `ns-${String(i + 1).padStart(width, "0")}`;
    const id = `${name}.${accountId}`;
    const region = prng.pick(REGIONS);
    return create(NamespaceSchema, {
      namespace: id,
      resourceVersion: prng.hex(16),
      spec: { name },
      state: ResourceState.ACTIVE,
      activeRegion: region,
      endpoints: {
        webAddress: `https://cloud.temporal.io/namespaces/${id}`,
        mtlsGrpcAddress: `${id}.tmprl.cloud:7233`,
        grpcAddress: `${region.replace(/^(aws|gcp)-/, "")}.${region.slice(0, 3)}.api.temporal.io:7233`,
      },
      replicas: [{ id: `${id}-${region}`, isPrimary: true, state: Replica_ReplicaState.ACTIVE, region }],
      createdTime: timestampFromMs(EPOCH_MS + prng.int(500) * DAY_MS),
    });
  });
}

function generateCustomRoles(
  prng: Prng,
  namespaceIds: string[],
  count: number,
  created: () => ReturnType<typeof timestampFromMs>,
): CustomRole[] {
  return Array.from({ length: count }, (_, i) => {
    const namespaceWide = prng.chance(0.6);
    const actions = (pool: string[]) => pool.filter((_, j) => j === 0 || prng.chance(0.4));
    const permissions = namespaceWide
      ? [
          {
            resources: {
              resourceType: "namespace",
              resourceIds: Array.from(new Set(Array.from({ length: prng.between(1, 3) }, () => prng.pick(namespaceIds)))).sort(),
            },
            actions: actions(NAMESPACE_ACTIONS),
          },
        ]
      : [{ resources: { resourceType: "account", allowAll: true }, actions: actions(ACCOUNT_ACTIONS) }];
    return create(CustomRoleSchema, {
      id: prng.hex(32),
      resourceVersion: prng.hex(16),
      state: ResourceState.ACTIVE,
      createdTime: created(),
      spec: { name: `custom-role-${String(i + 1).padStart(3, "0")}`, description: "Generated custom role", permissions },
    });
  });
}

// distinctIndexes draws `count` distinct integers in [0, size).
function distinctIndexes(prng: Prng, size: number, count: number): number[] {
  if (count * 2 > size) {
    const all = Array.from({ length: size }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + prng.int(size - i);
      [all[i], all[j]] = [all[j] as number, all[i] as number];
    }
    return all.slice(0, count);
  }
  const picked = new Set<number>();
  while (picked.size < count) picked.add(prng.int(size));
  return Array.from(picked);
}
