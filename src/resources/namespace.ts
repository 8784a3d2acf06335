import { v1Identifier } from "../connector/annotations.js";
import { Code, ConnectorError, failedPrecondition, invalidArgument } from "../connector/errors.js";
import { type Entitlement, type Grant, type Resource } from "../connector/c1.js";
import { entitlementId, grantId, newEntitlement, newResource, resourceId, slugOf } from "../connector/ids.js";
import type { Cursor } from "../connector/page-token.js";
import { lazily, type CallContext, type ListPage, type ResourceSyncer } from "../connector/resource-syncer.js";
import type { Namespace } from "../gen/temporal/api/cloud/namespace/v1/message_pb.js";
import { accessGrant } from "./access-grant.js";
import { accessIndex, buildAccessIndexAhead, groupedRowsPage, rowsPage, type NamespaceRow } from "./access-index.js";
import { ASSIGNMENT_PHASES, assignmentCursor, nextAssignmentCursor } from "./assignment-phases.js";
import { iso, orUndefinedIfMissing, profile, resourceStatus, stateName, pageOf } from "./common.js";
import { ACCOUNT_ROLE, GROUP, NAMESPACE, PRINCIPAL_TYPES, SERVICE_ACCOUNT, USER, type PrincipalTypeId } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";
import { refuseImmutable } from "./immutable.js";
import { namespacePermission, readPrincipal, roleName, roleOfPrincipal, writeNamespaceAccess, type Principal } from "./principals.js";
import { readModifyWrite } from "./read-modify-write.js";
import { accountRoleId, hasAdminEverywhere, PERMISSIONS, permissionOf, permissionSlug, type PermissionSlug } from "./temporal-access.js";

/**
 * namespaceResource converts a Temporal namespace into a `namespace` resource; with `projects`
 * (API v0.18.0 and later) its profile names the project it belongs to.
 */
export function namespaceResource(ns: Namespace, projects = false): Resource {
  return newResource(NAMESPACE, ns.namespace, {
    displayName: ns.namespace,
    profile: profile({
      namespace: ns.namespace,
      name: ns.spec?.name,
      project_id: projects ? ns.projectId : undefined,
      active_region: ns.activeRegion,
      regions: ns.replicas.map((r) => r.region).join(","),
      web_address: ns.endpoints?.webAddress,
      grpc_address: ns.endpoints?.grpcAddress,
      state: stateName(ns.state),
      last_modified_at: iso(ns.lastModifiedTime),
    }),
    status: resourceStatus(ns.state),
    createdAt: ns.createdTime,
    annotations: [v1Identifier(`namespace:${ns.namespace}`)],
  });
}

/** INHERITED_REASON: owners' and admins' admin on every namespace comes with their role. */
const INHERITED_REASON = "owners and admins are namespace admins on every namespace through their account role";

/** NAMESPACE_SCOPED_REASON: a namespace-scoped service account's permission comes with its scope. */
const NAMESPACE_SCOPED_REASON = "a namespace-scoped service account always has a permission on its own namespace; grant another level or delete the service account";

/** createNamespaceSyncer builds the `namespace` resource type. */
export function createNamespaceSyncer(account: TemporalAccount): ResourceSyncer {
  const toGrants = (ns: string, rows: readonly NamespaceRow[]): Grant[] => rows.map((row) => namespaceGrant(ns, row));

  async function grantsFromIndex(ctx: CallContext, ns: string, cursor: Cursor | undefined): Promise<ListPage<Grant>> {
    const index = await accessIndex(account.snapshot(ctx), await account.accountId(), ctx.signal);
    const { rows, next } = rowsPage(index.namespace(ns), cursor);
    return { items: toGrants(ns, rows), next };
  }

  async function grantsFromAssignments(ctx: CallContext, ns: string, cursor: Cursor | undefined): Promise<ListPage<Grant>> {
    const { phase, token } = assignmentCursor(cursor);
    const page = { pageToken: token || undefined };
    const opts = { signal: ctx.signal };
    let rows: NamespaceRow[] = [];
    let nextToken = "";
    switch (ASSIGNMENT_PHASES[phase]) {
      case "users": {
        const res = await account.client.listUserNamespaceAssignments(ns, page, opts);
        rows = res.items.flatMap((a) => row(USER.id, a.id, a.inheritedAccess, a.namespaceAccess?.permission));
        nextToken = res.nextPageToken;
        break;
      }
      case "service-accounts": {
        const res = await account.client.listServiceAccountNamespaceAssignments(ns, page, opts);
        // Assignment rows do not say whether a service account is namespace-scoped; the list does.
        const scoped = res.items.length === 0 ? new Set<string>() : await namespaceScopedIds(ctx);
        rows = res.items.flatMap((a) =>
          row(SERVICE_ACCOUNT.id, a.id, a.inheritedAccess, a.namespaceAccess?.permission).map((r) => (scoped.has(a.id) ? { ...r, namespaceScoped: true } : r)),
        );
        nextToken = res.nextPageToken;
        break;
      }
      case "groups": {
        const res = await account.client.listUserGroupNamespaceAssignments(ns, page, opts);
        rows = res.items.flatMap((a) => row(GROUP.id, a.id, a.inheritedAccess, a.namespaceAccess?.permission));
        nextToken = res.nextPageToken;
        break;
      }
      case "inherited": {
        const accountId = await account.accountId();
        rows = (["owner", "admin"] as const).map((slug) => ({ principalType: ACCOUNT_ROLE.id, principalId: accountRoleId(accountId, slug), permission: "admin" }));
        break;
      }
    }
    const next = nextAssignmentCursor(phase, nextToken);
    return { items: toGrants(ns, rows), next };
  }

  async function namespaceScopedIds(ctx: CallContext): Promise<Set<string>> {
    const all = await account.snapshot(ctx).serviceAccounts.all(ctx.signal);
    return new Set(all.filter((sa) => sa.spec?.namespaceScopedAccess).map((sa) => sa.id));
  }

  return {
    resourceType: NAMESPACE,
    async list(ctx, parent, cursor) {
      if (parent) return { items: [] };
      if (ctx.syncId) buildAccessIndexAhead(account.snapshot(ctx), account.accountId());
      return pageOf(ctx, account.snapshot(ctx).namespaces, cursor, (ns) => namespaceResource(ns, account.projects));
    },
    async get(ctx, id) {
      const ns = await orUndefinedIfMissing(account.client.getNamespace(id.resource, { signal: ctx.signal }));
      return ns && namespaceResource(ns, account.projects);
    },
    async entitlements(_ctx, resource) {
      return { items: namespaceEntitlements(resource) };
    },
    async typeEntitlements(ctx, cursor) {
      return pageOf(ctx, account.snapshot(ctx).namespaces, cursor, (ns) => namespaceEntitlements(namespaceResource(ns, account.projects)));
    },
    async grants(ctx, resource, cursor) {
      const ns = resource.id!.resource;
      return ctx.syncId ? grantsFromIndex(ctx, ns, cursor) : grantsFromAssignments(ctx, ns, cursor);
    },
    async typeGrants(ctx, cursor) {
      const snapshot = account.snapshot(ctx);
      const [index, namespaces] = await Promise.all([accessIndex(snapshot, await account.accountId(), ctx.signal), snapshot.namespaces.all(ctx.signal)]);
      const { items, next } = groupedRowsPage(namespaces.map((ns) => ns.namespace), (ns) => index.namespace(ns), cursor);
      return { items: lazily(items, ({ key, row }) => namespaceGrant(key, row)), next };
    },

    async grant(ctx, principal, entitlement) {
      const ns = entitlement.resource!.id!.resource;
      const slug = permissionSlugOf(entitlement);
      const desired = permissionOf(slug)!;
      const what = `namespace permission ${entitlement.id}`;
      const outcome = await readModifyWrite<Principal, { principal: Principal; alreadyExists?: boolean; replaced?: PermissionSlug }>(ctx, account, {
        describe: `grant ${what}`,
        read: async () => {
          const p = await readPrincipal(ctx, account, principal.id!, "namespace permissions");
          if (!p) throw new ConnectorError(Code.NotFound, `${principal.id!.resourceType} ${principal.id!.resource} not found`);
          return p;
        },
        version: (p) => p.version,
        plan(p) {
          refuseAdminEverywhere(p, ns);
          if (p.type === SERVICE_ACCOUNT.id && p.scopedNamespace && p.scopedNamespace !== ns) {
            throw failedPrecondition(`${p.label} is scoped to namespace ${p.scopedNamespace}; only its permission on ${p.scopedNamespace} can change`);
          }
          const current = namespacePermission(p, ns);
          if (current === desired) return { result: { principal: p, alreadyExists: true } };
          const replaced = current === undefined ? undefined : permissionSlug(current);
          return { write: writeNamespaceAccess(account, p, ns, desired), result: { principal: p, replaced } };
        },
      });
      const p = outcome.principal;
      const grant = namespaceGrant(ns, { principalType: p.type, principalId: p.id, permission: slug, namespaceScoped: p.type === SERVICE_ACCOUNT.id && p.scopedNamespace !== undefined });
      return {
        grants: [grant],
        alreadyExists: outcome.alreadyExists,
        replacedGrantId: outcome.replaced && grantId(entitlementId(resourceId(NAMESPACE.id, ns), outcome.replaced), resourceId(p.type, p.id)),
        requestId: outcome.requestId,
      };
    },

    async revoke(ctx, grant) {
      const ns = grant.entitlement!.resource!.id!.resource;
      const slug = permissionSlugOf(grant.entitlement!);
      const principalId = grant.principal!.id!;
      refuseImmutable(grant);
      if (principalId.resourceType === ACCOUNT_ROLE.id) throw failedPrecondition(`${INHERITED_REASON}: change the principal's account role instead`);
      return readModifyWrite<Principal | undefined, { alreadyRevoked: boolean }>(ctx, account, {
        describe: `revoke namespace permission ${grant.entitlement!.id} from ${principalId.resourceType} ${principalId.resource}`,
        read: () => readPrincipal(ctx, account, principalId, "namespace permissions"),
        version: (p) => p?.version ?? "",
        plan(p) {
          // Revoking what is not held (another level, or nothing) changes nothing.
          if (!p || namespacePermission(p, ns) !== permissionOf(slug)) {
            if (p && slug === "admin" && hasAdminEverywhere(roleOfPrincipal(p))) {
              throw failedPrecondition(`${p.label} is admin on every namespace through its ${roleName(roleOfPrincipal(p))} role; change its account role instead`);
            }
            return { result: { alreadyRevoked: true } };
          }
          if (p.type === SERVICE_ACCOUNT.id && p.scopedNamespace) throw failedPrecondition(`${p.label}: ${NAMESPACE_SCOPED_REASON}`);
          return { write: writeNamespaceAccess(account, p, ns, undefined), result: { alreadyRevoked: false } };
        },
      });
    },
  };
}

/** namespaceEntitlements are the admin, write and read permissions of a namespace (docs/compatibility.md, "Entitlements"). */
export function namespaceEntitlements(resource: Resource): Entitlement[] {
  const ns = resource.id!.resource;
  return PERMISSIONS.map((p) =>
    newEntitlement(resource, p.slug, {
      displayName: `Namespace ${ns} ${p.displayName}`,
      description: `Access to ${ns} namespace in Temporal Cloud`,
      purpose: "permission",
      grantableTo: [...PRINCIPAL_TYPES],
      annotations: [v1Identifier(entitlementId(resource.id!, p.slug))],
    }),
  );
}

/** namespaceGrant builds the grant of a namespace permission, as a sync would list it. */
function namespaceGrant(ns: string, row: NamespaceRow): Grant {
  return accessGrant(resourceId(NAMESPACE.id, ns), row.permission, row, {
    immutable: row.principalType === ACCOUNT_ROLE.id ? INHERITED_REASON : row.namespaceScoped ? NAMESPACE_SCOPED_REASON : undefined,
    v1Id: (userId) => `grant:namespace:${ns}:${row.permission}:${userId}`,
  });
}

function permissionSlugOf(entitlement: Entitlement): PermissionSlug {
  const slug = slugOf(entitlement);
  if (!permissionOf(slug)) throw invalidArgument(`entitlement ${entitlement.id}: unknown namespace permission "${slug}"; expected admin, write or read`);
  return slug as PermissionSlug;
}

/** refuseAdminEverywhere: owners and admins already administer every namespace (and Temporal refuses explicit grants). */
function refuseAdminEverywhere(p: Principal, ns: string): void {
  const role = roleOfPrincipal(p);
  if (hasAdminEverywhere(role)) {
    throw failedPrecondition(`${p.label} has the ${roleName(role)} role, which already includes admin on every namespace (${ns} included); explicit namespace permissions are not allowed for it`);
  }
}

/** row makes the access row of an assignment; rows inherited from an account role are left out. */
function row(principalType: PrincipalTypeId, principalId: string, inherited: boolean, permission: number | undefined): NamespaceRow[] {
  const slug = permission === undefined ? undefined : permissionSlug(permission);
  return inherited || !slug ? [] : [{ principalType, principalId, permission: slug }];
}

