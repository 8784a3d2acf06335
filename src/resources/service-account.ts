import { annotation } from "../connector/annotations.js";
import { UserTraitSchema, UserTrait_AccountType, type Resource } from "../connector/c1.js";
import { newResource } from "../connector/ids.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import type { ServiceAccount } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { clipToBytes, iso, orUndefinedIfMissing, profile, resourceStatus, stateName, pageOf } from "./common.js";
import { SERVICE_ACCOUNT } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";
import { permissionSlug, projectRoleInfo, roleSlug } from "./temporal-access.js";

/** serviceAccountResource converts a Temporal service account into a `service-account` resource. */
export function serviceAccountResource(sa: ServiceAccount): Resource {
  const spec = sa.spec;
  const scoped = spec?.namespaceScopedAccess;
  const project = spec?.projectScopedAccess;
  const status = resourceStatus(sa.state);
  const details = profile({
    service_account_id: sa.id,
    name: spec?.name,
    scope: scoped ? "namespace" : project ? "project" : "account",
    namespace: scoped?.namespace,
    namespace_permission: scoped?.access ? permissionSlug(scoped.access.permission) : undefined,
    project_id: project?.projectId,
    project_role: project?.access ? projectRoleInfo(project.access.role)?.slug : undefined,
    // Namespace-scoped service accounts always have the Read account role.
    account_role: scoped ? "read" : spec?.access?.accountAccess ? roleSlug(spec.access.accountAccess.role) : undefined,
    custom_roles: clipToBytes(spec?.access?.accountAccess?.customRoles.join(",") ?? "", 4096),
    state: stateName(sa.state),
    last_modified_at: iso(sa.lastModifiedTime),
  });
  return newResource(SERVICE_ACCOUNT, sa.id, {
    // docs/compatibility.md, "Resource types": the name, or the id when the name is empty.
    displayName: spec?.name || sa.id,
    description: clipToBytes(spec?.description ?? "", 2048),
    profile: details,
    status,
    createdAt: sa.createdTime,
    annotations: [
      annotation(UserTraitSchema, {
        login: spec?.name ?? "",
        accountType: UserTrait_AccountType.SERVICE,
        // Deprecated trait fields for the v0.7 baton CLI (see user.ts).
        status: { status: status.status as number, details: status.details },
        profile: { service_account_id: sa.id, name: spec?.name ?? "" },
        createdAt: sa.createdTime,
      }),
    ],
  });
}

/** createServiceAccountSyncer builds the `service-account` resource type. */
export function createServiceAccountSyncer(account: TemporalAccount): ResourceSyncer {
  return {
    resourceType: SERVICE_ACCOUNT,
    async list(ctx, parent, cursor) {
      if (parent) return { items: [] };
      return pageOf(ctx, account.snapshot(ctx).serviceAccounts, cursor, serviceAccountResource);
    },
    async get(ctx, id) {
      const sa = await orUndefinedIfMissing(account.client.getServiceAccount(id.resource, { signal: ctx.signal }));
      return sa && serviceAccountResource(sa);
    },
  };
}
