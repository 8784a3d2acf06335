import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  AccountAccess_Role as Role,
  NamespaceAccess_Permission as Permission,
  OwnerType,
  UserSpecSchema,
  type Access,
} from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
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
  const admins = account.users.filter((u) => adminEverywhere(u.spec?.access)).map((u) => principalOf(u.id)!);
  const usableKeys = account.apiKeys.filter((k) => !k.spec?.disabled && (!k.spec?.expiryTime || timestampMs(k.spec.expiryTime) > options.now));
  const adminKeys = usableKeys
    .map((k) => principalOf(k.spec?.ownerId ?? "", k.id))
    .filter((p): p is AuditPrincipal => p !== undefined && isAdmin(p.id));
  const keyHolders = usableKeys.map((k) => principalOf(k.spec?.ownerId ?? "", k.id)).filter((p): p is AuditPrincipal => p !== undefined);
  if (admins.length === 0 && adminKeys.length === 0) return [];
  const changer = () => (adminKeys.length > 0 && prng.chance(0.3)) || admins.length === 0 ? prng.pick(adminKeys) : prng.pick(admins);

  // Everything that could have happened: each makes one record.
  const makers: (() => Omit<AuditEntryInit, "emitMs">)[] = [];
  for (const user of account.users) {
    if (adminEverywhere(user.spec?.access)) continue;
    for (const [namespace, access] of Object.entries(user.spec?.access?.namespaceAccesses ?? {})) {
      makers.push(() => ok("SetUserNamespaceAccessAPI", changer(), { namespace, userId: user.id, access: { permission: `PERMISSION_${Permission[access.permission]}` } }));
    }
    if (user.spec) makers.push(() => ok("UpdateUserAPI", changer(), { userId: user.id, spec: toJson(UserSpecSchema, user.spec!) as JsonObject }));
  }
  for (const group of account.groups) {
    for (const [namespace, access] of Object.entries(group.spec?.access?.namespaceAccesses ?? {})) {
      makers.push(() => ok("SetUserGroupNamespaceAccess", changer(), { namespace, groupId: group.id, access: { permission: `PERMISSION_${Permission[access.permission]}` } }));
    }
    if (group.spec?.groupType.case !== "cloudGroup") continue;
    for (const userId of account.groupMembers.get(group.id) ?? []) {
      makers.push(() => ok("AddUserGroupMember", changer(), { groupId: group.id, memberId: { userId } }));
    }
  }
  for (const sa of account.serviceAccounts) {
    if (sa.spec?.namespaceScopedAccess !== undefined || adminEverywhere(sa.spec?.access)) continue;
    for (const [namespace, access] of Object.entries(sa.spec?.access?.namespaceAccesses ?? {})) {
      makers.push(() => ok("SetServiceAccountNamespaceAccess", changer(), { namespace, serviceAccountId: sa.id, access: { permission: `PERMISSION_${Permission[access.permission]}` } }));
    }
  }
  for (const key of usableKeys) {
    const owner = principalOf(key.spec?.ownerId ?? "");
    if (!owner) continue;
    const ownerType = owner.type === "user" ? OwnerType.USER : OwnerType.SERVICE_ACCOUNT;
    makers.push(() => ok("CreateAPIKey", prng.chance(0.5) && keyHolders.length > 0 ? prng.pick(keyHolders) : changer(), {
      spec: { ownerId: owner.id, ownerType: `OWNER_TYPE_${OwnerType[ownerType]}`, displayName: key.spec?.displayName ?? "" },
    }));
  }
  for (const namespace of account.namespaces) {
    if (keyHolders.length > 0) makers.push(() => ok("UpdateNamespaceAPI", prng.pick(keyHolders), { namespace: namespace.namespace, resourceVersion: namespace.resourceVersion }));
  }
  for (const user of account.users) {
    makers.push(() => ok("UserLogin", principalOf(user.id)!, {}));
  }
  // A request the API refuses: an admin's namespace access cannot be set.
  for (const user of account.users.filter((u) => adminEverywhere(u.spec?.access))) {
    const namespace = account.namespaces[0]?.namespace;
    if (namespace) makers.push(() => ({ ...ok("SetUserNamespaceAccessAPI", changer(), { namespace, userId: user.id, access: { permission: "PERMISSION_READ" } }), status: "ERROR" }));
  }

  const start = options.now - options.days * DAY_MS;
  const span = options.days * DAY_MS - HOUR_MS;
  const entries: AuditEntryInit[] = [];
  for (let day = 0; day < options.days; day++) {
    const count = prng.between(6, 12);
    for (let i = 0; i < count && makers.length > 0; i++) {
      const made = prng.pick(makers)();
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
