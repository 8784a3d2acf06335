import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  GetProjectRequestSchema,
  GetProjectResponseSchema,
  GetProjectScopedServiceAccountsRequestSchema,
  GetProjectScopedServiceAccountsResponseSchema,
  GetProjectsRequestSchema,
  GetProjectsResponseSchema,
  GetServiceAccountProjectAssignmentsRequestSchema,
  GetServiceAccountProjectAssignmentsResponseSchema,
  GetUserGroupProjectAssignmentsRequestSchema,
  GetUserGroupProjectAssignmentsResponseSchema,
  GetUserProjectAssignmentsRequestSchema,
  GetUserProjectAssignmentsResponseSchema,
  SetServiceAccountProjectAccessRequestSchema,
  SetServiceAccountProjectAccessResponseSchema,
  SetUserGroupProjectAccessRequestSchema,
  SetUserGroupProjectAccessResponseSchema,
  SetUserProjectAccessRequestSchema,
  SetUserProjectAccessResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import {
  AccountAccess_Role,
  ProjectAccess_ProjectRole,
  ProjectAccessSchema,
  ServiceAccountProjectAssignmentSchema,
  UserGroupProjectAssignmentSchema,
  UserProjectAssignmentSchema,
  type Access,
  type ProjectAccess,
  type ServiceAccountSpec,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { projectRoleOf, requireProjectAdmin, roleOf, validateProjectRole } from "./access-policy.js";
import { invalidArgument } from "./api-error.js";
import type { OperationRecord } from "./async-operations.js";
import { keyedPage, pageById } from "./page-token.js";
import { found, nothingToChange, parse, requireVersion, respond, type Route, type RouteContext } from "./route.js";
import type { PrincipalKind } from "./simulator-store.js";

const PROJECTS_TAG = "projects";
const DEVELOPER = create(ProjectAccessSchema, { role: ProjectAccess_ProjectRole.DEVELOPER });

/**
 * projectAccessOf returns how a principal with `access` reaches a project: explicitly, or,
 * holding the Account Developer role, through the Developer project role it inherits on every
 * project ("inherited from the account developer role", the API's words). Owners and admins are
 * not listed as inherited: whether the API does so is (unknown), docs/temporal-cloud-api.md, "Projects".
 */
function projectAccessOf(access: Access | undefined, projectId: string): { projectAccess: ProjectAccess; inheritedAccess: boolean } | undefined {
  const explicit = access?.projectAccesses[projectId];
  if (explicit !== undefined && projectRoleOf(explicit) !== ProjectAccess_ProjectRole.UNSPECIFIED) return { projectAccess: explicit, inheritedAccess: false };
  return roleOf(access) === AccountAccess_Role.DEVELOPER ? { projectAccess: DEVELOPER, inheritedAccess: true } : undefined;
}

/** serviceAccountProjectAccess is a service account's access to a project: its scope's, or its own. */
function serviceAccountProjectAccess(spec: ServiceAccountSpec | undefined, projectId: string): ReturnType<typeof projectAccessOf> {
  const scoped = spec?.projectScopedAccess;
  if (scoped !== undefined) return scoped.projectId === projectId && scoped.access !== undefined ? { projectAccess: scoped.access, inheritedAccess: false } : undefined;
  return spec?.namespaceScopedAccess === undefined ? projectAccessOf(spec?.access, projectId) : undefined;
}

/** SetProjectAccessRequest is the shape shared by the three Set*ProjectAccess requests. */
interface SetProjectAccessRequest {
  projectId: string;
  access?: ProjectAccess | undefined;
  resourceVersion: string;
  asyncOperationId: string;
}

const principalNames: Record<PrincipalKind, string> = { user: "user", serviceAccount: "service account", userGroup: "user group" };

/**
 * submitProjectAccess runs a Set{User,ServiceAccount,UserGroup}ProjectAccess request: it changes
 * exactly one project access of the principal; an empty access removes it. Developer cannot be
 * assigned. A project-scoped service account can only change its role in its own project, never
 * lose it; a namespace-scoped one holds no project access ((inferred) from their scopes).
 */
function submitProjectAccess<Desc extends DescMessage>(
  ctx: RouteContext,
  route: string,
  schema: Desc,
  request: MessageShape<Desc> & SetProjectAccessRequest,
  kind: PrincipalKind,
  principalId: string,
): OperationRecord {
  const { store, caller } = ctx;
  return ctx.operations.submit(route, schema, request, () => {
    const projectId = found(store.projects.get(request.projectId), "project", request.projectId).id;
    const principal = found(store.resource(kind, principalId), principalNames[kind], principalId);
    requireProjectAdmin(store, caller, projectId, `setting access on project ${projectId}`);
    const role = projectRoleOf(request.access);
    if (role !== ProjectAccess_ProjectRole.UNSPECIFIED) validateProjectRole(role, "access");
    const spec = kind === "serviceAccount" ? (principal.spec as ServiceAccountSpec | undefined) : undefined;
    let current: ProjectAccess_ProjectRole;
    if (spec?.namespaceScopedAccess !== undefined) {
      throw invalidArgument(`service account ${principalId} is scoped to namespace ${spec.namespaceScopedAccess.namespace} and cannot hold project access`);
    } else if (spec?.projectScopedAccess !== undefined) {
      const scoped = spec.projectScopedAccess;
      if (scoped.projectId !== projectId) {
        throw invalidArgument(`service account ${principalId} is scoped to project ${scoped.projectId}; its access cannot be set on ${projectId}`);
      }
      if (role === ProjectAccess_ProjectRole.UNSPECIFIED) {
        throw invalidArgument(`the access of project-scoped service account ${principalId} cannot be removed; delete the service account instead`);
      }
      current = projectRoleOf(scoped.access);
    } else {
      current = projectRoleOf((principal.spec as { access?: Access } | undefined)?.access?.projectAccesses[projectId]);
    }
    requireVersion(principal, request.resourceVersion);
    if (current === role) throw nothingToChange();
    return {
      target: { kind, id: principalId, state: ResourceState.UPDATING },
      apply: () => store.setProjectAccess(kind, principalId, projectId, role, { bumpVersion: false }),
    };
  });
}

/** assignmentTag names a project's assignment list in its page tokens, so a token fits only its own list. */
function assignmentTag(list: string, projectId: string): string {
  return `${list}:${projectId}`;
}

/**
 * projectRoutes are the project methods of API v0.18.0: the project list (by ascending id,
 * optionally only some ids) and one project, setting a principal's project access, the three
 * assignment lists (principals with access, ordered by id like the namespace ones: (uncertain),
 * docs/temporal-cloud-api.md, "Pagination") and a project's project-scoped service accounts.
 * Every principal may read them ((uncertain) who may; the simulator does not restrict reads).
 */
export const projectRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/projects",
    name: "GetProjects",
    cacheable: true,
    handle(ctx) {
      const request = parse(ctx, GetProjectsRequestSchema);
      const only = request.projectIds.length > 0 ? new Set(request.projectIds) : undefined;
      const page = keyedPage(ctx.store.projects, PROJECTS_TAG, request, (p) => (only === undefined || only.has(p.id) ? p : undefined));
      return respond(GetProjectsResponseSchema, {
        projects: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/projects/{projectId}",
    name: "GetProject",
    handle(ctx) {
      const request = parse(ctx, GetProjectRequestSchema);
      return respond(GetProjectResponseSchema, { project: found(ctx.store.projects.get(request.projectId), "project", request.projectId) });
    },
  },
  {
    method: "POST",
    path: "/cloud/projects/{projectId}/users/{userId}/access",
    name: "SetUserProjectAccess",
    handle(ctx) {
      const request = parse(ctx, SetUserProjectAccessRequestSchema);
      const record = submitProjectAccess(ctx, "SetUserProjectAccess", SetUserProjectAccessRequestSchema, request, "user", request.userId);
      return respond(SetUserProjectAccessResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "POST",
    path: "/cloud/projects/{projectId}/user-groups/{groupId}/access",
    name: "SetUserGroupProjectAccess",
    handle(ctx) {
      const request = parse(ctx, SetUserGroupProjectAccessRequestSchema);
      const record = submitProjectAccess(ctx, "SetUserGroupProjectAccess", SetUserGroupProjectAccessRequestSchema, request, "userGroup", request.groupId);
      return respond(SetUserGroupProjectAccessResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "POST",
    path: "/cloud/projects/{projectId}/service-accounts/{serviceAccountId}/access",
    name: "SetServiceAccountProjectAccess",
    handle(ctx) {
      const request = parse(ctx, SetServiceAccountProjectAccessRequestSchema);
      const record = submitProjectAccess(ctx, "SetServiceAccountProjectAccess", SetServiceAccountProjectAccessRequestSchema, request, "serviceAccount", request.serviceAccountId);
      return respond(SetServiceAccountProjectAccessResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "GET",
    path: "/cloud/projects/{projectId}/user-assignments",
    name: "GetUserProjectAssignments",
    handle(ctx) {
      const request = parse(ctx, GetUserProjectAssignmentsRequestSchema);
      const projectId = found(ctx.store.projects.get(request.projectId), "project", request.projectId).id;
      const tag = assignmentTag("user-assignments", projectId);
      const page = keyedPage(ctx.store.users, tag, request, (user) => {
        const access = projectAccessOf(user.spec?.access, projectId);
        return access && create(UserProjectAssignmentSchema, { id: user.id, email: user.spec?.email ?? "", resourceVersion: user.resourceVersion, ...access });
      });
      return respond(GetUserProjectAssignmentsResponseSchema, { users: page.rows, nextPageToken: page.nextPageToken });
    },
  },
  {
    method: "GET",
    path: "/cloud/projects/{projectId}/service-account-assignments",
    name: "GetServiceAccountProjectAssignments",
    handle(ctx) {
      const request = parse(ctx, GetServiceAccountProjectAssignmentsRequestSchema);
      const projectId = found(ctx.store.projects.get(request.projectId), "project", request.projectId).id;
      const tag = assignmentTag("service-account-assignments", projectId);
      const page = keyedPage(ctx.store.serviceAccounts, tag, request, (sa) => {
        const access = serviceAccountProjectAccess(sa.spec, projectId);
        return access && create(ServiceAccountProjectAssignmentSchema, { id: sa.id, name: sa.spec?.name ?? "", resourceVersion: sa.resourceVersion, ...access });
      });
      return respond(GetServiceAccountProjectAssignmentsResponseSchema, { serviceAccounts: page.rows, nextPageToken: page.nextPageToken });
    },
  },
  {
    method: "GET",
    path: "/cloud/projects/{projectId}/user-group-assignments",
    name: "GetUserGroupProjectAssignments",
    handle(ctx) {
      const request = parse(ctx, GetUserGroupProjectAssignmentsRequestSchema);
      const projectId = found(ctx.store.projects.get(request.projectId), "project", request.projectId).id;
      const tag = assignmentTag("user-group-assignments", projectId);
      const rows = Array.from(ctx.store.userGroups.values()).flatMap((group) => {
        const access = projectAccessOf(group.spec?.access, projectId);
        return access ? [create(UserGroupProjectAssignmentSchema, { id: group.id, displayName: group.spec?.displayName ?? "", resourceVersion: group.resourceVersion, ...access })] : [];
      });
      const page = pageById(rows, tag, request);
      return respond(GetUserGroupProjectAssignmentsResponseSchema, { groups: page.rows, nextPageToken: page.nextPageToken });
    },
  },
  {
    method: "GET",
    path: "/cloud/projects/{projectId}/service-accounts",
    name: "GetProjectScopedServiceAccounts",
    handle(ctx) {
      const request = parse(ctx, GetProjectScopedServiceAccountsRequestSchema);
      const projectId = found(ctx.store.projects.get(request.projectId), "project", request.projectId).id;
      const tag = assignmentTag("project-service-accounts", projectId);
      const page = keyedPage(ctx.store.serviceAccounts, tag, request, (sa) =>
        sa.spec?.projectScopedAccess?.projectId === projectId ? sa : undefined,
      );
      return respond(GetProjectScopedServiceAccountsResponseSchema, { serviceAccounts: page.rows, nextPageToken: page.nextPageToken });
    },
  },
];
