import { toJson, type JsonObject } from "@bufbuild/protobuf";
import {
  AccountAccess_Role as Role,
  NamespaceAccess_Permission as Permission,
  UserSpecSchema,
  type Access,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import type { LogRecord } from "../../gen/temporal/api/cloud/auditlog/v1/message_pb.js";
import type { AuditLog, AuditPrincipal } from "./audit-log.js";
import type { Prng } from "./prng.js";
import type { PrincipalKind, SimulatorStore } from "./simulator-store.js";

/** ChaosEdit is one change made behind the connector's back, and the audit record that logs it. */
export interface ChaosEdit {
  /** What changed, for people: "granted write on payments-prod.acme7 to user …". */
  description: string;
  record: LogRecord;
}

/** Chaos changes the account the way a person in the web UI would, without telling anyone. */
export interface Chaos {
  /** edit applies one random change and appends its audit record. */
  edit(): ChaosEdit;
}

/** ChaosOptions configures createChaos. */
export interface ChaosOptions {
  store: SimulatorStore;
  audit: AuditLog;
  prng: Prng;
}

const LEVELS = [Permission.ADMIN, Permission.WRITE, Permission.READ, Permission.UNSPECIFIED] as const;
// Roles a person can move another principal between; owner, admin and finance admin are left alone.
const ROLES = [Role.DEVELOPER, Role.READ, Role.METRICS_READ] as const;

/** The request each kind of principal's namespace access is set with, and its id field. */
const ACCESS_REQUESTS: Record<PrincipalKind, { operation: string; idField: string; noun: string }> = {
  user: { operation: "SetUserNamespaceAccessAPI", idField: "userId", noun: "user" },
  serviceAccount: { operation: "SetServiceAccountNamespaceAccess", idField: "serviceAccountId", noun: "service account" },
  userGroup: { operation: "SetUserGroupNamespaceAccess", idField: "groupId", noun: "group" },
};

/**
 * createChaos returns the simulator's chaos editor. Each edit is one of: set or remove a
 * namespace permission of a user, account-scoped service account or group; add or remove a
 * member of a Cloud group; change a user's account role. Principals whose role makes them admin
 * everywhere are left alone (the API refuses their namespace access), as are Google and SCIM
 * groups (their IdP owns the membership). The actor is the account's first Owner or Global
 * Admin user, working in the web UI (no API key).
 */
export function createChaos({ store, audit, prng }: ChaosOptions): Chaos {
  const actor = (): AuditPrincipal => {
    for (const user of store.users.values()) {
      const role = user.spec?.access?.accountAccess?.role;
      if (role === Role.OWNER || role === Role.ADMIN) return { type: "user", id: user.id, name: user.spec?.email ?? "" };
    }
    return { type: "user", id: "", name: "admin@chaos.invalid" };
  };
  const log = (operation: string, rawDetails: JsonObject, description: string): ChaosEdit => ({
    description,
    record: audit.append({ operation, status: "OK", principal: actor(), rawDetails: { ...rawDetails, asyncOperationId: prng.uuid() } }),
  });
  const adminEverywhere = (access: Access | undefined) => {
    const role = access?.accountAccess?.role;
    return role === Role.OWNER || role === Role.ADMIN;
  };

  function namespaceAccess(): ChaosEdit | undefined {
    const namespaces = Array.from(store.namespaces.values());
    const kind = prng.pick<PrincipalKind>(["user", "user", "serviceAccount", "userGroup"]);
    const candidates: { id: string; resourceVersion: string; spec?: { access?: Access } }[] =
      kind === "user"
        ? Array.from(store.users.values()).filter((u) => !adminEverywhere(u.spec?.access))
        : kind === "userGroup"
          ? Array.from(store.userGroups.values()).filter((g) => !adminEverywhere(g.spec?.access))
          : Array.from(store.serviceAccounts.values()).filter((s) => s.spec?.namespaceScopedAccess === undefined && !adminEverywhere(s.spec?.access));
    if (namespaces.length === 0 || candidates.length === 0) return undefined;
    const principal = prng.pick(candidates);
    const namespace = prng.pick(namespaces).namespace;
    const current = principal.spec?.access?.namespaceAccesses[namespace]?.permission ?? Permission.UNSPECIFIED;
    const permission = prng.pick(LEVELS.filter((p) => p !== current));
    const request = ACCESS_REQUESTS[kind];
    const version = principal.resourceVersion;
    store.setNamespaceAccess(kind, principal.id, namespace, permission);
    const details: JsonObject = { namespace, [request.idField]: principal.id, resourceVersion: version };
    if (permission !== Permission.UNSPECIFIED) details.access = { permission: `PERMISSION_${Permission[permission]}` };
    const what = permission === Permission.UNSPECIFIED ? `removed the access to ${namespace} of` : `set ${Permission[permission].toLowerCase()} on ${namespace} for`;
    return log(request.operation, details, `${what} ${request.noun} ${principal.id}`);
  }

  function membership(): ChaosEdit | undefined {
    const groups = Array.from(store.userGroups.values()).filter((g) => g.spec?.groupType.case === "cloudGroup");
    const users = Array.from(store.users.values());
    if (groups.length === 0 || users.length === 0) return undefined;
    const group = prng.pick(groups);
    const user = prng.pick(users);
    const details: JsonObject = { groupId: group.id, memberId: { userId: user.id } };
    if (store.groupMembers(group.id)?.get(user.id) !== undefined) {
      store.removeGroupMember(group.id, user.id);
      return log("RemoveUserGroupMember", details, `removed user ${user.id} from group ${group.id}`);
    }
    store.addGroupMember(group.id, user.id);
    return log("AddUserGroupMember", details, `added user ${user.id} to group ${group.id}`);
  }

  function accountRole(): ChaosEdit | undefined {
    const users = Array.from(store.users.values()).filter((u) => ROLES.includes(u.spec?.access?.accountAccess?.role as (typeof ROLES)[number]));
    if (users.length === 0) return undefined;
    const user = prng.pick(users);
    const role = prng.pick(ROLES.filter((r) => r !== user.spec?.access?.accountAccess?.role));
    const version = user.resourceVersion;
    const updated = store.updateUser(user.id, (spec) => {
      spec.access!.accountAccess!.role = role;
    });
    const details: JsonObject = { userId: user.id, spec: toJson(UserSpecSchema, updated.spec!) as JsonObject, resourceVersion: version };
    return log("UpdateUserAPI", details, `made user ${user.id} ${Role[role].toLowerCase()}`);
  }

  const kinds = [namespaceAccess, namespaceAccess, membership, accountRole];
  return {
    edit() {
      for (let attempt = 0; attempt < 20; attempt++) {
        const edit = prng.pick(kinds)();
        if (edit) return edit;
      }
      throw new Error("chaos: the account has nothing a person could change");
    },
  };
}
