import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  AccountAccess_Role as Role,
  NamespaceAccess_Permission as Permission,
  OwnerType,
  UserSpecSchema,
  type Access,
  type ApiKey,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import type { AccountData } from "./account-data.js";
import type { AuditEntryInit, AuditPrincipal } from "./audit-log.js";
import { createPrng } from "./prng.js";

/** AuditHistoryOptions configures auditHistory. */
export interface AuditHistoryOptions {
  /** The end of the history (ms since the epoch); it stops an hour before. */
  now: number;
  /** How many days back it starts; 0 or less makes none. */
  days: number;
  seed: number;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * auditHistory makes plausible audit-log records of the days before `now`, deterministically
 * from the account and the seed: the namespace permissions, group memberships and account roles
 * the account holds today being set (in the web UI by its Owners and Global Admins, or with their
 * API keys), API keys created and a namespace updated with keys, sign-ins, and a few refused
 * requests (status ERROR). Every change it logs agrees with the account's current state, so a
 * feed reading it never contradicts a sync.
 */
export function auditHistory(account: AccountData, options: AuditHistoryOptions): AuditEntryInit[] {
  if (options.days <= 0) return [];
  const prng = createPrng(options.seed ^ 0x415d17);
  const users = new Map(account.users.map((u) => [u.id, u]));
  const serviceAccounts = new Map(account.serviceAccounts.map((s) => [s.id, s]));
  const principalOf = (ownerId: string, apiKeyId?: string): AuditPrincipal | undefined => {
    const user = users.get(ownerId);
    if (user) return { type: "user", id: user.id, name: user.spec?.email ?? "", ...(apiKeyId ? { apiKeyId } : {}) };
    const sa = serviceAccounts.get(ownerId);
    if (sa) return { type: "serviceaccount", id: sa.id, name: sa.spec?.name ?? "", ...(apiKeyId ? { apiKeyId } : {}) };
    return undefined;
  };
  const isAdmin = (id: string) => adminEverywhere((users.get(id) ?? serviceAccounts.get(id))?.spec?.access);
  const adminUsers = account.users.filter((u) => adminEverywhere(u.spec?.access));
  const usableKeys = account.apiKeys.filter((k) => !k.spec?.disabled && (!k.spec?.expiryTime || timestampMs(k.spec.expiryTime) > options.now) && principalOf(k.spec?.ownerId ?? ""));
  const adminKeys = usableKeys.filter((k) => isAdmin(k.spec?.ownerId ?? ""));
  const cloudGroups = account.groups.filter((g) => g.spec?.groupType.case === "cloudGroup" && (account.groupMembers.get(g.id)?.length ?? 0) > 0);
  if (adminUsers.length === 0 && adminKeys.length === 0) return [];
  const withKey = (key: ApiKey) => principalOf(key.spec!.ownerId, key.id)!;
  // Changes are made by Owners and Global Admins, in the web UI or with their API keys.
  const changer = () => (adminKeys.length > 0 && (adminUsers.length === 0 || prng.chance(0.3)) ? withKey(prng.pick(adminKeys)) : principalOf(prng.pick(adminUsers).id)!);
  const permission = (access: { permission: Permission }) => ({ permission: `PERMISSION_${Permission[access.permission]}` });
  const someAccess = (access: Access | undefined) => {
    const entries = Object.entries(access?.namespaceAccesses ?? {});
    return entries.length === 0 || adminEverywhere(access) ? undefined : prng.pick(entries);
  };

  // Each kind of activity picks what it is about at random, or nothing when that does not apply.
  type Made = Omit<AuditEntryInit, "emitMs"> | undefined;
  const kinds: (() => Made)[] = [
    () => {
      const user = prng.pick(account.users);
      const access = someAccess(user.spec?.access);
      return access && ok("SetUserNamespaceAccessAPI", changer(), { namespace: access[0], userId: user.id, access: permission(access[1]) });
    },
    () => {
      const group = account.groups.length > 0 ? prng.pick(account.groups) : undefined;
      const access = someAccess(group?.spec?.access);
      return access && ok("SetUserGroupNamespaceAccess", changer(), { namespace: access[0], groupId: group!.id, access: permission(access[1]) });
    },
    () => {
      const sa = account.serviceAccounts.length > 0 ? prng.pick(account.serviceAccounts) : undefined;
      const access = sa?.spec?.namespaceScopedAccess === undefined ? someAccess(sa?.spec?.access) : undefined;
      return access && ok("SetServiceAccountNamespaceAccess", changer(), { namespace: access[0], serviceAccountId: sa!.id, access: permission(access[1]) });
    },
    () => {
      const group = cloudGroups.length > 0 ? prng.pick(cloudGroups) : undefined;
      return group && ok("AddUserGroupMember", changer(), { groupId: group.id, memberId: { userId: prng.pick(account.groupMembers.get(group.id)!) } });
    },
    () => {
      const user = prng.pick(account.users);
      return user.spec && !adminEverywhere(user.spec.access) ? ok("UpdateUserAPI", changer(), { userId: user.id, spec: toJson(UserSpecSchema, user.spec) as JsonObject }) : undefined;
    },
    () => {
      const key = usableKeys.length > 0 ? prng.pick(usableKeys) : undefined;
      const owner = key && principalOf(key.spec!.ownerId)!;
      const ownerType = `OWNER_TYPE_${OwnerType[owner?.type === "user" ? OwnerType.USER : OwnerType.SERVICE_ACCOUNT]}`;
      // Created by its owner with another of their keys, or by an admin.
      return owner && ok("CreateAPIKey", prng.chance(0.5) ? withKey(prng.pick(usableKeys)) : changer(), { spec: { ownerId: owner.id, ownerType, displayName: key.spec?.displayName ?? "" } });
    },
    () => {
      const namespace = account.namespaces.length > 0 ? prng.pick(account.namespaces) : undefined;
      return namespace && usableKeys.length > 0 ? ok("UpdateNamespaceAPI", withKey(prng.pick(usableKeys)), { namespace: namespace.namespace, resourceVersion: namespace.resourceVersion }) : undefined;
    },
    () => ok("UserLogin", principalOf(prng.pick(account.users).id)!, {}),
    () => {
      // A request the API refuses: an admin's namespace access cannot be set.
      const admin = adminUsers.length > 0 ? prng.pick(adminUsers) : undefined;
      const namespace = account.namespaces[0]?.namespace;
      return admin && namespace ? { ...ok("SetUserNamespaceAccessAPI", changer(), { namespace, userId: admin.id, access: { permission: "PERMISSION_READ" } }), status: "ERROR" } : undefined;
    },
  ];

  const start = options.now - options.days * DAY_MS;
  const span = options.days * DAY_MS - HOUR_MS;
  const entries: AuditEntryInit[] = [];
  for (let day = 0; day < options.days; day++) {
    const count = prng.between(6, 12);
    for (let i = 0; i < count; i++) {
      let made: Made;
      for (let attempt = 0; attempt < 10 && !made; attempt++) made = prng.pick(kinds)();
      if (!made) continue;
      const emitMs = start + Math.floor((day + prng.next()) * (span / options.days));
      entries.push({ ...made, asyncOperationId: made.operation === "UserLogin" || made.status === "ERROR" ? "" : prng.uuid(), emitMs });
    }
  }
  return entries.sort((a, b) => a.emitMs! - b.emitMs!);
}

function ok(operation: string, principal: AuditPrincipal, rawDetails: JsonObject): Omit<AuditEntryInit, "emitMs"> {
  return { operation, status: "OK", principal, rawDetails };
}

function adminEverywhere(access: Access | undefined): boolean {
  const role = access?.accountAccess?.role;
  return role === Role.OWNER || role === Role.ADMIN;
}
