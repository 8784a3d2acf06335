import { create } from "@bufbuild/protobuf";
import {
  GetNamespaceRequestSchema,
  GetNamespaceResponseSchema,
  GetNamespacesRequestSchema,
  GetNamespacesResponseSchema,
  GetServiceAccountNamespaceAssignmentsRequestSchema,
  GetServiceAccountNamespaceAssignmentsResponseSchema,
  GetUserGroupNamespaceAssignmentsRequestSchema,
  GetUserGroupNamespaceAssignmentsResponseSchema,
  GetUserNamespaceAssignmentsRequestSchema,
  GetUserNamespaceAssignmentsResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import {
  NamespaceAccess_Permission,
  NamespaceAccessSchema,
  ServiceAccountNamespaceAssignmentSchema,
  UserGroupNamespaceAssignmentSchema,
  UserNamespaceAssignmentSchema,
  type Access,
  type NamespaceAccess,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { isAdminRole, roleOf } from "./access-policy.js";
import { keyedPage, pageById } from "./page-token.js";
import { found, parse, respond, type Route } from "./route.js";

const NAMESPACES_TAG = "namespaces";
const ADMIN = create(NamespaceAccessSchema, { permission: NamespaceAccess_Permission.ADMIN });

/**
 * namespaceAccessOf returns how a principal with `access` reaches `namespace`: through an
 * OWNER/ADMIN account role (inherited, PERMISSION_ADMIN), through an explicit entry, or not.
 * Access through a user's groups is not considered ((uncertain) docs/temporal-cloud-api.md, "Namespace access and inherited access": the proto ties
 * inheritedAccess to account roles only).
 */
function namespaceAccessOf(
  access: Access | undefined,
  namespace: string,
): { namespaceAccess: NamespaceAccess; inheritedAccess: boolean } | undefined {
  if (isAdminRole(roleOf(access))) return { namespaceAccess: ADMIN, inheritedAccess: true };
  const explicit = access?.namespaceAccesses[namespace];
  return explicit === undefined ? undefined : { namespaceAccess: explicit, inheritedAccess: false };
}

/**
 * namespaceRoutes are the namespace reads and the three namespace-assignment lists. Rows
 * carry the principal's current resourceVersion so a client can call Set*NamespaceAccess
 * straight from a row; lists are ordered by principal id ((uncertain) docs/temporal-cloud-api.md, "Pagination").
 */
export const namespaceRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/namespaces",
    name: "GetNamespaces",
    cacheable: true,
    handle(ctx) {
      const request = parse(ctx, GetNamespacesRequestSchema);
      // The project filter is a v0.18.0 field: an older request cannot carry it.
      const projectId = ctx.projects ? request.projectId : "";
      const page = keyedPage(ctx.store.namespaces, NAMESPACES_TAG, request, (ns) =>
        (request.name === "" || ns.spec?.name === request.name) && (projectId === "" || ns.projectId === projectId) ? ns : undefined,
      );
      return respond(GetNamespacesResponseSchema, {
        namespaces: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/namespaces/{namespace}",
    name: "GetNamespace",
    handle(ctx) {
      const request = parse(ctx, GetNamespaceRequestSchema);
      return respond(GetNamespaceResponseSchema, {
        namespace: found(ctx.store.namespaces.get(request.namespace), "namespace", request.namespace),
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/namespaces/{namespace}/user-assignments",
    name: "GetUserNamespaceAssignments",
    handle(ctx) {
      const request = parse(ctx, GetUserNamespaceAssignmentsRequestSchema);
      const namespace = found(ctx.store.namespaces.get(request.namespace), "namespace", request.namespace).namespace;
      const tag = `user-assignments:${namespace}`;
      const page = keyedPage(ctx.store.users, tag, request, (user) => {
        const access = namespaceAccessOf(user.spec?.access, namespace);
        if (access === undefined) return undefined;
        return create(UserNamespaceAssignmentSchema, {
          id: user.id,
          email: user.spec?.email ?? "",
          resourceVersion: user.resourceVersion,
          ...access,
        });
      });
      return respond(GetUserNamespaceAssignmentsResponseSchema, {
        users: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/namespaces/{namespace}/service-account-assignments",
    name: "GetServiceAccountNamespaceAssignments",
    handle(ctx) {
      const request = parse(ctx, GetServiceAccountNamespaceAssignmentsRequestSchema);
      const namespace = found(ctx.store.namespaces.get(request.namespace), "namespace", request.namespace).namespace;
      const tag = `service-account-assignments:${namespace}`;
      const page = keyedPage(ctx.store.serviceAccounts, tag, request, (sa) => {
        const scoped = sa.spec?.namespaceScopedAccess;
        const project = sa.spec?.projectScopedAccess;
        const projectAccess = ctx.projects ? project?.namespaceAccesses[namespace] : undefined;
        const access =
          scoped !== undefined
            ? scoped.namespace === namespace && scoped.access !== undefined
              ? { namespaceAccess: scoped.access, inheritedAccess: false }
              : undefined
            : project !== undefined
              ? projectAccess && { namespaceAccess: projectAccess, inheritedAccess: false }
              : namespaceAccessOf(sa.spec?.access, namespace);
        if (access === undefined) return undefined;
        return create(ServiceAccountNamespaceAssignmentSchema, {
          id: sa.id,
          name: sa.spec?.name ?? "",
          resourceVersion: sa.resourceVersion,
          ...access,
        });
      });
      return respond(GetServiceAccountNamespaceAssignmentsResponseSchema, {
        serviceAccounts: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/namespaces/{namespace}/user-group-assignments",
    name: "GetUserGroupNamespaceAssignments",
    handle(ctx) {
      const request = parse(ctx, GetUserGroupNamespaceAssignmentsRequestSchema);
      const namespace = found(ctx.store.namespaces.get(request.namespace), "namespace", request.namespace).namespace;
      const tag = `user-group-assignments:${namespace}`;
      const withAccess = Array.from(ctx.store.userGroups.values()).filter((g) => namespaceAccessOf(g.spec?.access, namespace) !== undefined);
      const page = pageById(withAccess, tag, request);
      return respond(GetUserGroupNamespaceAssignmentsResponseSchema, {
        groups: page.rows.map((group) =>
          create(UserGroupNamespaceAssignmentSchema, {
            id: group.id,
            displayName: group.spec?.displayName ?? "",
            resourceVersion: group.resourceVersion,
            ...namespaceAccessOf(group.spec?.access, namespace),
          }),
        ),
        nextPageToken: page.nextPageToken,
      });
    },
  },
];
