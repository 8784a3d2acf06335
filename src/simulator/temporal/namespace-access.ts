import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  NamespaceAccess_Permission,
  type NamespaceAccess,
  type ServiceAccountSpec,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import {
  isAdminRole,
  permissionOf,
  requireNamespaceAdmin,
  requireNamespaceOfProject,
  roleName,
  roleOf,
  validatePermission,
} from "./access-policy.js";
import { invalidArgument, notFound } from "./api-error.js";
import type { OperationRecord } from "./async-operations.js";
import { found, nothingToChange, requireVersion, type RouteContext } from "./route.js";
import type { PrincipalKind } from "./simulator-store.js";

/** SetNamespaceAccessRequest is the shape shared by the three Set*NamespaceAccess requests. */
export interface SetNamespaceAccessRequest {
  namespace: string;
  access?: NamespaceAccess | undefined;
  resourceVersion: string;
  asyncOperationId: string;
}

const principalNames: Record<PrincipalKind, string> = {
  user: "user",
  serviceAccount: "service account",
  userGroup: "user group",
};

/**
 * submitNamespaceAccess runs a Set{User,ServiceAccount,UserGroup}NamespaceAccess request: it
 * changes exactly one namespace access of the principal; an empty access or
 * PERMISSION_UNSPECIFIED removes it. A namespace-scoped service account can only change the
 * permission on its own namespace. Principals whose account role is OWNER or ADMIN are refused
 * because that role already grants Namespace Admin everywhere (docs/temporal-cloud-api.md, "Namespace access and inherited access").
 */
export function submitNamespaceAccess<Desc extends DescMessage>(
  ctx: RouteContext,
  route: string,
  schema: Desc,
  request: MessageShape<Desc> & SetNamespaceAccessRequest,
  kind: PrincipalKind,
  principalId: string,
): OperationRecord {
  const { store, caller } = ctx;
  return ctx.operations.submit(route, schema, request, () => {
    const namespace = found(store.namespaces.get(request.namespace), "namespace", request.namespace).namespace;
    const principal = found(store.resource(kind, principalId), principalNames[kind], principalId);
    requireNamespaceAdmin(store, caller, namespace, `setting access on ${namespace}`);
    const permission = permissionOf(request.access);
    validatePermission(permission, "access");
    const spec = principal.spec;
    const scoped = kind === "serviceAccount" ? (spec as ServiceAccountSpec | undefined)?.namespaceScopedAccess : undefined;
    const project = kind === "serviceAccount" ? (spec as ServiceAccountSpec | undefined)?.projectScopedAccess : undefined;
    let current: NamespaceAccess_Permission;
    if (project !== undefined) {
      // A project-scoped service account holds permissions on its project's namespaces only (inferred).
      if (!ctx.projects) throw notFound(`service account not found: ${principalId}`);
      requireNamespaceOfProject(store, namespace, project.projectId);
      current = permissionOf(project.namespaceAccesses[namespace]);
    } else if (scoped !== undefined) {
      if (scoped.namespace !== namespace) {
        throw invalidArgument(
          `service account ${principalId} is scoped to namespace ${scoped.namespace}; its access cannot be set on ${namespace}`,
        );
      }
      if (permission === NamespaceAccess_Permission.UNSPECIFIED) {
        // A scoped account without its one permission would be meaningless; delete it instead.
        throw invalidArgument(
          `the access of namespace-scoped service account ${principalId} cannot be removed; delete the service account instead`,
        );
      }
      current = permissionOf(scoped.access);
    } else {
      const access = spec?.access;
      const role = roleOf(access);
      if (isAdminRole(role)) {
        throw invalidArgument(
          `${principalNames[kind]} ${principalId} has the account role ${roleName(role)}, which already grants ` +
            "admin access to every namespace; its namespace access cannot be set",
        );
      }
      current = permissionOf(access?.namespaceAccesses[namespace]);
    }
    requireVersion(principal, request.resourceVersion);
    if (current === permission) throw nothingToChange();
    return {
      target: { kind, id: principalId, state: ResourceState.UPDATING },
      apply: () => store.setNamespaceAccess(kind, principalId, namespace, permission, { bumpVersion: false }),
    };
  });
}
