import type { AccountAccess, Access } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { invalidArgument } from "../connector/errors.js";
import { stringCursor, type Cursor } from "../connector/page-token.js";
import type { AccountSnapshot } from "../temporal/account-snapshot.js";
import { ACCOUNT_ROLE, GROUP, SERVICE_ACCOUNT, USER, type PrincipalTypeId } from "./resource-types.js";
import { accountRoleId, permissionSlug, projectRoleInfo, roleSlug, type PermissionSlug, type ProjectRoleSlug, type RoleSlug } from "./temporal-access.js";

/**
 * HolderType is a resource type that can hold access: a principal, or an account role (owners and
 * admins hold admin on every namespace through their role).
 */
export type HolderType = PrincipalTypeId | typeof ACCOUNT_ROLE.id;

/** AccessRow is one principal holding one piece of access. */
export interface AccessRow {
  principalType: HolderType;
  principalId: string;
  /**
   * The holder is a namespace-scoped service account and this is the access its scope gives it
   * (the Read role, its permission on its namespace): it cannot be revoked, only changed.
   */
  namespaceScoped?: boolean;
  /** The holder is a project-scoped service account and this is the role its scope gives it. */
  projectScoped?: boolean;
}

/** NamespaceRow is a principal's permission on a namespace. */
export interface NamespaceRow extends AccessRow {
  permission: PermissionSlug;
}

/** ProjectRow is a principal's role in a project. */
export interface ProjectRow extends AccessRow {
  role: ProjectRoleSlug;
}

/**
 * AccessIndex answers "who holds X" for every namespace, account role, custom role and project,
 * built in one pass over the users, service accounts and groups of a snapshot. Rows are sorted
 * by principal so that pages can resume after a principal key.
 */
export interface AccessIndex {
  namespace(namespaceId: string): readonly NamespaceRow[];
  role(slug: RoleSlug): readonly AccessRow[];
  customRole(roleId: string): readonly AccessRow[];
  /**
   * project lists the roles principals hold in a project themselves (project access, or a
   * project-scoped service account's scope). The Developer role that comes with the Account
   * Developer role is not among them: it is the role's, not the principals' (project.ts).
   */
  project(projectId: string): readonly ProjectRow[];
}

/** rowKey orders rows: by principal type, then id. */
export function rowKey(row: AccessRow): string {
  return `${row.principalType}\u0000${row.principalId}`;
}

/** byRowKey sorts rows in rowKey order without building a key per comparison (33,000 rows at 10k users). */
function byRowKey(a: AccessRow, b: AccessRow): number {
  if (a.principalType !== b.principalType) return a.principalType < b.principalType ? -1 : 1;
  return a.principalId < b.principalId ? -1 : a.principalId > b.principalId ? 1 : 0;
}

/**
 * ROWS_PER_PAGE: big pages mean fewer round trips for the syncer (each costs it a Do call too),
 * while a page (≈ 400 bytes a grant, 1 MB) stays far below the 4 MiB message limit.
 */
export const ROWS_PER_PAGE = 2500;

/**
 * rowsPage returns the page of rows after the cursor (the key of the last row of the previous
 * page), and the cursor of the next page. Resuming after a key rather than an offset stays
 * correct when the list changed in between (after a restart, say).
 */
export function rowsPage<R extends AccessRow>(rows: readonly R[], cursor: Cursor | undefined, limit = ROWS_PER_PAGE): { rows: R[]; next?: string } {
  const after = cursor === undefined ? undefined : stringCursor(cursor);
  let lo = 0;
  if (after !== undefined) {
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rowKey(rows[mid]!) <= after) lo = mid + 1;
      else hi = mid;
    }
  }
  const page = rows.slice(lo, lo + limit);
  return { rows: page, next: lo + limit < rows.length ? rowKey(page[page.length - 1]!) : undefined };
}

/**
 * groupedRowsPage pages through the rows of many keys (every namespace, say) in key order, for
 * type-scoped listing. The cursor is the key and the row key reached, so, like rowsPage, it
 * resumes correctly on data that changed in between.
 */
export function groupedRowsPage<R extends AccessRow>(keys: readonly string[], rowsOf: (key: string) => readonly R[], cursor: Cursor | undefined): { items: { key: string; row: R }[]; next?: Cursor } {
  const at = groupCursor(cursor);
  const sorted = [...keys].sort();
  const items: { key: string; row: R }[] = [];
  let i = at ? lowerBound(sorted, at.k) : 0;
  for (; i < sorted.length; i++) {
    const key = sorted[i]!;
    const page = rowsPage(rowsOf(key), at && key === at.k ? at.r : undefined, ROWS_PER_PAGE - items.length);
    for (const row of page.rows) items.push({ key, row });
    if (items.length >= ROWS_PER_PAGE) {
      const last = items[items.length - 1]!;
      return { items, next: { k: last.key, r: rowKey(last.row) } };
    }
  }
  return { items };
}

function groupCursor(cursor: Cursor | undefined): { k: string; r: string } | undefined {
  if (cursor === undefined) return undefined;
  const c = cursor as { k?: unknown; r?: unknown };
  if (typeof c !== "object" || c === null || typeof c.k !== "string" || typeof c.r !== "string") {
    throw invalidArgument("page_token does not belong to this list; start again without a page_token");
  }
  return { k: c.k, r: c.r };
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * buildAccessIndexAhead starts building the snapshot's index in the background. A sync that lists
 * namespaces or roles asks for their grants next, and those come from the index: it reads the
 * lists it needs (groups too) and is built while the syncer is still on resources and
 * entitlements, not on the first grants call. A failure is left for that call to report.
 */
export function buildAccessIndexAhead(snapshot: AccountSnapshot, accountId: Promise<string>): void {
  accountId.then((id) => accessIndex(snapshot, id)).catch(() => {});
}

/** accessIndex returns the snapshot's index, building it once per snapshot. */
export function accessIndex(snapshot: AccountSnapshot, accountId: string, signal?: AbortSignal): Promise<AccessIndex> {
  return snapshot.derive(
    "access-index",
    async (s) => {
      const [users, serviceAccounts, groups, namespaces] = await Promise.all([
        snapshot.users.all(s),
        snapshot.serviceAccounts.all(s),
        snapshot.groups.all(s),
        snapshot.namespaces.all(s),
      ]);
      const byNamespace = new Map<string, NamespaceRow[]>();
      const byRole = new Map<RoleSlug, AccessRow[]>();
      const byCustomRole = new Map<string, AccessRow[]>();
      const byProject = new Map<string, ProjectRow[]>();
      const push = <R>(map: Map<string, R[]>, key: string, row: R) => {
        const list = map.get(key);
        if (list) list.push(row);
        else map.set(key, [row]);
      };

      const addAccountAccess = (principalType: PrincipalTypeId, principalId: string, access: AccountAccess | undefined) => {
        const slug = access && roleSlug(access.role);
        if (slug) push(byRole, slug, { principalType, principalId });
        for (const roleId of new Set(access?.customRoles ?? [])) push(byCustomRole, roleId, { principalType, principalId });
      };
      const addNamespaces = (principalType: PrincipalTypeId, principalId: string, accesses: Access["namespaceAccesses"] | undefined) => {
        for (const [namespaceId, ns] of Object.entries(accesses ?? {})) {
          const permission = permissionSlug(ns.permission);
          if (permission) push(byNamespace, namespaceId, { principalType, principalId, permission });
        }
      };
      const addProject = (row: Omit<ProjectRow, "role">, projectId: string, role: number | undefined) => {
        const info = role === undefined ? undefined : projectRoleInfo(role);
        // Developer comes with the account role (read from the role's holders); unknown roles are newer than our API subset.
        if (info && !info.inherited) push(byProject, projectId, { ...row, role: info.slug });
      };
      const addAccess = (principalType: PrincipalTypeId, principalId: string, access: Access | undefined) => {
        addAccountAccess(principalType, principalId, access?.accountAccess);
        addNamespaces(principalType, principalId, access?.namespaceAccesses);
        for (const [projectId, project] of Object.entries(access?.projectAccesses ?? {})) addProject({ principalType, principalId }, projectId, project.role);
      };

      for (const user of users) addAccess(USER.id, user.id, user.spec?.access);
      for (const sa of serviceAccounts) {
        const scoped = sa.spec?.namespaceScopedAccess;
        const project = sa.spec?.projectScopedAccess;
        if (project) {
          // Its role in its project comes with its scope; its namespace permissions can change.
          addProject({ principalType: SERVICE_ACCOUNT.id, principalId: sa.id, projectScoped: true }, project.projectId, project.access?.role);
          addNamespaces(SERVICE_ACCOUNT.id, sa.id, project.namespaceAccesses);
        } else if (scoped) {
          push(byRole, "read", { principalType: SERVICE_ACCOUNT.id, principalId: sa.id, namespaceScoped: true });
          const permission = scoped.access && permissionSlug(scoped.access.permission);
          if (permission) push(byNamespace, scoped.namespace, { principalType: SERVICE_ACCOUNT.id, principalId: sa.id, permission, namespaceScoped: true });
        } else {
          addAccess(SERVICE_ACCOUNT.id, sa.id, sa.spec?.access);
        }
      }
      for (const group of groups) addAccess(GROUP.id, group.id, group.spec?.access);
      // Owners and admins are namespace admins everywhere: one grant per namespace to each of the
      // two role resources, expanded to their members, instead of a copy per person.
      for (const ns of namespaces) {
        for (const slug of ["owner", "admin"] as const) {
          push(byNamespace, ns.namespace, { principalType: ACCOUNT_ROLE.id, principalId: accountRoleId(accountId, slug), permission: "admin" });
        }
      }

      const sort = <R extends AccessRow>(map: Map<string, R[]>) => {
        for (const rows of map.values()) rows.sort(byRowKey);
      };
      sort(byNamespace);
      sort(byRole);
      sort(byCustomRole);
      sort(byProject);
      return {
        namespace: (id) => byNamespace.get(id) ?? [],
        role: (slug) => byRole.get(slug) ?? [],
        customRole: (id) => byCustomRole.get(id) ?? [],
        project: (id) => byProject.get(id) ?? [],
      };
    },
    signal,
  );
}
