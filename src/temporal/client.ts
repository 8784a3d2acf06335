import { create, fromJson, toJson, type DescMessage, type JsonValue, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { Account } from "../gen/temporal/api/cloud/account/v1/message_pb.js";
import type { LogRecord } from "../gen/temporal/api/cloud/auditlog/v1/message_pb.js";
import {
  AddUserGroupMemberRequestSchema,
  AddUserGroupMemberResponseSchema,
  CreateUserRequestSchema,
  CreateUserResponseSchema,
  DeleteApiKeyResponseSchema,
  DeleteUserResponseSchema,
  GetAccountResponseSchema,
  GetApiKeyResponseSchema,
  GetApiKeysResponseSchema,
  GetAsyncOperationResponseSchema,
  GetAuditLogsResponseSchema,
  GetCurrentIdentityResponseSchema,
  GetCustomRoleResponseSchema,
  GetCustomRolesResponseSchema,
  GetNamespaceResponseSchema,
  GetNamespacesResponseSchema,
  GetProjectResponseSchema,
  GetProjectScopedServiceAccountsResponseSchema,
  GetProjectsResponseSchema,
  GetServiceAccountProjectAssignmentsResponseSchema,
  GetServiceAccountNamespaceAssignmentsResponseSchema,
  GetServiceAccountResponseSchema,
  GetServiceAccountsResponseSchema,
  GetUserGroupMembersResponseSchema,
  GetUserGroupNamespaceAssignmentsResponseSchema,
  GetUserGroupProjectAssignmentsResponseSchema,
  GetUserGroupResponseSchema,
  GetUserGroupsResponseSchema,
  GetUserNamespaceAssignmentsResponseSchema,
  GetUserProjectAssignmentsResponseSchema,
  GetUserResponseSchema,
  GetUsersResponseSchema,
  RemoveUserGroupMemberRequestSchema,
  RemoveUserGroupMemberResponseSchema,
  SetServiceAccountNamespaceAccessRequestSchema,
  SetServiceAccountNamespaceAccessResponseSchema,
  SetServiceAccountProjectAccessRequestSchema,
  SetServiceAccountProjectAccessResponseSchema,
  SetUserGroupNamespaceAccessRequestSchema,
  SetUserGroupNamespaceAccessResponseSchema,
  SetUserGroupProjectAccessRequestSchema,
  SetUserGroupProjectAccessResponseSchema,
  SetUserNamespaceAccessRequestSchema,
  SetUserNamespaceAccessResponseSchema,
  SetUserProjectAccessRequestSchema,
  SetUserProjectAccessResponseSchema,
  UpdateServiceAccountRequestSchema,
  UpdateServiceAccountResponseSchema,
  UpdateUserGroupRequestSchema,
  UpdateUserGroupResponseSchema,
  UpdateUserRequestSchema,
  UpdateUserResponseSchema,
  type GetCurrentIdentityResponse,
} from "../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import type {
  ApiKey,
  CustomRole,
  NamespaceAccess,
  ProjectAccess,
  ServiceAccount,
  ServiceAccountNamespaceAssignment,
  ServiceAccountProjectAssignment,
  ServiceAccountSpec,
  User,
  UserGroup,
  UserGroupMember,
  UserGroupNamespaceAssignment,
  UserGroupProjectAssignment,
  UserGroupSpec,
  UserNamespaceAssignment,
  UserProjectAssignment,
  UserSpec,
} from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import type { Namespace } from "../gen/temporal/api/cloud/namespace/v1/message_pb.js";
import type { Project } from "../gen/temporal/api/cloud/project/v1/message_pb.js";
import type { AsyncOperation } from "../gen/temporal/api/cloud/operation/v1/message_pb.js";
import { TemporalApiError } from "./errors.js";
import { readJson } from "../codec/codecs.js";
import type { Transport } from "./transport.js";

/** MAX_PAGE_SIZE is the largest page the API serves; every list call asks for it. */
export const MAX_PAGE_SIZE = 1000;

/** Page is one page of a list endpoint; nextPageToken is "" on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

/** PageRequest selects a page of a list endpoint. */
export interface PageRequest {
  pageToken?: string;
  pageSize?: number;
}

/** TimeWindow bounds a query by time: [startTimeInclusive, endTimeExclusive); unset bounds are the API's defaults. */
export interface TimeWindow {
  startTimeInclusive?: Date;
  endTimeExclusive?: Date;
}

/** CallOptions carries the caller's cancellation signal. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** WriteOptions identifies one logical mutation: its idempotency key and the version it was read at. */
export interface WriteOptions extends CallOptions {
  /** asyncOperationId: the same value on every retry of one logical change. */
  operationId: string;
  resourceVersion: string;
}

/**
 * TemporalClient is a typed client of the Temporal Cloud Ops HTTP API. Every list method fetches
 * exactly one page (callers decide how far to walk); every mutation returns the async operation
 * it started, to be awaited with awaitOperation.
 */
export interface TemporalClient {
  getCurrentIdentity(opts?: CallOptions): Promise<GetCurrentIdentityResponse>;
  getAccount(opts?: CallOptions): Promise<Account>;

  listUsers(page: PageRequest & { email?: string; namespace?: string }, opts?: CallOptions): Promise<Page<User>>;
  getUser(userId: string, opts?: CallOptions): Promise<User>;
  createUser(spec: MessageInitShape<typeof CreateUserRequestSchema>["spec"], opts: { operationId: string } & CallOptions): Promise<{ userId: string; operation: AsyncOperation }>;
  updateUser(userId: string, spec: UserSpec, opts: WriteOptions): Promise<AsyncOperation>;
  deleteUser(userId: string, opts: WriteOptions): Promise<AsyncOperation>;
  setUserNamespaceAccess(namespace: string, userId: string, access: NamespaceAccess | undefined, opts: WriteOptions): Promise<AsyncOperation>;

  listNamespaces(page: PageRequest, opts?: CallOptions): Promise<Page<Namespace>>;
  getNamespace(namespace: string, opts?: CallOptions): Promise<Namespace>;

  listUserGroups(page: PageRequest, opts?: CallOptions): Promise<Page<UserGroup>>;
  getUserGroup(groupId: string, opts?: CallOptions): Promise<UserGroup>;
  updateUserGroup(groupId: string, spec: UserGroupSpec, opts: WriteOptions): Promise<AsyncOperation>;
  setUserGroupNamespaceAccess(namespace: string, groupId: string, access: NamespaceAccess | undefined, opts: WriteOptions): Promise<AsyncOperation>;
  listUserGroupMembers(groupId: string, page: PageRequest, opts?: CallOptions): Promise<Page<UserGroupMember>>;
  addUserGroupMember(groupId: string, userId: string, opts: { operationId: string } & CallOptions): Promise<AsyncOperation>;
  removeUserGroupMember(groupId: string, userId: string, opts: { operationId: string } & CallOptions): Promise<AsyncOperation>;

  listServiceAccounts(page: PageRequest, opts?: CallOptions): Promise<Page<ServiceAccount>>;
  getServiceAccount(serviceAccountId: string, opts?: CallOptions): Promise<ServiceAccount>;
  updateServiceAccount(serviceAccountId: string, spec: ServiceAccountSpec, opts: WriteOptions): Promise<AsyncOperation>;
  setServiceAccountNamespaceAccess(namespace: string, serviceAccountId: string, access: NamespaceAccess | undefined, opts: WriteOptions): Promise<AsyncOperation>;

  listApiKeys(page: PageRequest, opts?: CallOptions): Promise<Page<ApiKey>>;
  getApiKey(keyId: string, opts?: CallOptions): Promise<ApiKey>;
  deleteApiKey(keyId: string, opts: WriteOptions): Promise<AsyncOperation>;

  listCustomRoles(page: PageRequest, opts?: CallOptions): Promise<Page<CustomRole>>;
  getCustomRole(roleId: string, opts?: CallOptions): Promise<CustomRole>;

  listUserNamespaceAssignments(namespace: string, page: PageRequest, opts?: CallOptions): Promise<Page<UserNamespaceAssignment>>;
  listServiceAccountNamespaceAssignments(namespace: string, page: PageRequest, opts?: CallOptions): Promise<Page<ServiceAccountNamespaceAssignment>>;
  listUserGroupNamespaceAssignments(namespace: string, page: PageRequest, opts?: CallOptions): Promise<Page<UserGroupNamespaceAssignment>>;

  /** Projects (API v0.18.0 and later): the list, one project, and project access. */
  listProjects(page: PageRequest, opts?: CallOptions): Promise<Page<Project>>;
  getProject(projectId: string, opts?: CallOptions): Promise<Project>;
  /** Set*ProjectAccess change one project entry of a principal; no access removes it. */
  setUserProjectAccess(projectId: string, userId: string, access: ProjectAccess | undefined, opts: WriteOptions): Promise<AsyncOperation>;
  setUserGroupProjectAccess(projectId: string, groupId: string, access: ProjectAccess | undefined, opts: WriteOptions): Promise<AsyncOperation>;
  setServiceAccountProjectAccess(projectId: string, serviceAccountId: string, access: ProjectAccess | undefined, opts: WriteOptions): Promise<AsyncOperation>;
  listUserProjectAssignments(projectId: string, page: PageRequest, opts?: CallOptions): Promise<Page<UserProjectAssignment>>;
  listServiceAccountProjectAssignments(projectId: string, page: PageRequest, opts?: CallOptions): Promise<Page<ServiceAccountProjectAssignment>>;
  listUserGroupProjectAssignments(projectId: string, page: PageRequest, opts?: CallOptions): Promise<Page<UserGroupProjectAssignment>>;
  listProjectScopedServiceAccounts(projectId: string, page: PageRequest, opts?: CallOptions): Promise<Page<ServiceAccount>>;

  getAsyncOperation(operationId: string, opts?: CallOptions): Promise<AsyncOperation>;

  /**
   * getAuditLogs fetches one page of the account's audit log within a time window (the API keeps
   * 30 days and needs the Account Owner or Global Admin role). Records are ordered by emit time
   * and log id; the API does not document the direction.
   */
  getAuditLogs(page: PageRequest, window: TimeWindow, opts?: CallOptions): Promise<Page<LogRecord>>;
}

/** createTemporalClient builds a TemporalClient on a transport. */
export function createTemporalClient(transport: Transport): TemporalClient {
  const seg = pathSegment;

  // Every helper takes the API method's name first: it names the request in logs and metrics.
  async function get<S extends DescMessage>(route: string, schema: S, path: string, query: Record<string, string | number | undefined>, opts?: CallOptions) {
    return parse(schema, await transport.call({ route, method: "GET", path, query, signal: opts?.signal }), path);
  }

  /**
   * list fetches one page. Its items are converted from JSON when first read, not on arrival:
   * whoever walks a list can ask for the next page (the token is read at once) before paying
   * for this one's conversion, which keeps that work off the chain of upstream round trips.
   */
  async function list<S extends DescMessage, T>(route: string, schema: S, path: string, query: Record<string, string | number | undefined>, opts: CallOptions | undefined, itemsOf: (res: MessageShape<S>) => T[]): Promise<Page<T>> {
    let json: unknown = await transport.call({ route, method: "GET", path, query, signal: opts?.signal });
    const fields = json as { nextPageToken?: unknown; next_page_token?: unknown } | null;
    const token = fields?.nextPageToken ?? fields?.next_page_token ?? "";
    if (typeof token !== "string") throw invalidResponse(path, "nextPageToken is not a string");
    let items: T[] | undefined;
    return {
      nextPageToken: token,
      get items() {
        if (!items) {
          items = itemsOf(parse(schema, json, path));
          json = undefined;
        }
        return items;
      },
    };
  }

  /** post sends a request message as JSON; fields bound in the path are left out of the body. */
  async function post<Req extends DescMessage, Res extends DescMessage>(
    route: string,
    reqSchema: Req,
    resSchema: Res,
    path: string,
    init: MessageInitShape<Req>,
    pathFields: string[],
    opts?: CallOptions,
  ) {
    const body = toJson(reqSchema, create(reqSchema, init)) as Record<string, JsonValue>;
    for (const field of pathFields) delete body[field];
    return parse(resSchema, await transport.call({ route, method: "POST", path, body, signal: opts?.signal }), path);
  }

  async function del<S extends DescMessage>(route: string, schema: S, path: string, opts: WriteOptions) {
    const query = { resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
    return parse(schema, await transport.call({ route, method: "DELETE", path, query, signal: opts.signal }), path);
  }

  const pageQuery = (page: PageRequest) => ({ pageSize: page.pageSize ?? MAX_PAGE_SIZE, pageToken: page.pageToken });
  const operation = (res: { asyncOperation?: AsyncOperation }, path: string) => {
    if (!res.asyncOperation) throw invalidResponse(path, "no asyncOperation in the response");
    return res.asyncOperation;
  };

  return {
    getCurrentIdentity: (opts) => get("GetCurrentIdentity", GetCurrentIdentityResponseSchema, "/cloud/current-identity", {}, opts),
    async getAccount(opts) {
      const res = await get("GetAccount", GetAccountResponseSchema, "/cloud/account", {}, opts);
      if (!res.account?.id) throw invalidResponse("/cloud/account", "no account id in the response");
      return res.account;
    },

    async listUsers(page, opts) {
      return list("GetUsers", GetUsersResponseSchema, "/cloud/users", { ...pageQuery(page), email: page.email, namespace: page.namespace }, opts, (res) => res.users);
    },
    async getUser(userId, opts) {
      const path = `/cloud/users/${seg(userId)}`;
      return required((await get("GetUser", GetUserResponseSchema, path, {}, opts)).user, path);
    },
    async createUser(spec, opts) {
      const path = "/cloud/users";
      const res = await post("CreateUser", CreateUserRequestSchema, CreateUserResponseSchema, path, { spec, asyncOperationId: opts.operationId }, [], opts);
      return { userId: res.userId, operation: operation(res, path) };
    },
    async updateUser(userId, spec, opts) {
      const path = `/cloud/users/${seg(userId)}`;
      const init = { userId, spec, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(await post("UpdateUser", UpdateUserRequestSchema, UpdateUserResponseSchema, path, init, ["userId"], opts), path);
    },
    async deleteUser(userId, opts) {
      const path = `/cloud/users/${seg(userId)}`;
      return operation(await del("DeleteUser", DeleteUserResponseSchema, path, opts), path);
    },
    async setUserNamespaceAccess(namespace, userId, access, opts) {
      const path = `/cloud/namespaces/${seg(namespace)}/users/${seg(userId)}/access`;
      const init = { namespace, userId, access, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(await post("SetUserNamespaceAccess", SetUserNamespaceAccessRequestSchema, SetUserNamespaceAccessResponseSchema, path, init, ["namespace", "userId"], opts), path);
    },

    async listNamespaces(page, opts) {
      return list("GetNamespaces", GetNamespacesResponseSchema, "/cloud/namespaces", pageQuery(page), opts, (res) => res.namespaces);
    },
    async getNamespace(namespace, opts) {
      const path = `/cloud/namespaces/${seg(namespace)}`;
      return required((await get("GetNamespace", GetNamespaceResponseSchema, path, {}, opts)).namespace, path);
    },

    async listUserGroups(page, opts) {
      return list("GetUserGroups", GetUserGroupsResponseSchema, "/cloud/user-groups", pageQuery(page), opts, (res) => res.groups);
    },
    async getUserGroup(groupId, opts) {
      const path = `/cloud/user-groups/${seg(groupId)}`;
      return required((await get("GetUserGroup", GetUserGroupResponseSchema, path, {}, opts)).group, path);
    },
    async updateUserGroup(groupId, spec, opts) {
      const path = `/cloud/user-groups/${seg(groupId)}`;
      const init = { groupId, spec, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(await post("UpdateUserGroup", UpdateUserGroupRequestSchema, UpdateUserGroupResponseSchema, path, init, ["groupId"], opts), path);
    },
    async setUserGroupNamespaceAccess(namespace, groupId, access, opts) {
      const path = `/cloud/namespaces/${seg(namespace)}/user-groups/${seg(groupId)}/access`;
      const init = { namespace, groupId, access, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(await post("SetUserGroupNamespaceAccess", SetUserGroupNamespaceAccessRequestSchema, SetUserGroupNamespaceAccessResponseSchema, path, init, ["namespace", "groupId"], opts), path);
    },
    async listUserGroupMembers(groupId, page, opts) {
      return list("GetUserGroupMembers", GetUserGroupMembersResponseSchema, `/cloud/user-groups/${seg(groupId)}/members`, pageQuery(page), opts, (res) => res.members);
    },
    async addUserGroupMember(groupId, userId, opts) {
      const path = `/cloud/user-groups/${seg(groupId)}/members`;
      const init = { groupId, memberId: { memberType: { case: "userId" as const, value: userId } }, asyncOperationId: opts.operationId };
      return operation(await post("AddUserGroupMember", AddUserGroupMemberRequestSchema, AddUserGroupMemberResponseSchema, path, init, ["groupId"], opts), path);
    },
    async removeUserGroupMember(groupId, userId, opts) {
      const path = `/cloud/user-groups/${seg(groupId)}/remove-member`;
      const init = { groupId, memberId: { memberType: { case: "userId" as const, value: userId } }, asyncOperationId: opts.operationId };
      return operation(await post("RemoveUserGroupMember", RemoveUserGroupMemberRequestSchema, RemoveUserGroupMemberResponseSchema, path, init, ["groupId"], opts), path);
    },

    async listServiceAccounts(page, opts) {
      return list("GetServiceAccounts", GetServiceAccountsResponseSchema, "/cloud/service-accounts", pageQuery(page), opts, (res) => res.serviceAccount);
    },
    async getServiceAccount(serviceAccountId, opts) {
      const path = `/cloud/service-accounts/${seg(serviceAccountId)}`;
      return required((await get("GetServiceAccount", GetServiceAccountResponseSchema, path, {}, opts)).serviceAccount, path);
    },
    async updateServiceAccount(serviceAccountId, spec, opts) {
      const path = `/cloud/service-accounts/${seg(serviceAccountId)}`;
      const init = { serviceAccountId, spec, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(await post("UpdateServiceAccount", UpdateServiceAccountRequestSchema, UpdateServiceAccountResponseSchema, path, init, ["serviceAccountId"], opts), path);
    },
    async setServiceAccountNamespaceAccess(namespace, serviceAccountId, access, opts) {
      const path = `/cloud/namespaces/${seg(namespace)}/service-accounts/${seg(serviceAccountId)}/access`;
      const init = { namespace, serviceAccountId, access, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(
        await post("SetServiceAccountNamespaceAccess", SetServiceAccountNamespaceAccessRequestSchema, SetServiceAccountNamespaceAccessResponseSchema, path, init, ["namespace", "serviceAccountId"], opts),
        path,
      );
    },

    async listApiKeys(page, opts) {
      return list("GetApiKeys", GetApiKeysResponseSchema, "/cloud/api-keys", pageQuery(page), opts, (res) => res.apiKeys);
    },
    async getApiKey(keyId, opts) {
      const path = `/cloud/api-keys/${seg(keyId)}`;
      return required((await get("GetApiKey", GetApiKeyResponseSchema, path, {}, opts)).apiKey, path);
    },
    async deleteApiKey(keyId, opts) {
      const path = `/cloud/api-keys/${seg(keyId)}`;
      return operation(await del("DeleteApiKey", DeleteApiKeyResponseSchema, path, opts), path);
    },

    async listCustomRoles(page, opts) {
      return list("GetCustomRoles", GetCustomRolesResponseSchema, "/cloud/custom-roles", pageQuery(page), opts, (res) => res.customRoles);
    },
    async getCustomRole(roleId, opts) {
      const path = `/cloud/custom-roles/${seg(roleId)}`;
      return required((await get("GetCustomRole", GetCustomRoleResponseSchema, path, {}, opts)).customRole, path);
    },

    async listUserNamespaceAssignments(namespace, page, opts) {
      return list("GetUserNamespaceAssignments", GetUserNamespaceAssignmentsResponseSchema, `/cloud/namespaces/${seg(namespace)}/user-assignments`, pageQuery(page), opts, (res) => res.users);
    },
    async listServiceAccountNamespaceAssignments(namespace, page, opts) {
      const path = `/cloud/namespaces/${seg(namespace)}/service-account-assignments`;
      return list("GetServiceAccountNamespaceAssignments", GetServiceAccountNamespaceAssignmentsResponseSchema, path, pageQuery(page), opts, (res) => res.serviceAccounts);
    },
    async listUserGroupNamespaceAssignments(namespace, page, opts) {
      const path = `/cloud/namespaces/${seg(namespace)}/user-group-assignments`;
      return list("GetUserGroupNamespaceAssignments", GetUserGroupNamespaceAssignmentsResponseSchema, path, pageQuery(page), opts, (res) => res.groups);
    },

    async listProjects(page, opts) {
      return list("GetProjects", GetProjectsResponseSchema, "/cloud/projects", pageQuery(page), opts, (res) => res.projects);
    },
    async getProject(projectId, opts) {
      const path = `/cloud/projects/${seg(projectId)}`;
      return required((await get("GetProject", GetProjectResponseSchema, path, {}, opts)).project, path);
    },
    async setUserProjectAccess(projectId, userId, access, opts) {
      const path = `/cloud/projects/${seg(projectId)}/users/${seg(userId)}/access`;
      const init = { projectId, userId, access, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(await post("SetUserProjectAccess", SetUserProjectAccessRequestSchema, SetUserProjectAccessResponseSchema, path, init, ["projectId", "userId"], opts), path);
    },
    async setUserGroupProjectAccess(projectId, groupId, access, opts) {
      const path = `/cloud/projects/${seg(projectId)}/user-groups/${seg(groupId)}/access`;
      const init = { projectId, groupId, access, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(await post("SetUserGroupProjectAccess", SetUserGroupProjectAccessRequestSchema, SetUserGroupProjectAccessResponseSchema, path, init, ["projectId", "groupId"], opts), path);
    },
    async setServiceAccountProjectAccess(projectId, serviceAccountId, access, opts) {
      const path = `/cloud/projects/${seg(projectId)}/service-accounts/${seg(serviceAccountId)}/access`;
      const init = { projectId, serviceAccountId, access, resourceVersion: opts.resourceVersion, asyncOperationId: opts.operationId };
      return operation(
        await post("SetServiceAccountProjectAccess", SetServiceAccountProjectAccessRequestSchema, SetServiceAccountProjectAccessResponseSchema, path, init, ["projectId", "serviceAccountId"], opts),
        path,
      );
    },
    async listUserProjectAssignments(projectId, page, opts) {
      return list("GetUserProjectAssignments", GetUserProjectAssignmentsResponseSchema, `/cloud/projects/${seg(projectId)}/user-assignments`, pageQuery(page), opts, (res) => res.users);
    },
    async listServiceAccountProjectAssignments(projectId, page, opts) {
      const path = `/cloud/projects/${seg(projectId)}/service-account-assignments`;
      return list("GetServiceAccountProjectAssignments", GetServiceAccountProjectAssignmentsResponseSchema, path, pageQuery(page), opts, (res) => res.serviceAccounts);
    },
    async listUserGroupProjectAssignments(projectId, page, opts) {
      const path = `/cloud/projects/${seg(projectId)}/user-group-assignments`;
      return list("GetUserGroupProjectAssignments", GetUserGroupProjectAssignmentsResponseSchema, path, pageQuery(page), opts, (res) => res.groups);
    },
    async listProjectScopedServiceAccounts(projectId, page, opts) {
      const path = `/cloud/projects/${seg(projectId)}/service-accounts`;
      return list("GetProjectScopedServiceAccounts", GetProjectScopedServiceAccountsResponseSchema, path, pageQuery(page), opts, (res) => res.serviceAccounts);
    },

    async getAsyncOperation(operationId, opts) {
      const path = `/cloud/operations/${seg(operationId)}`;
      return required((await get("GetAsyncOperation", GetAsyncOperationResponseSchema, path, {}, opts)).asyncOperation, path);
    },

    async getAuditLogs(page, window, opts) {
      const path = "/cloud/audit-logs";
      const query = { ...pageQuery(page), startTimeInclusive: window.startTimeInclusive?.toISOString(), endTimeExclusive: window.endTimeExclusive?.toISOString() };
      const json = await transport.call({ route: "GetAuditLogs", method: "GET", path, query, signal: opts?.signal });
      let res;
      try {
        // rawDetails is free-form JSON (a Struct); fields newer than our subset are ignored.
        res = fromJson(GetAuditLogsResponseSchema, json as JsonValue, { ignoreUnknownFields: true });
      } catch (err) {
        throw invalidResponse(path, err instanceof Error ? err.message : String(err));
      }
      return { items: res.logs, nextPageToken: res.nextPageToken };
    },
  };
}

/** parse decodes proto3 JSON, ignoring fields and enum values newer than our API subset. */
function parse<S extends DescMessage>(schema: S, json: unknown, path: string): MessageShape<S> {
  try {
    return readJson(schema, json as JsonValue);
  } catch (err) {
    throw invalidResponse(path, err instanceof Error ? err.message : String(err));
  }
}

function required<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw invalidResponse(path, "the response is empty");
  return value;
}

function invalidResponse(path: string, why: string): TemporalApiError {
  return new TemporalApiError({ kind: "invalid-response", status: 200, message: `temporal cloud: ${path}: unexpected response: ${why}` });
}

/**
 * pathSegment escapes a value for one segment of a request path. It refuses "", "." and "..":
 * escaping leaves dots alone, and the URL parser reads those segments as "this folder" and "the
 * parent folder", so `/cloud/users/..` would request `/cloud/`, another route (an empty segment
 * is another route too). Request validation refuses such ids first; this is the client's own
 * guard, so no caller can reach another route by mistake.
 */
export function pathSegment(value: string): string {
  if (value === "" || value === "." || value === "..") {
    throw new TemporalApiError({ kind: "invalid-argument", message: `refusing to build a request path with the segment "${value}": it is not an id` });
  }
  return encodeURIComponent(value);
}

