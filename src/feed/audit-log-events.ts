import { createHash } from "node:crypto";
import { create, type JsonObject, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { EventSchema, EventType, type Event, type Resource, type ResourceType } from "../connector/c1.js";
import { newResource, resourceId } from "../connector/ids.js";
import type { LogRecord } from "../gen/temporal/api/cloud/auditlog/v1/message_pb.js";
import { memberEntitlement } from "../resources/group.js";
import { namespaceEntitlements } from "../resources/namespace.js";
import { projectEntitlements } from "../resources/project.js";
import { API_KEY, GROUP, NAMESPACE, PROJECT, SERVICE_ACCOUNT, USER } from "../resources/resource-types.js";
import { projectRoleInfo, type PermissionSlug, type ProjectRoleSlug } from "../resources/temporal-access.js";

/** AUDIT_LOG_EVENT_TYPES are the kinds of event audit records map to. */
export const AUDIT_LOG_EVENT_TYPES: readonly EventType[] = [EventType.USAGE, EventType.RESOURCE_CHANGE, EventType.CREATE_GRANT, EventType.CREATE_REVOKE];

/** EmailResolver returns the id of the user with an email address, when the connector knows it. */
export type EmailResolver = (email: string) => string | undefined;

/**
 * operationKey normalises an operation name: case-insensitive, with or without the `API` suffix
 * some names carry (`SetUserNamespaceAccessAPI` = `setusernamespaceaccess`).
 */
export function operationKey(operation: string): string {
  const key = operation.toLowerCase();
  return key.endsWith("api") ? key.slice(0, -3) : key;
}

type Principal = { type: ResourceType; id: string };
type Emit = (suffix: string, event: MessageInitShape<typeof EventSchema>["event"]) => void;
type Mapper = (details: Details, emit: Emit, resolve: EmailResolver) => void;

/** EventOptions says what the connector syncs besides the types every API version has. */
export interface EventOptions {
  /** Projects are synced (API v0.18.0 and later): project access changes map to events too. */
  projects?: boolean;
}

/**
 * eventsOfRecord maps one audit record to protocol events, with the ids a sync gives the same
 * objects. It assumes rawDetails (undocumented) carries the request's fields, in camelCase or
 * snake_case, and reads them defensively: when an id is missing it emits only what it knows
 * (a resource change on the namespace, project or group, or nothing), never a guess. Refused
 * requests (status other than OK) map to nothing. Event ids are `<log id>/<what>`, stable across
 * calls and replicas.
 */
export function eventsOfRecord(record: LogRecord, resolve: EmailResolver, options: EventOptions = {}): Event[] {
  if (record.status.toUpperCase() !== "OK") return [];
  const events: Event[] = [];
  const key = recordKey(record);
  const emit: Emit = (suffix, event) => events.push(create(EventSchema, { id: `${key}/${suffix}`, occurredAt: record.emitTime, event }));
  const operation = operationKey(record.operation);
  (MAPPERS[operation] ?? (options.projects ? PROJECT_MAPPERS[operation] : undefined))?.(readDetails(record.rawDetails), emit, resolve);
  const apiKeyId = record.principal?.apiKeyId ?? "";
  const actor = apiKeyId === "" ? undefined : actorOf(record, resolve);
  if (actor) {
    // Who used which key, and when: reviewers' "last used" for API keys.
    emit("usage", { case: "usageEvent", value: { targetResource: newResource(API_KEY, apiKeyId, { displayName: "" }), actorResource: actor } });
  }
  return events;
}

/** recordKey identifies a record: its log id, or a digest of its content when it has none. */
export function recordKey(record: LogRecord): string {
  if (record.logId !== "") return record.logId;
  return `sha256:${digest(JSON.stringify([record.emitTime?.seconds.toString(), record.emitTime?.nanos, record.operation, record.principal, record.rawDetails]))}`;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/** actorOf is the user or service account that made the request, resolved by email if needed. */
function actorOf(record: LogRecord, resolve: EmailResolver): Resource | undefined {
  const principal = record.principal!;
  const type = principal.type.toLowerCase().replace(/[^a-z]/g, "");
  const kind = type === "user" ? USER : type === "serviceaccount" ? SERVICE_ACCOUNT : undefined;
  if (kind && principal.id !== "") return newResource(kind, principal.id, { displayName: principal.name });
  // Only users have email addresses; a service account named by its name alone stays unknown.
  const userId = principal.id === "" && kind !== SERVICE_ACCOUNT && principal.name.includes("@") ? resolve(principal.name) : undefined;
  return userId === undefined ? undefined : newResource(USER, userId, { displayName: principal.name });
}

/** Details reads rawDetails: a field by its camelCase name or its snake_case one. */
interface Details {
  value(path: string): JsonValue | undefined;
  /** string returns the first of the fields that is a non-empty string. */
  string(...paths: string[]): string | undefined;
  /** user returns the id a user is named by: its id, or its email when the connector knows it. */
  user(resolve: EmailResolver, idPaths: string[], emailPaths: string[]): string | undefined;
}

function readDetails(json: JsonObject | undefined): Details {
  const details: Details = {
    value(path) {
      let at: JsonValue | undefined = json;
      for (const name of path.split(".")) {
        if (typeof at !== "object" || at === null || Array.isArray(at)) return undefined;
        at = at[name] ?? at[snake(name)];
      }
      return at;
    },
    string(...paths) {
      for (const path of paths) {
        const value = details.value(path);
        if (typeof value === "string" && value !== "") return value;
      }
      return undefined;
    },
    user(resolve, idPaths, emailPaths) {
      const id = details.string(...idPaths);
      if (id) return id;
      const email = details.string(...emailPaths);
      return email ? resolve(email) : undefined;
    },
  };
  return details;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * permissionSlug reads a namespace permission as an entitlement slug: "PERMISSION_WRITE",
 * "write" or 2 are write; absent, "PERMISSION_UNSPECIFIED" or 0 are "removed"; anything else is
 * "unknown".
 */
function permissionSlug(value: JsonValue | undefined): PermissionSlug | "removed" | "unknown" {
  if (value === undefined || value === null || value === 0 || value === "") return "removed";
  if (typeof value === "number") return (["removed", "admin", "write", "read"] as const)[value] ?? "unknown";
  if (typeof value !== "string") return "unknown";
  const name = value.toLowerCase().replace(/^permission_/, "");
  if (name === "unspecified") return "removed";
  return name === "admin" || name === "write" || name === "read" ? name : "unknown";
}

const change = (emit: Emit, type: ResourceType, id: string) =>
  emit(`change:${type.id}:${id}`, { case: "resourceChangeEvent", value: { resourceId: resourceId(type.id, id) } });

const namespaceResource = (ns: string) => newResource(NAMESPACE, ns, { displayName: ns });

/**
 * namespaceAccess maps Set{User,ServiceAccount,UserGroup}NamespaceAccess (and the older
 * Update*NamespacePermissions): a grant of the new level plus a change on the principal. A
 * removal does not say which level was removed, so it maps to changes on the principal and on
 * the namespace, where the grant was.
 */
function namespaceAccess(kinds: readonly ResourceType[]): Mapper {
  return (details, emit, resolve) => {
    const ns = details.string("namespace");
    const principal = principalOf(details, kinds, resolve);
    if (!principal) {
      if (ns) change(emit, NAMESPACE, ns);
      return;
    }
    const level = permissionSlug(details.value("access.permission"));
    if (ns && level !== "removed" && level !== "unknown") {
      const entitlement = namespaceEntitlements(namespaceResource(ns)).find((e) => e.slug === level)!;
      const value = { entitlement, principal: newResource(principal.type, principal.id, { displayName: "" }) };
      emit(`grant:${entitlement.id}:${principal.type.id}:${principal.id}`, { case: "createGrantEvent", value });
    }
    change(emit, principal.type, principal.id);
    if (ns && (level === "removed" || level === "unknown")) change(emit, NAMESPACE, ns);
  };
}

/** principalOf reads the principal an access request names: the first of `kinds` whose id it carries. */
function principalOf(details: Details, kinds: readonly ResourceType[], resolve: EmailResolver): Principal | undefined {
  for (const kind of kinds) {
    const id = kind === USER ? details.user(resolve, ["userId"], ["email", "userEmail"]) : details.string(kind === GROUP ? "groupId" : "serviceAccountId");
    if (id) return { type: kind, id };
  }
  return undefined;
}

/**
 * projectRoleSlug reads a project role as an entitlement slug: "PROJECT_ROLE_WRITE", "write" or
 * 2 are write; absent, unspecified or 0 are "removed"; anything else (Developer included, which
 * is never set this way) is "unknown".
 */
function projectRoleSlug(value: JsonValue | undefined): ProjectRoleSlug | "removed" | "unknown" {
  if (value === undefined || value === null || value === 0 || value === "") return "removed";
  const name = typeof value === "string" ? value.toLowerCase().replace(/^project_role_/, "") : value;
  if (name === "unspecified") return "removed";
  const role = typeof name === "number" || typeof name === "string" ? projectRoleInfo(name) : undefined;
  return role && !role.inherited ? role.slug : "unknown";
}

/**
 * projectAccess maps Set{User,ServiceAccount,UserGroup}ProjectAccess like namespaceAccess: a
 * grant of the new role plus a change on the principal, or, for a removal (which does not say
 * which role went), changes on the principal and on the project.
 */
function projectAccess(kind: ResourceType): Mapper {
  return (details, emit, resolve) => {
    const projectId = details.string("projectId");
    const principal = principalOf(details, [kind], resolve);
    if (!principal) {
      if (projectId) change(emit, PROJECT, projectId);
      return;
    }
    const role = projectRoleSlug(details.value("access.role"));
    if (projectId && role !== "removed" && role !== "unknown") {
      const entitlement = projectEntitlements(newResource(PROJECT, projectId, { displayName: "" })).find((e) => e.slug === role)!;
      const value = { entitlement, principal: newResource(principal.type, principal.id, { displayName: "" }) };
      emit(`grant:${entitlement.id}:${principal.type.id}:${principal.id}`, { case: "createGrantEvent", value });
    }
    change(emit, principal.type, principal.id);
    if (projectId && (role === "removed" || role === "unknown")) change(emit, PROJECT, projectId);
  };
}

/** membership maps Add/RemoveUserGroupMember to a grant or revoke of `group:<id>:member`. */
function membership(added: boolean): Mapper {
  return (details, emit, resolve) => {
    const groupId = details.string("groupId");
    if (!groupId) return;
    const userId = details.user(resolve, ["memberId.userId", "userId"], ["memberId.email", "email"]);
    if (!userId) {
      change(emit, GROUP, groupId);
      return;
    }
    // Only Cloud groups' membership can be changed through the API: the request succeeded, so this is one.
    const entitlement = memberEntitlement(newResource(GROUP, groupId, { displayName: "" }), "cloud");
    const value = { entitlement, principal: newResource(USER, userId, { displayName: "" }) };
    emit(`${added ? "grant" : "revoke"}:${entitlement.id}:${USER.id}:${userId}`, added ? { case: "createGrantEvent", value } : { case: "createRevokeEvent", value });
  };
}

/** changed maps a create or update to a change on the object, when the request names it. */
function changed(type: ResourceType, idPaths: string[], emailPaths: string[] = []): Mapper {
  return (details, emit, resolve) => {
    const id = type === USER ? details.user(resolve, idPaths, emailPaths) : details.string(...idPaths);
    if (id) change(emit, type, id);
  };
}

const USER_IDS = ["userId"];
const USER_EMAILS = ["email", "spec.email"];
const SERVICE_ACCOUNT_IDS = ["serviceAccountId"];
const GROUP_IDS = ["groupId"];
const API_KEY_IDS = ["keyId", "apiKeyId"];

/**
 * MAPPERS are the operations that map to more than a usage event, by operationKey. Deletions
 * are not here: none of the deleted objects has a parent resource to re-read, and the next full
 * sync removes them.
 */
const MAPPERS: Record<string, Mapper> = {
  setusernamespaceaccess: namespaceAccess([USER]),
  updateusernamespacepermissions: namespaceAccess([USER]),
  setserviceaccountnamespaceaccess: namespaceAccess([SERVICE_ACCOUNT]),
  setusergroupnamespaceaccess: namespaceAccess([GROUP]),
  updateidentitynamespacepermissions: namespaceAccess([USER, SERVICE_ACCOUNT, GROUP]),
  addusergroupmember: membership(true),
  removeusergroupmember: membership(false),
  createuser: changed(USER, USER_IDS, USER_EMAILS),
  inviteusers: changed(USER, USER_IDS, USER_EMAILS),
  updateuser: changed(USER, USER_IDS, USER_EMAILS),
  createserviceaccount: changed(SERVICE_ACCOUNT, SERVICE_ACCOUNT_IDS),
  updateserviceaccount: changed(SERVICE_ACCOUNT, SERVICE_ACCOUNT_IDS),
  createusergroup: changed(GROUP, GROUP_IDS),
  updateusergroup: changed(GROUP, GROUP_IDS),
  createapikey: changed(API_KEY, API_KEY_IDS),
  createserviceaccountapikey: changed(API_KEY, API_KEY_IDS),
  updateapikey: changed(API_KEY, API_KEY_IDS),
  createnamespace: changed(NAMESPACE, ["namespace"]),
  updatenamespace: changed(NAMESPACE, ["namespace"]),
};

/** PROJECT_MAPPERS are the project operations (API v0.18.0), mapped only when projects are synced. */
const PROJECT_MAPPERS: Record<string, Mapper> = {
  setuserprojectaccess: projectAccess(USER),
  setusergroupprojectaccess: projectAccess(GROUP),
  setserviceaccountprojectaccess: projectAccess(SERVICE_ACCOUNT),
  updateproject: changed(PROJECT, ["projectId"]),
};
