import { annotation } from "../connector/annotations.js";
import { EntitlementImmutableSchema, type Entitlement, type Grant, type Resource } from "../connector/c1.js";
import { Code, ConnectorError, failedPrecondition, invalidArgument } from "../connector/errors.js";
import { entitlementId, grantId, newEntitlement, newResource, resourceId, slugOf } from "../connector/ids.js";
import type { Cursor } from "../connector/page-token.js";
import { lazily, type CallContext, type ListPage, type ResourceSyncer } from "../connector/resource-syncer.js";
import type { Project } from "../gen/temporal/api/cloud/project/v1/message_pb.js";
import type { AccountSnapshot, ListSource } from "../temporal/account-snapshot.js";
import { accessGrant } from "./access-grant.js";
import { accessIndex, buildAccessIndexAhead, groupedRowsPage, rowsPage, type ProjectRow } from "./access-index.js";
import { ASSIGNMENT_PHASES, assignmentCursor, nextAssignmentCursor } from "./assignment-phases.js";
import { clipToBytes, iso, orUndefinedIfMissing, pageOf, profile, resourceStatus, stateName } from "./common.js";
import { refuseImmutable } from "./immutable.js";
import { projectRoleOf, readPrincipal, writeProjectAccess, type Principal } from "./principals.js";
import { readModifyWrite } from "./read-modify-write.js";
import { ACCOUNT_ROLE, GROUP, PRINCIPAL_TYPES, PROJECT, SERVICE_ACCOUNT, USER, type PrincipalTypeId } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";
import { accountRoleId, PROJECT_ROLES, projectRoleInfo, type ProjectRoleInfo, type ProjectRoleSlug } from "./temporal-access.js";

/** projectResource converts a Temporal project into a `project` resource. */
export function projectResource(project: Project): Resource {
  const spec = project.spec;
  return newResource(PROJECT, project.id, {
    displayName: spec?.displayName || project.id,
    description: clipToBytes(spec?.description ?? "", 2048),
    profile: profile({
      project_id: project.id,
      name: spec?.displayName,
      delete_protection: spec?.lifecycle?.enableDeleteProtection ?? false,
      state: stateName(project.state),
      last_modified_at: iso(project.lastModifiedTime),
    }),
    status: resourceStatus(project.state),
    createdAt: project.createdTime,
  });
}

/** DEVELOPER_REASON: the Developer project role comes with the Account Developer role. */
const DEVELOPER_REASON = "the Developer project role comes with the Account Developer role on every project";

/** PROJECT_SCOPED_REASON: a project-scoped service account's role comes with its scope. */
const PROJECT_SCOPED_REASON = "a project-scoped service account always has a role in its own project; grant another role or delete the service account";

/** projectList is the snapshot's project list (read once per sync, like every list). */
export function projectList(account: TemporalAccount, snapshot: AccountSnapshot): ListSource<Project> {
  return snapshot.list("projects", account.client.listProjects);
}

/** createProjectSyncer builds the `project` resource type (API v0.18.0 and later). */
export function createProjectSyncer(account: TemporalAccount): ResourceSyncer {
  /** developerRow is the Developer role the Account Developer role holds in every project. */
  const developerRow = (accountId: string): ProjectRow => ({ principalType: ACCOUNT_ROLE.id, principalId: accountRoleId(accountId, "developer"), role: "developer" });

  /**
   * rowsOf gives every role held in a project, in row order: the Account Developer role's
   * ("account-role" sorts before the principal types), then the principals'. Each project's
   * list is made once per snapshot, however many pages are read from it.
   */
  async function rowsOf(ctx: CallContext): Promise<(projectId: string) => readonly ProjectRow[]> {
    const snapshot = account.snapshot(ctx);
    const accountId = await account.accountId();
    return snapshot.derive(
      "project-rows",
      async (signal) => {
        const index = await accessIndex(snapshot, accountId, signal);
        const developer = developerRow(accountId);
        const made = new Map<string, readonly ProjectRow[]>();
        return (projectId: string) => {
          let rows = made.get(projectId);
          if (!rows) made.set(projectId, (rows = [developer, ...index.project(projectId)]));
          return rows;
        };
      },
      ctx.signal,
    );
  }

  async function grantsFromAssignments(ctx: CallContext, projectId: string, cursor: Cursor | undefined): Promise<ListPage<Grant>> {
    const { phase, token } = assignmentCursor(cursor);
    const page = { pageToken: token || undefined };
    const opts = { signal: ctx.signal };
    let rows: ProjectRow[] = [];
    let nextToken = "";
    switch (ASSIGNMENT_PHASES[phase]) {
      case "users": {
        const res = await account.client.listUserProjectAssignments(projectId, page, opts);
        rows = res.items.flatMap((a) => row(USER.id, a.id, a.inheritedAccess, a.projectAccess?.role));
        nextToken = res.nextPageToken;
        break;
      }
      case "service-accounts": {
        const res = await account.client.listServiceAccountProjectAssignments(projectId, page, opts);
        // Assignment rows do not say whether a service account is scoped to the project; the project's own list does.
        const scoped = res.items.length === 0 ? new Set<string>() : await projectScopedIds(ctx, projectId);
        rows = res.items.flatMap((a) => row(SERVICE_ACCOUNT.id, a.id, a.inheritedAccess, a.projectAccess?.role).map((r) => (scoped.has(a.id) ? { ...r, projectScoped: true } : r)));
        nextToken = res.nextPageToken;
        break;
      }
      case "groups": {
        const res = await account.client.listUserGroupProjectAssignments(projectId, page, opts);
        rows = res.items.flatMap((a) => row(GROUP.id, a.id, a.inheritedAccess, a.projectAccess?.role));
        nextToken = res.nextPageToken;
        break;
      }
      case "inherited":
        rows = [developerRow(await account.accountId())];
        break;
    }
    const next = nextAssignmentCursor(phase, nextToken);
    return { items: rows.map((r) => projectGrant(projectId, r)), next };
  }

  async function projectScopedIds(ctx: CallContext, projectId: string): Promise<Set<string>> {
    const ids = new Set<string>();
    let pageToken: string | undefined;
    do {
      const page = await account.client.listProjectScopedServiceAccounts(projectId, { pageToken }, { signal: ctx.signal });
      for (const sa of page.items) ids.add(sa.id);
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    return ids;
  }

  return {
    resourceType: PROJECT,
    async list(ctx, parent, cursor) {
      if (parent) return { items: [] };
      if (ctx.syncId) buildAccessIndexAhead(account.snapshot(ctx), account.accountId());
      return pageOf(ctx, projectList(account, account.snapshot(ctx)), cursor, projectResource);
    },
    async get(ctx, id) {
      const project = await orUndefinedIfMissing(account.client.getProject(id.resource, { signal: ctx.signal }));
      return project && projectResource(project);
    },
    async entitlements(_ctx, resource) {
      return { items: projectEntitlements(resource) };
    },
    async typeEntitlements(ctx, cursor) {
      return pageOf(ctx, projectList(account, account.snapshot(ctx)), cursor, (project) => projectEntitlements(projectResource(project)));
    },
    async grants(ctx, resource, cursor) {
      const projectId = resource.id!.resource;
      if (!ctx.syncId) return grantsFromAssignments(ctx, projectId, cursor);
      const { rows, next } = rowsPage((await rowsOf(ctx))(projectId), cursor);
      return { items: lazily(rows, (r) => projectGrant(projectId, r)), next };
    },
    async typeGrants(ctx, cursor) {
      const [held, all] = await Promise.all([rowsOf(ctx), projectList(account, account.snapshot(ctx)).all(ctx.signal)]);
      const { items, next } = groupedRowsPage(all.map((p) => p.id), held, cursor);
      return { items: lazily(items, ({ key, row: r }) => projectGrant(key, r)), next };
    },

    async grant(ctx, principal, entitlement) {
      const projectId = entitlement.resource!.id!.resource;
      const role = assignableRoleOf(entitlement);
      const outcome = await readModifyWrite<Principal, { principal: Principal; alreadyExists?: boolean; replaced?: ProjectRoleSlug }>(ctx, account, {
        describe: `grant project role ${entitlement.id}`,
        read: async () => {
          const p = await readPrincipal(ctx, account, principal.id!, "project roles");
          if (!p) throw new ConnectorError(Code.NotFound, `${principal.id!.resourceType} ${principal.id!.resource} not found`);
          return p;
        },
        version: (p) => p.version,
        plan(p) {
          refuseOtherScope(p, projectId);
          const current = projectRoleOf(p, projectId);
          if (current === role.role) return { result: { principal: p, alreadyExists: true } };
          const replaced = current === undefined ? undefined : projectRoleInfo(current)?.slug;
          return { write: writeProjectAccess(account, p, projectId, role.role), result: { principal: p, replaced } };
        },
      });
      const p = outcome.principal;
      const grant = projectGrant(projectId, { principalType: p.type, principalId: p.id, role: role.slug, projectScoped: p.type === SERVICE_ACCOUNT.id && p.scopedProject === projectId });
      return {
        grants: [grant],
        alreadyExists: outcome.alreadyExists,
        replacedGrantId: outcome.replaced && grantId(entitlementId(resourceId(PROJECT.id, projectId), outcome.replaced), resourceId(p.type, p.id)),
        requestId: outcome.requestId,
      };
    },

    async revoke(ctx, grant) {
      const projectId = grant.entitlement!.resource!.id!.resource;
      const role = assignableRoleOf(grant.entitlement!);
      const principalId = grant.principal!.id!;
      refuseImmutable(grant);
      return readModifyWrite<Principal | undefined, { alreadyRevoked: boolean }>(ctx, account, {
        describe: `revoke project role ${grant.entitlement!.id} from ${principalId.resourceType} ${principalId.resource}`,
        read: () => readPrincipal(ctx, account, principalId, "project roles"),
        version: (p) => p?.version ?? "",
        plan(p) {
          // Revoking what is not held (another role, or nothing) changes nothing.
          if (!p || projectRoleOf(p, projectId) !== role.role) return { result: { alreadyRevoked: true } };
          if (p.type === SERVICE_ACCOUNT.id && p.scopedProject) throw failedPrecondition(`${p.label}: ${PROJECT_SCOPED_REASON}`);
          return { write: writeProjectAccess(account, p, projectId, undefined), result: { alreadyRevoked: false } };
        },
      });
    },
  };
}

/**
 * projectEntitlements are a project's roles, `project:<id>:<role>`: the six a principal can be
 * given, and Developer, which only the Account Developer role holds (immutable).
 */
export function projectEntitlements(resource: Resource): Entitlement[] {
  const name = resource.displayName || resource.id!.resource;
  return PROJECT_ROLES.map((r) =>
    newEntitlement(resource, r.slug, {
      displayName: `Project ${name} ${r.displayName}`,
      description: `${r.displayName} role in the ${name} project in Temporal Cloud: ${r.summary}`,
      purpose: "permission",
      grantableTo: r.inherited ? [ACCOUNT_ROLE] : [...PRINCIPAL_TYPES],
      annotations: r.inherited ? [annotation(EntitlementImmutableSchema, { metadata: { reason: r.inherited } })] : [],
    }),
  );
}

/** projectGrant builds the grant of a project role, as a sync would list it. */
function projectGrant(projectId: string, r: ProjectRow): Grant {
  return accessGrant(resourceId(PROJECT.id, projectId), r.role, r, {
    immutable: r.principalType === ACCOUNT_ROLE.id ? DEVELOPER_REASON : r.projectScoped ? PROJECT_SCOPED_REASON : undefined,
  });
}

/**
 * assignableRoleOf reads the role a provisioning request is about: unknown roles and Developer,
 * which Temporal does not let anyone assign, are INVALID_ARGUMENT.
 */
function assignableRoleOf(entitlement: Entitlement): ProjectRoleInfo {
  const slug = slugOf(entitlement);
  const role = PROJECT_ROLES.find((r) => r.slug === slug);
  if (!role) throw invalidArgument(`entitlement ${entitlement.id}: unknown project role "${slug}"; expected ${PROJECT_ROLES.filter((r) => !r.inherited).map((r) => r.slug).join(", ")}`);
  if (role.inherited) throw invalidArgument(`entitlement ${entitlement.id}: ${role.inherited}; grant or revoke the Account Developer role (account-role:<account>-developer:member) instead`);
  return role;
}

/** refuseOtherScope: scoped service accounts hold project roles only in their own project. */
function refuseOtherScope(p: Principal, projectId: string): void {
  if (p.type !== SERVICE_ACCOUNT.id) return;
  if (p.scopedNamespace) throw failedPrecondition(`${p.label} is scoped to namespace ${p.scopedNamespace}; namespace-scoped service accounts hold no project roles`);
  if (p.scopedProject && p.scopedProject !== projectId) throw failedPrecondition(`${p.label} is scoped to project ${p.scopedProject}; only its role in ${p.scopedProject} can change`);
}

/** row makes the access row of an assignment; rows inherited from an account role are left out (the Developer row stands for them). */
function row(principalType: PrincipalTypeId, principalId: string, inherited: boolean, role: number | undefined): ProjectRow[] {
  const info = role === undefined ? undefined : projectRoleInfo(role);
  return inherited || !info || info.inherited ? [] : [{ principalType, principalId, role: info.slug }];
}

