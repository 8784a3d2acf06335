import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { AccountSchema, type Account } from "../../gen/temporal/api/cloud/account/v1/message_pb.js";
import {
  AccessSchema,
  ApiKeySchema,
  ApiKeySpecSchema,
  CustomRoleSchema,
  CustomRoleSpecSchema,
  NamespaceAccess_Permission,
  NamespaceAccessSchema,
  ProjectAccess_ProjectRole,
  ProjectAccessSchema,
  ServiceAccountSchema,
  ServiceAccountSpecSchema,
  UserGroupMemberSchema,
  UserGroupSchema,
  UserGroupSpecSchema,
  UserSchema,
  UserSpecSchema,
  type ApiKey,
  type ApiKeySpec,
  type CustomRole,
  type CustomRoleSpec,
  type ServiceAccount,
  type ServiceAccountSpec,
  type User,
  type UserGroup,
  type UserGroupMember,
  type UserGroupSpec,
  type UserSpec,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { NamespaceSchema, type Namespace } from "../../gen/temporal/api/cloud/namespace/v1/message_pb.js";
import type { AsyncOperation } from "../../gen/temporal/api/cloud/operation/v1/message_pb.js";
import { ProjectSchema, type Project } from "../../gen/temporal/api/cloud/project/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import type { AccountData } from "./account-data.js";
import { createPrng } from "./prng.js";
import { createSortedCollection, type SortedCollection, type SortedView } from "./sorted-collection.js";

/** ResourceKind names the kinds of managed resources a mutation can target. */
export type ResourceKind = "user" | "serviceAccount" | "userGroup" | "apiKey" | "customRole";

/** PrincipalKind names the kinds of principals that hold namespace accesses. */
export type PrincipalKind = "user" | "serviceAccount" | "userGroup";

/** ResourceTypes maps each ResourceKind to its message type. */
export interface ResourceTypes {
  user: User;
  serviceAccount: ServiceAccount;
  userGroup: UserGroup;
  apiKey: ApiKey;
  customRole: CustomRole;
}

/** SpecTypes maps each ResourceKind to the type of its `spec`. */
export interface SpecTypes {
  user: UserSpec;
  serviceAccount: ServiceAccountSpec;
  userGroup: UserGroupSpec;
  apiKey: ApiKeySpec;
  customRole: CustomRoleSpec;
}

/** UpdateOptions tunes SimulatorStore.update. */
export interface UpdateOptions {
  /** Assign a new resourceVersion (default true). The API assigns it when it accepts a request. */
  bumpVersion?: boolean;
}

/**
 * SimulatorStore is the live state of a simulated account. Its maps are read-only views:
 * change state through the methods, which behave like the API applying a change (new
 * resourceVersion, lastModifiedTime, cascades), so tests can simulate concurrent edits.
 */
export interface SimulatorStore {
  readonly accountId: string;
  readonly account: Account;
  readonly users: SortedView<User>;
  readonly serviceAccounts: SortedView<ServiceAccount>;
  /** User groups, listed by display name then id. */
  readonly userGroups: SortedView<UserGroup>;
  /** Namespaces by namespace id, listed by name. */
  readonly namespaces: SortedView<Namespace>;
  readonly customRoles: SortedView<CustomRole>;
  readonly apiKeys: SortedView<ApiKey>;
  /** Projects (API v0.18.0), listed by id. */
  readonly projects: SortedView<Project>;
  /** Bearer secrets accepted for authentication: secret → API key id. */
  readonly apiKeySecrets: ReadonlyMap<string, string>;
  /**
   * bearerKeys returns the registered bearer secrets in registration order; for the demo and
   * generated accounts the first one belongs to the admin service account.
   */
  bearerKeys(): string[];
  readonly operations: ReadonlyMap<string, AsyncOperation>;

  /** groupMembers returns the members of a group by user id, or undefined for an unknown group. */
  groupMembers(groupId: string): SortedView<UserGroupMember> | undefined;
  /** groupsOfUser returns the groups the user belongs to. */
  groupsOfUser(userId: string): UserGroup[];
  /** resource returns the resource of a kind by id. */
  resource<K extends ResourceKind>(kind: K, id: string): ResourceTypes[K] | undefined;

  /** now returns the store clock in milliseconds since the epoch. */
  now(): number;
  /** newId returns a fresh 32-character lower-case hex id. */
  newId(): string;
  /** newSecret returns a fresh bearer secret for an API key. */
  newSecret(): string;

  addUser(init: MessageInitShape<typeof UserSchema>): User;
  addServiceAccount(init: MessageInitShape<typeof ServiceAccountSchema>): ServiceAccount;
  addUserGroup(init: MessageInitShape<typeof UserGroupSchema>): UserGroup;
  addNamespace(init: MessageInitShape<typeof NamespaceSchema>): Namespace;
  addCustomRole(init: MessageInitShape<typeof CustomRoleSchema>): CustomRole;
  addProject(init: MessageInitShape<typeof ProjectSchema>): Project;
  /** addApiKey adds a key and, when `secret` is given, accepts it as a bearer secret. */
  addApiKey(init: MessageInitShape<typeof ApiKeySchema>, secret?: string): ApiKey;

  /**
   * update changes a resource's spec in place, sets lastModifiedTime and, unless told
   * otherwise, assigns a new resourceVersion.
   */
  update<K extends ResourceKind>(
    kind: K,
    id: string,
    mutate: (spec: SpecTypes[K]) => void,
    options?: UpdateOptions,
  ): ResourceTypes[K];
  updateUser(id: string, mutate: (spec: UserSpec) => void, options?: UpdateOptions): User;
  updateServiceAccount(
    id: string,
    mutate: (spec: ServiceAccountSpec) => void,
    options?: UpdateOptions,
  ): ServiceAccount;
  updateUserGroup(id: string, mutate: (spec: UserGroupSpec) => void, options?: UpdateOptions): UserGroup;
  updateApiKey(id: string, mutate: (spec: ApiKeySpec) => void, options?: UpdateOptions): ApiKey;
  updateCustomRole(id: string, mutate: (spec: CustomRoleSpec) => void, options?: UpdateOptions): CustomRole;
  /**
   * setNamespaceAccess sets (or with PERMISSION_UNSPECIFIED removes) one namespace access of
   * a principal; for a namespace-scoped service account it sets the permission of its scope.
   */
  setNamespaceAccess(
    kind: PrincipalKind,
    id: string,
    namespace: string,
    permission: NamespaceAccess_Permission,
    options?: UpdateOptions,
  ): void;

  /**
   * setProjectAccess sets (or with PROJECT_ROLE_UNSPECIFIED removes) one project access of a
   * principal; for a project-scoped service account it sets the role of its scope.
   */
  setProjectAccess(
    kind: PrincipalKind,
    id: string,
    projectId: string,
    role: ProjectAccess_ProjectRole,
    options?: UpdateOptions,
  ): void;

  /**
   * remove deletes a resource with the API's cascades: a user leaves its groups and loses its
   * API keys, a service account loses its API keys, a group loses its members, a key its secrets.
   */
  remove(kind: ResourceKind, id: string): boolean;
  deleteUser(id: string): boolean;
  deleteServiceAccount(id: string): boolean;
  deleteUserGroup(id: string): boolean;
  deleteApiKey(id: string): boolean;
  deleteCustomRole(id: string): boolean;

  /** addGroupMember adds a member (createdTime defaults to now); false if already a member. */
  addGroupMember(groupId: string, userId: string, createdTime?: Timestamp): boolean;
  removeGroupMember(groupId: string, userId: string): boolean;
  registerSecret(secret: string, keyId: string): void;
  /**
   * rotateApiKey issues a new key, with a new secret, to the owner of `keyId`, as an operator
   * rotating a key does; the old key keeps working until it is deleted (deleteApiKey).
   */
  rotateApiKey(keyId: string, expiryTime?: Timestamp): { apiKey: ApiKey; secret: string };

  /** bumpVersion assigns a new resourceVersion to a resource and returns it. */
  bumpVersion(kind: ResourceKind, id: string): string;
  /** markOperation shows an in-flight operation on a resource (asyncOperationId and state). */
  markOperation(kind: ResourceKind, id: string, operationId: string, state: ResourceState): void;
  /** clearOperation ends what markOperation showed, if the resource still shows that operation. */
  clearOperation(kind: ResourceKind, id: string, operationId: string): void;
  putOperation(operation: AsyncOperation): void;
}

/** SimulatorStoreOptions tunes createSimulatorStore. */
export interface SimulatorStoreOptions {
  /** Seed for generated ids, versions and secrets (default 1). */
  seed?: number;
  /** Clock (default Date.now). */
  now?: () => number;
}

/**
 * createSimulatorStore loads a clone of `data` into a new SimulatorStore.
 */
export function createSimulatorStore(data: AccountData, options: SimulatorStoreOptions = {}): SimulatorStore {
  const prng = createPrng((options.seed ?? 1) ^ 0x5eed);
  const now = options.now ?? Date.now;
  const users = createSortedCollection<User>((u) => u.id);
  const serviceAccounts = createSortedCollection<ServiceAccount>((s) => s.id);
  const userGroups = createSortedCollection<UserGroup>((g) => `${g.spec?.displayName ?? ""}\u0000${g.id}`);
  const namespaces = createSortedCollection<Namespace>((n) => n.spec?.name ?? n.namespace);
  const customRoles = createSortedCollection<CustomRole>((r) => r.id);
  const apiKeys = createSortedCollection<ApiKey>((k) => k.id);
  const projects = createSortedCollection<Project>((p) => p.id);
  const members = new Map<string, SortedCollection<UserGroupMember>>();
  const secrets = new Map<string, string>();
  const operations = new Map<string, AsyncOperation>();
  const account = create(AccountSchema, {
    id: data.accountId,
    resourceVersion: prng.hex(16),
    state: ResourceState.ACTIVE,
    metrics: { uri: `https://${data.accountId}.tmprl.cloud/prometheus` },
  });

  const collections: { [K in ResourceKind]: SortedCollection<ResourceTypes[K]> } = {
    user: users,
    serviceAccount: serviceAccounts,
    userGroup: userGroups,
    apiKey: apiKeys,
    customRole: customRoles,
  };

  const newVersion = (current: string): string => {
    let version = prng.hex(16);
    while (version === current) version = prng.hex(16);
    return version;
  };

  // complete fills what the API always sets on a stored resource.
  const complete = <T extends { id: string; resourceVersion: string; state: ResourceState; createdTime?: unknown }>(
    resource: T,
  ): T => {
    if (resource.id === "") resource.id = prng.hex(32);
    if (resource.resourceVersion === "") resource.resourceVersion = newVersion("");
    if (resource.state === ResourceState.UNSPECIFIED) resource.state = ResourceState.ACTIVE;
    if (resource.createdTime === undefined) resource.createdTime = timestampFromMs(now());
    return resource;
  };

  const membersOf = (groupId: string): SortedCollection<UserGroupMember> => {
    let collection = members.get(groupId);
    if (collection === undefined) {
      collection = createSortedCollection<UserGroupMember>((m) =>
        m.memberId?.memberType.case === "userId" ? m.memberId.memberType.value : "",
      );
      members.set(groupId, collection);
    }
    return collection;
  };

  const mustGet = <K extends ResourceKind>(kind: K, id: string): ResourceTypes[K] => {
    const resource = collections[kind].get(id);
    if (resource === undefined) throw new Error(`simulator store: no ${kind} ${id}`);
    return resource;
  };

  const removeSecretsOf = (keyId: string): void => {
    for (const [secret, id] of secrets) if (id === keyId) secrets.delete(secret);
  };

  const removeKeysOwnedBy = (ownerId: string): void => {
    for (const key of Array.from(apiKeys.values())) {
      if (key.spec?.ownerId === ownerId) {
        apiKeys.delete(key.id);
        removeSecretsOf(key.id);
      }
    }
  };

  const store: SimulatorStore = {
    accountId: data.accountId,
    account,
    users,
    serviceAccounts,
    userGroups,
    namespaces,
    customRoles,
    apiKeys,
    projects,
    apiKeySecrets: secrets,
    bearerKeys: () => Array.from(secrets.keys()),
    operations,

    groupMembers: (groupId) => (userGroups.get(groupId) === undefined ? undefined : membersOf(groupId)),
    groupsOfUser(userId) {
      const groups: UserGroup[] = [];
      for (const [groupId, collection] of members) {
        if (collection.get(userId) === undefined) continue;
        const group = userGroups.get(groupId);
        if (group !== undefined) groups.push(group);
      }
      return groups;
    },
    resource: (kind, id) => collections[kind].get(id),

    now,
    newId: () => prng.hex(32),
    newSecret: () => `tcsim-${prng.hex(8)}-${Buffer.from(prng.hex(48), "hex").toString("base64url")}`,

    addUser(init) {
      const user = complete(create(UserSchema, init));
      users.set(user.id, user);
      return user;
    },
    addServiceAccount(init) {
      const serviceAccount = complete(create(ServiceAccountSchema, init));
      serviceAccounts.set(serviceAccount.id, serviceAccount);
      return serviceAccount;
    },
    addUserGroup(init) {
      const group = complete(create(UserGroupSchema, init));
      userGroups.set(group.id, group);
      membersOf(group.id);
      return group;
    },
    addNamespace(init) {
      const namespace = create(NamespaceSchema, init);
      if (namespace.resourceVersion === "") namespace.resourceVersion = newVersion("");
      if (namespace.state === ResourceState.UNSPECIFIED) namespace.state = ResourceState.ACTIVE;
      namespaces.set(namespace.namespace, namespace);
      return namespace;
    },
    addCustomRole(init) {
      const role = complete(create(CustomRoleSchema, init));
      customRoles.set(role.id, role);
      return role;
    },
    addProject(init) {
      const project = create(ProjectSchema, init);
      if (project.id === "") project.id = prng.hex(32);
      if (project.resourceVersion === "") project.resourceVersion = newVersion("");
      if (project.state === ResourceState.UNSPECIFIED) project.state = ResourceState.ACTIVE;
      if (project.createdTime === undefined) project.createdTime = timestampFromMs(now());
      projects.set(project.id, project);
      return project;
    },
    addApiKey(init, secret) {
      const key = complete(create(ApiKeySchema, init));
      apiKeys.set(key.id, key);
      if (secret !== undefined) secrets.set(secret, key.id);
      return key;
    },

    update(kind, id, mutate, options = {}) {
      const resource = mustGet(kind, id);
      resource.spec ??= create(specSchemas[kind]) as never;
      mutate(resource.spec as never);
      resource.lastModifiedTime = timestampFromMs(now());
      if (options.bumpVersion ?? true) resource.resourceVersion = newVersion(resource.resourceVersion);
      // A group's list key is its display name, which the change may have touched.
      if (kind === "userGroup") userGroups.invalidate();
      return resource;
    },
    updateUser: (id, mutate, options) => store.update("user", id, mutate, options),
    updateServiceAccount: (id, mutate, options) => store.update("serviceAccount", id, mutate, options),
    updateUserGroup: (id, mutate, options) => store.update("userGroup", id, mutate, options),
    updateApiKey: (id, mutate, options) => store.update("apiKey", id, mutate, options),
    updateCustomRole: (id, mutate, options) => store.update("customRole", id, mutate, options),
    setNamespaceAccess(kind, id, namespace, permission, options) {
      const change = (spec: SpecTypes[PrincipalKind]): void => {
        const scoped = kind === "serviceAccount" ? (spec as ServiceAccountSpec).namespaceScopedAccess : undefined;
        const project = kind === "serviceAccount" ? (spec as ServiceAccountSpec).projectScopedAccess : undefined;
        if (project !== undefined) {
          if (permission === NamespaceAccess_Permission.UNSPECIFIED) delete project.namespaceAccesses[namespace];
          else project.namespaceAccesses[namespace] = create(NamespaceAccessSchema, { permission });
          return;
        }
        if (scoped !== undefined) {
          if (scoped.namespace !== namespace) {
            throw new Error(`simulator store: service account ${id} is scoped to ${scoped.namespace}`);
          }
          scoped.access = create(NamespaceAccessSchema, { permission });
          return;
        }
        const access = (spec.access ??= create(AccessSchema));
        if (permission === NamespaceAccess_Permission.UNSPECIFIED) {
          delete access.namespaceAccesses[namespace];
        } else {
          access.namespaceAccesses[namespace] = create(NamespaceAccessSchema, { permission });
        }
      };
      store.update(kind, id, change, options);
    },

    setProjectAccess(kind, id, projectId, role, options) {
      const change = (spec: SpecTypes[PrincipalKind]): void => {
        const scoped = kind === "serviceAccount" ? (spec as ServiceAccountSpec).projectScopedAccess : undefined;
        if (scoped !== undefined) {
          if (scoped.projectId !== projectId) throw new Error(`simulator store: service account ${id} is scoped to project ${scoped.projectId}`);
          scoped.access = create(ProjectAccessSchema, { role });
          return;
        }
        const access = (spec.access ??= create(AccessSchema));
        if (role === ProjectAccess_ProjectRole.UNSPECIFIED) delete access.projectAccesses[projectId];
        else access.projectAccesses[projectId] = create(ProjectAccessSchema, { role });
      };
      store.update(kind, id, change, options);
    },

    remove(kind, id) {
      if (!collections[kind].delete(id)) return false;
      switch (kind) {
        case "user":
          for (const collection of members.values()) collection.delete(id);
          removeKeysOwnedBy(id);
          break;
        case "serviceAccount":
          removeKeysOwnedBy(id);
          break;
        case "userGroup":
          members.delete(id);
          break;
        case "apiKey":
          removeSecretsOf(id);
          break;
        case "customRole":
          break;
      }
      return true;
    },
    deleteUser: (id) => store.remove("user", id),
    deleteServiceAccount: (id) => store.remove("serviceAccount", id),
    deleteUserGroup: (id) => store.remove("userGroup", id),
    deleteApiKey: (id) => store.remove("apiKey", id),
    deleteCustomRole: (id) => store.remove("customRole", id),

    addGroupMember(groupId, userId, createdTime) {
      if (userGroups.get(groupId) === undefined) return false;
      const collection = membersOf(groupId);
      if (collection.get(userId) !== undefined) return false;
      collection.set(
        userId,
        create(UserGroupMemberSchema, {
          memberId: { memberType: { case: "userId", value: userId } },
          createdTime: createdTime ?? timestampFromMs(now()),
        }),
      );
      return true;
    },
    removeGroupMember: (groupId, userId) => members.get(groupId)?.delete(userId) ?? false,
    registerSecret(secret, keyId) {
      secrets.set(secret, keyId);
    },
    rotateApiKey(keyId, expiryTime) {
      const old = mustGet("apiKey", keyId);
      const secret = store.newSecret();
      const spec = {
        ownerId: old.spec?.ownerId,
        ownerType: old.spec?.ownerType,
        displayName: `${old.spec?.displayName ?? keyId} (rotated)`,
        expiryTime: expiryTime ?? old.spec?.expiryTime,
      };
      return { apiKey: store.addApiKey({ spec }, secret), secret };
    },

    bumpVersion(kind, id) {
      const resource = mustGet(kind, id);
      resource.resourceVersion = newVersion(resource.resourceVersion);
      return resource.resourceVersion;
    },
    markOperation(kind, id, operationId, state) {
      const resource = collections[kind].get(id);
      if (resource === undefined) return;
      resource.asyncOperationId = operationId;
      resource.state = state;
    },
    clearOperation(kind, id, operationId) {
      const resource = collections[kind].get(id);
      if (resource === undefined || resource.asyncOperationId !== operationId) return;
      resource.asyncOperationId = "";
      resource.state = ResourceState.ACTIVE;
    },
    putOperation(operation) {
      operations.set(operation.id, operation);
    },
  };

  load(store, data);
  return store;
}

// specSchemas create an empty spec for resources stored without one.
const specSchemas = {
  user: UserSpecSchema,
  serviceAccount: ServiceAccountSpecSchema,
  userGroup: UserGroupSpecSchema,
  apiKey: ApiKeySpecSchema,
  customRole: CustomRoleSpecSchema,
};

function load(store: SimulatorStore, data: AccountData): void {
  for (const project of data.projects ?? []) store.addProject(clone(ProjectSchema, project));
  for (const namespace of data.namespaces) store.addNamespace(clone(NamespaceSchema, namespace));
  for (const user of data.users) store.addUser(clone(UserSchema, user));
  for (const serviceAccount of data.serviceAccounts) {
    store.addServiceAccount(clone(ServiceAccountSchema, serviceAccount));
  }
  for (const group of data.groups) store.addUserGroup(clone(UserGroupSchema, group));
  for (const [groupId, userIds] of data.groupMembers) {
    const group = store.userGroups.get(groupId);
    for (const userId of userIds) {
      // A membership cannot predate its user or group; the later creation time keeps loads deterministic.
      const user = store.users.get(userId);
      const times = [group?.createdTime, user?.createdTime].filter((t) => t !== undefined);
      const since = times.length === 0 ? undefined : timestampFromMs(Math.max(...times.map(timestampMs)));
      store.addGroupMember(groupId, userId, since);
    }
  }
  for (const role of data.customRoles) store.addCustomRole(clone(CustomRoleSchema, role));
  for (const key of data.apiKeys) store.addApiKey(clone(ApiKeySchema, key));
  for (const [secret, keyId] of data.apiKeySecrets) store.registerSecret(secret, keyId);
}
