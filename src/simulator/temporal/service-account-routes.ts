import { create } from "@bufbuild/protobuf";
import {
  CreateServiceAccountRequestSchema,
  CreateServiceAccountResponseSchema,
  DeleteServiceAccountRequestSchema,
  DeleteServiceAccountResponseSchema,
  GetServiceAccountRequestSchema,
  GetServiceAccountResponseSchema,
  GetServiceAccountsRequestSchema,
  GetServiceAccountsResponseSchema,
  SetServiceAccountNamespaceAccessRequestSchema,
  SetServiceAccountNamespaceAccessResponseSchema,
  UpdateServiceAccountRequestSchema,
  UpdateServiceAccountResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import {
  NamespaceAccess_Permission,
  ProjectAccess_ProjectRole,
  ServiceAccountSpecSchema,
  type Access,
  type ServiceAccount,
  type ServiceAccountSpec,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import {
  normalizeAccess,
  permissionOf,
  projectRoleOf,
  requireAccountAdmin,
  requireNamespaceAdmin,
  requireNamespaceOfProject,
  requireProjectAdmin,
  sameAccess,
  validatePermission,
  validateProjectRole,
} from "./access-policy.js";
import { alreadyExists, invalidArgument } from "./api-error.js";
import { atVersion } from "./api-version.js";
import { submitNamespaceAccess } from "./namespace-access.js";
import { keyedPage } from "./page-token.js";
import { found, nothingToChange, parse, requireVersion, respond, type Caller, type Route } from "./route.js";
import type { SimulatorStore } from "./simulator-store.js";

function hasContent(access: Access | undefined): boolean {
  if (access === undefined) return false;
  const accountAccess = access.accountAccess;
  return (
    (accountAccess !== undefined && (accountAccess.role !== 0 || accountAccess.customRoles.length > 0)) ||
    Object.keys(access.namespaceAccesses).length > 0 ||
    Object.keys(access.projectAccesses).length > 0
  );
}

/**
 * requireServiceAccountManager checks who may create, change or delete a service account:
 * Global Admins and Owners for account-scoped ones, Namespace Admins of its namespace for
 * namespace-scoped ones (docs/temporal-cloud-api.md, "Who may call what"), and ((inferred), as
 * for namespaces) Admins of its project for project-scoped ones.
 */
function requireServiceAccountManager(store: SimulatorStore, caller: Caller, spec: ServiceAccountSpec): void {
  const scoped = spec.namespaceScopedAccess;
  const project = spec.projectScopedAccess;
  if (scoped !== undefined) {
    requireNamespaceAdmin(store, caller, scoped.namespace, "managing namespace-scoped service accounts");
  } else if (project !== undefined) {
    requireProjectAdmin(store, caller, project.projectId, "managing project-scoped service accounts");
  } else {
    requireAccountAdmin(store, caller, "managing account-scoped service accounts");
  }
}

/** scopeOf names the scope of a service account spec. */
function scopeOf(spec: ServiceAccountSpec | undefined): "account" | "namespace" | "project" {
  return spec?.namespaceScopedAccess !== undefined ? "namespace" : spec?.projectScopedAccess !== undefined ? "project" : "account";
}

/**
 * normalizeServiceAccountSpec validates a Create/UpdateServiceAccount spec
 * (docs/temporal-cloud-api.md, "Refused mutations" and "Service accounts") and returns what the API
 * stores: exactly one of access, namespaceScopedAccess and (API v0.18.0) projectScopedAccess, no
 * custom roles on scoped accounts, an immutable scope, namespace and project, a name unique among
 * service accounts. A request of an older version cannot carry projectScopedAccess.
 */
function normalizeServiceAccountSpec(
  store: SimulatorStore,
  caller: Caller,
  spec: ServiceAccountSpec | undefined,
  previous: ServiceAccount | undefined,
  projects: boolean,
): ServiceAccountSpec {
  const name = spec?.name.trim() ?? "";
  if (name === "" && previous === undefined) throw invalidArgument("spec.name is required");
  const scoped = spec?.namespaceScopedAccess;
  const project = projects ? spec?.projectScopedAccess : undefined;
  const access = spec?.access;
  if ((scoped !== undefined || project !== undefined) && (access?.accountAccess?.customRoles.length ?? 0) > 0) {
    throw invalidArgument(`custom roles cannot be assigned to ${scoped ? "namespace" : "project"}-scoped service accounts`);
  }
  if ([scoped !== undefined, project !== undefined, hasContent(access)].filter(Boolean).length !== 1) {
    throw invalidArgument(projects ? "exactly one of spec.access, spec.namespaceScopedAccess and spec.projectScopedAccess must be set" : "exactly one of spec.access and spec.namespaceScopedAccess must be set");
  }
  for (const other of store.serviceAccounts.values()) {
    if (name !== "" && other.id !== previous?.id && other.spec?.name === name) {
      // (inferred, docs/temporal-cloud-api.md, "Refused mutations") names are unique among active service accounts.
      throw alreadyExists(`a service account named ${name} already exists`);
    }
  }
  const next = scoped !== undefined ? "namespace" : project !== undefined ? "project" : "account";
  if (previous !== undefined && scopeOf(previous.spec) !== next) {
    throw invalidArgument(`a service account cannot switch from ${scopeOf(previous.spec)} scope to ${next} scope`);
  }
  if (scoped !== undefined) {
    const previousScoped = previous?.spec?.namespaceScopedAccess;
    if (previousScoped !== undefined && previousScoped.namespace !== scoped.namespace) {
      throw invalidArgument("the namespace of a namespace-scoped service account cannot be changed");
    }
    if (store.namespaces.get(scoped.namespace) === undefined) {
      throw invalidArgument(`namespace not found: ${scoped.namespace}`);
    }
    const permission = permissionOf(scoped.access);
    validatePermission(permission, "spec.namespaceScopedAccess.access");
    if (permission === NamespaceAccess_Permission.UNSPECIFIED) {
      throw invalidArgument("spec.namespaceScopedAccess.access.permission is required");
    }
    return create(ServiceAccountSpecSchema, {
      name,
      description: spec?.description ?? "",
      namespaceScopedAccess: { namespace: scoped.namespace, access: { permission } },
    });
  }
  if (project !== undefined) {
    const previousProject = previous?.spec?.projectScopedAccess;
    if (previousProject !== undefined && previousProject.projectId !== project.projectId) {
      throw invalidArgument("the project of a project-scoped service account cannot be changed");
    }
    if (store.projects.get(project.projectId) === undefined) throw invalidArgument(`project not found: ${project.projectId}`);
    const role = projectRoleOf(project.access);
    if (role === ProjectAccess_ProjectRole.UNSPECIFIED) throw invalidArgument("spec.projectScopedAccess.access.role is required");
    validateProjectRole(role, "spec.projectScopedAccess.access");
    const namespaceAccesses: Record<string, { permission: NamespaceAccess_Permission }> = {};
    for (const [namespace, namespaceAccess] of Object.entries(project.namespaceAccesses)) {
      requireNamespaceOfProject(store, namespace, project.projectId);
      const permission = permissionOf(namespaceAccess);
      validatePermission(permission, `namespace ${namespace}`);
      if (permission === NamespaceAccess_Permission.UNSPECIFIED) throw invalidArgument(`namespace ${namespace}: a namespace access needs a permission`);
      namespaceAccesses[namespace] = { permission };
    }
    return create(ServiceAccountSpecSchema, {
      name,
      description: spec?.description ?? "",
      projectScopedAccess: { projectId: project.projectId, access: { role }, namespaceAccesses },
    });
  }
  return create(ServiceAccountSpecSchema, {
    name,
    description: spec?.description ?? "",
    access: normalizeAccess(store, caller, access, previous?.spec?.access, projects),
  });
}

function sameServiceAccountSpec(a: ServiceAccountSpec, b: ServiceAccountSpec | undefined): boolean {
  if (b === undefined || a.name !== b.name || a.description !== b.description) return false;
  const scopedA = a.namespaceScopedAccess;
  const scopedB = b.namespaceScopedAccess;
  if (scopedA !== undefined || scopedB !== undefined) {
    return (
      scopedA?.namespace === scopedB?.namespace && permissionOf(scopedA?.access) === permissionOf(scopedB?.access)
    );
  }
  const projectA = a.projectScopedAccess;
  const projectB = b.projectScopedAccess;
  if (projectA !== undefined || projectB !== undefined) {
    const nsA = projectA?.namespaceAccesses ?? {};
    const nsB = projectB?.namespaceAccesses ?? {};
    return (
      projectA?.projectId === projectB?.projectId &&
      projectRoleOf(projectA?.access) === projectRoleOf(projectB?.access) &&
      Object.keys(nsA).length === Object.keys(nsB).length &&
      Object.keys(nsA).every((ns) => permissionOf(nsA[ns]) === permissionOf(nsB[ns]))
    );
  }
  return sameAccess(a.access, b.access);
}

/**
 * serviceAccountRoutes are the service-account methods, including
 * SetServiceAccountNamespaceAccess. The list's JSON key is the singular `serviceAccount`.
 */
export const serviceAccountRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/service-accounts",
    name: "GetServiceAccounts",
    cacheable: true,
    handle(ctx) {
      const request = parse(ctx, GetServiceAccountsRequestSchema);
      const page = keyedPage(ctx.store.serviceAccounts, "service-accounts", request, (sa) => atVersion(ctx.projects, sa));
      return respond(GetServiceAccountsResponseSchema, {
        serviceAccount: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/service-accounts/{serviceAccountId}",
    name: "GetServiceAccount",
    handle(ctx) {
      const request = parse(ctx, GetServiceAccountRequestSchema);
      const id = request.serviceAccountId;
      return respond(GetServiceAccountResponseSchema, {
        serviceAccount: found(atVersion(ctx.projects, found(ctx.store.serviceAccounts.get(id), "service account", id)), "service account", id),
      });
    },
  },
  {
    method: "POST",
    path: "/cloud/service-accounts",
    name: "CreateServiceAccount",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, CreateServiceAccountRequestSchema);
      const record = ctx.operations.submit("CreateServiceAccount", CreateServiceAccountRequestSchema, request, () => {
        const spec = normalizeServiceAccountSpec(store, caller, request.spec, undefined, ctx.projects);
        requireServiceAccountManager(store, caller, spec);
        const id = store.newId();
        return {
          target: { kind: "serviceAccount", id, state: ResourceState.ACTIVATING, bumpVersion: false },
          begin: () => store.addServiceAccount({ id, spec }),
          apply: () => {},
          discard: () => store.deleteServiceAccount(id),
          extras: { serviceAccountId: id },
        };
      });
      return respond(CreateServiceAccountResponseSchema, {
        serviceAccountId: record.extras.serviceAccountId ?? "",
        asyncOperation: record.operation,
      });
    },
  },
  {
    method: "POST",
    path: "/cloud/service-accounts/{serviceAccountId}",
    name: "UpdateServiceAccount",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, UpdateServiceAccountRequestSchema);
      const record = ctx.operations.submit("UpdateServiceAccount", UpdateServiceAccountRequestSchema, request, () => {
        const id = request.serviceAccountId;
        const serviceAccount = found(store.serviceAccounts.get(id), "service account", id);
        requireServiceAccountManager(store, caller, serviceAccount.spec ?? create(ServiceAccountSpecSchema));
        requireVersion(serviceAccount, request.resourceVersion);
        const spec = normalizeServiceAccountSpec(store, caller, request.spec, serviceAccount, ctx.projects);
        if (sameServiceAccountSpec(spec, serviceAccount.spec)) throw nothingToChange();
        return {
          target: { kind: "serviceAccount", id, state: ResourceState.UPDATING },
          apply: () =>
            store.updateServiceAccount(
              id,
              (current) => {
                current.name = spec.name;
                current.description = spec.description;
                current.access = spec.access;
                current.namespaceScopedAccess = spec.namespaceScopedAccess;
                current.projectScopedAccess = spec.projectScopedAccess;
              },
              { bumpVersion: false },
            ),
        };
      });
      return respond(UpdateServiceAccountResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "DELETE",
    path: "/cloud/service-accounts/{serviceAccountId}",
    name: "DeleteServiceAccount",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, DeleteServiceAccountRequestSchema);
      const record = ctx.operations.submit("DeleteServiceAccount", DeleteServiceAccountRequestSchema, request, () => {
        const id = request.serviceAccountId;
        const serviceAccount = found(store.serviceAccounts.get(id), "service account", id);
        requireServiceAccountManager(store, caller, serviceAccount.spec ?? create(ServiceAccountSpecSchema));
        requireVersion(serviceAccount, request.resourceVersion);
        return {
          target: { kind: "serviceAccount", id, state: ResourceState.DELETING },
          // Deleting a service account deletes its API keys (docs/temporal-cloud-api.md, "Service accounts").
          apply: () => store.deleteServiceAccount(id),
        };
      });
      return respond(DeleteServiceAccountResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "POST",
    path: "/cloud/namespaces/{namespace}/service-accounts/{serviceAccountId}/access",
    name: "SetServiceAccountNamespaceAccess",
    handle(ctx) {
      const request = parse(ctx, SetServiceAccountNamespaceAccessRequestSchema);
      const record = submitNamespaceAccess(
        ctx,
        "SetServiceAccountNamespaceAccess",
        SetServiceAccountNamespaceAccessRequestSchema,
        request,
        "serviceAccount",
        request.serviceAccountId,
      );
      return respond(SetServiceAccountNamespaceAccessResponseSchema, { asyncOperation: record.operation });
    },
  },
];
