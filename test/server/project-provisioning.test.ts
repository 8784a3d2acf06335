import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { AccountAccess_Role as Role, NamespaceAccess_Permission as Permission, ProjectAccess_ProjectRole as ProjectRole } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { AsyncOperation_State } from "../../src/gen/temporal/api/cloud/operation/v1/message_pb.js";
import { DEMO_IDS, type PrincipalKind } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync } from "../../src/sync/syncer.js";
import { expectCode } from "../helpers/grpc.js";
import { provisioner } from "../helpers/provisioning.js";
import { startStack, type Stack } from "../helpers/stack.js";

const { users: U, serviceAccounts: SA, groups: G, namespaces: NS, projects: P } = DEMO_IDS;

/** The project roles a principal can be given, with their Temporal values. */
const ROLES = [
  ["admin", ProjectRole.ADMIN],
  ["write", ProjectRole.WRITE],
  ["read", ProjectRole.READ],
  ["list", ProjectRole.LIST],
  ["contribute", ProjectRole.CONTRIBUTE],
  ["member", ProjectRole.MEMBER],
] as const;

/** The upstream writes that could change project access (never the whole-spec updates). */
const WRITES = ["SetUserProjectAccess", "SetUserGroupProjectAccess", "SetServiceAccountProjectAccess", "UpdateUser", "UpdateUserGroup", "UpdateServiceAccount"];

/**
 * Project roles (API v0.18.0) are provisioned like namespace permissions: with the per-project
 * access endpoint, read-modify-write on the principal's version, once, and never over a change
 * someone else made in between. Developer, which comes with the Account Developer role, is not
 * assignable at all.
 */
describe("provisioning project roles", () => {
  let stack: Stack;
  let p: ReturnType<typeof provisioner>;
  const start = async (options: Parameters<typeof startStack>[0] = {}) => {
    stack = await startStack({ provisioning: true, ...options });
    p = provisioner(stack.client);
  };
  afterEach(() => stack.close());

  const writes = () => WRITES.reduce((n, r) => n + (stack.simulator.stats.byRoute.get(r) ?? 0), 0);
  const roleOf = (kind: PrincipalKind, id: string, project: string) => {
    const spec = stack.simulator.store.resource(kind, id)!.spec as { access?: { projectAccesses: Record<string, { role: ProjectRole }> }; projectScopedAccess?: { projectId: string; access?: { role: ProjectRole } } };
    if (spec.projectScopedAccess) return spec.projectScopedAccess.projectId === project ? spec.projectScopedAccess.access?.role : undefined;
    return spec.access?.projectAccesses[project]?.role;
  };

  it.each([
    ["user", "user", U.grace, "SetUserProjectAccess"],
    ["group", "userGroup", G.finance, "SetUserGroupProjectAccess"],
    ["service-account", "serviceAccount", SA.legacyBatch, "SetServiceAccountProjectAccess"],
  ] as const)("grants each role to a %s, replacing the one held, idempotently, and revokes exactly", async (type, kind, id, route) => {
    await start();
    const who = `${type}:${id}`;
    let held: string | undefined;
    for (const [slug, role] of ROLES) {
      const entitlement = `project:${P.data}:${slug}`;
      const granted = await p.grant(entitlement, who);
      expect(granted.grants.map((g) => g.id)).toEqual([`${entitlement}:${who}`]);
      expect(granted.alreadyExists).toBe(false);
      expect(granted.replaced).toBe(held && `project:${P.data}:${held}:${who}`);
      expect(stack.simulator.store.operations.get(granted.requestId!)).toMatchObject({ operationType: route, state: AsyncOperation_State.FULFILLED });
      expect(roleOf(kind, id, P.data)).toBe(role);
      held = slug;
    }
    // The last role again changes nothing; revoking another role neither.
    const before = writes();
    expect((await p.grant(`project:${P.data}:member`, who)).alreadyExists).toBe(true);
    expect((await p.revoke(`project:${P.data}:admin:${who}`)).alreadyRevoked).toBe(true);
    expect(writes()).toBe(before);
    expect(await p.grantsOf(`project:${P.data}`)).toContain(`project:${P.data}:member:${who}`);

    expect(await p.revoke(`project:${P.data}:member:${who}`)).toMatchObject({ alreadyRevoked: false, requestId: expect.any(String) });
    expect(roleOf(kind, id, P.data)).toBeUndefined();
    expect((await p.revoke(`project:${P.data}:member:${who}`)).alreadyRevoked).toBe(true);
    // Every write went through the per-project endpoint: seven grants and one revoke.
    expect(stack.simulator.stats.byRoute.get(route)).toBe(ROLES.length + 1);
    expect(writes()).toBe(ROLES.length + 1);
  });

  it("makes a group's role expandable to its members", async () => {
    await start();
    const [grant] = (await p.grant(`project:${P.data}:read`, `group:${G.finance}`)).grants;
    expect(grant!.annotations.map((a) => a.typeUrl)).toContain("type.googleapis.com/c1.connector.v2.GrantExpandable");
  });

  it("refuses Developer, which only the Account Developer role holds, as an invalid request, before any upstream call", async () => {
    await start();
    const before = stack.simulator.stats.requests;
    expect(await expectCode(p.grant(`project:${P.data}:developer`, `user:${U.dave}`), status.INVALID_ARGUMENT)).toContain("cannot be assigned directly");
    expect(await expectCode(p.revoke(`project:${P.data}:developer:account-role:acme7-developer`), status.INVALID_ARGUMENT)).toContain("account-role:<account>-developer:member");
    expect(await expectCode(p.revoke(`project:${P.data}:developer:user:${U.carol}`), status.INVALID_ARGUMENT)).toContain("cannot be assigned directly");
    await expectCode(p.grant(`project:${P.data}:owner`, `user:${U.dave}`), status.INVALID_ARGUMENT);
    expect(stack.simulator.stats.requests).toBe(before);
  });

  it("changes a project-scoped service account's role in its own project only, and never removes it", async () => {
    await start();
    const who = `service-account:${SA.paymentsDeployer}`;
    const changed = await p.grant(`project:${P.payments}:write`, who);
    expect(changed.replaced).toBe(`project:${P.payments}:admin:${who}`);
    expect(roleOf("serviceAccount", SA.paymentsDeployer, P.payments)).toBe(ProjectRole.WRITE);
    expect(changed.grants[0]!.annotations.map((a) => a.typeUrl)).toContain("type.googleapis.com/c1.connector.v2.GrantImmutable");
    const before = writes();
    expect(await expectCode(p.grant(`project:${P.data}:read`, who), status.FAILED_PRECONDITION)).toContain(`scoped to project ${P.payments}`);
    expect(await expectCode(p.revoke(`project:${P.payments}:write:${who}`), status.FAILED_PRECONDITION)).toContain("project-scoped service account always has a role in its own project");
    expect(await expectCode(p.grant(`project:${P.data}:read`, `service-account:${SA.paymentsWorker}`), status.FAILED_PRECONDITION)).toContain("namespace-scoped");
    // It holds no account role or custom role to change.
    expect(await expectCode(p.grant("account-role:acme7-read:member", who), status.FAILED_PRECONDITION)).toContain("project-scoped");
    expect(await expectCode(p.grant(`custom-role:${DEMO_IDS.customRoles.billingViewer}:member`, who), status.FAILED_PRECONDITION)).toContain("project-scoped");
    expect(writes()).toBe(before);
    // Its permissions on the namespaces of its project change through the namespace endpoint.
    await p.grant(`namespace:${NS.paymentsProd}:read`, who);
    expect(stack.simulator.store.serviceAccounts.get(SA.paymentsDeployer)!.spec!.projectScopedAccess!.namespaceAccesses[NS.paymentsProd]?.permission).toBe(Permission.READ);
    await p.revoke(`namespace:${NS.paymentsDev}:write:${who}`);
    expect(stack.simulator.store.serviceAccounts.get(SA.paymentsDeployer)!.spec!.projectScopedAccess!.namespaceAccesses).not.toHaveProperty(NS.paymentsDev);
  });

  it("keeps a change made between our read and our write, and applies ours on top with the new version", async () => {
    await start();
    const seen: { resourceVersion?: string; asyncOperationId?: string }[] = [];
    stack.simulator.onRequest((req) => {
      if (req.route !== "SetUserProjectAccess") return;
      seen.push(req.body as { resourceVersion?: string; asyncOperationId?: string });
      // Someone gives dave a role in another project just before our write reaches Temporal Cloud.
      if (seen.length === 1) stack.simulator.store.setProjectAccess("user", U.dave, P.payments, ProjectRole.READ);
    });
    await p.grant(`project:${P.data}:write`, `user:${U.dave}`);
    const access = stack.simulator.store.users.get(U.dave)!.spec!.access!;
    expect(access.projectAccesses[P.data]?.role).toBe(ProjectRole.WRITE);
    expect(access.projectAccesses[P.payments]?.role).toBe(ProjectRole.READ);
    expect(Object.keys(access.namespaceAccesses).sort()).toEqual([NS.analytics, NS.ordersProd].sort());
    // The first write carried the stale version and was refused; the second used the new one.
    expect(seen).toHaveLength(2);
    expect(seen[0]!.resourceVersion).not.toBe(seen[1]!.resourceVersion);
    expect(seen[0]!.asyncOperationId).not.toBe(seen[1]!.asyncOperationId);
  });

  it("ends as 'already exists' when a concurrent change made ours unnecessary, and retries a lost write once", async () => {
    await start();
    let calls = 0;
    stack.simulator.onRequest((req) => {
      if (req.route === "SetUserProjectAccess" && ++calls === 1) stack.simulator.store.setProjectAccess("user", U.dave, P.data, ProjectRole.ADMIN);
    });
    expect((await p.grant(`project:${P.data}:admin`, `user:${U.dave}`)).alreadyExists).toBe(true);
    expect(calls).toBe(1);
    stack.simulator.onRequest((req) => (req.route === "SetUserGroupProjectAccess" ? void stack.simulator.setFaults(++calls === 2 ? { dropConnection: 1, onlyPaths: /\/access$/ } : undefined) : undefined));
    const granted = await p.grant(`project:${P.data}:read`, `group:${G.finance}`);
    expect(stack.simulator.stats.droppedConnections).toBe(1);
    expect(stack.simulator.stats.appliedMutations.get(granted.requestId!)).toBe(1);
  });

  it("lists a project's grants outside a sync from the assignment endpoints, as a sync lists them", async () => {
    await start();
    const store = createMemoryStore();
    await runSync({ api: stack.client, store, skipExpandGrants: true }); // the grants the connector lists
    for (const project of Object.values(P)) {
      const synced = store.grants.filter((g) => g.entitlement!.resource!.id!.resource === project).map((g) => g.id).sort();
      const before = new Map(stack.simulator.stats.byRoute);
      expect(await p.grantsOf(`project:${project}`)).toEqual(synced);
      const used = [...stack.simulator.stats.byRoute].filter(([route, n]) => n !== (before.get(route) ?? 0)).map(([route]) => route).sort();
      expect(used.every((route) => /Project(Assignments|ScopedServiceAccounts)$/.test(route)), used.join()).toBe(true);
    }
  });

  it("keeps project roles when an account role is rewritten, whatever the API version", async () => {
    await start();
    await p.grant("account-role:acme7-developer:member", `user:${U.dave}`);
    expect(stack.simulator.store.users.get(U.dave)!.spec!.access!.projectAccesses[P.data]?.role).toBe(ProjectRole.READ);
    await stack.close();
    // v0.17.1 neither sees nor sends project access: the API keeps what it does not honour.
    await start({ connector: { apiVersion: "v0.17.1" } });
    await p.grant("account-role:acme7-developer:member", `user:${U.dave}`);
    const access = stack.simulator.store.users.get(U.dave)!.spec!.access!;
    expect(access.accountAccess!.role).toBe(Role.DEVELOPER);
    expect(access.projectAccesses[P.data]?.role).toBe(ProjectRole.READ);
    // And it has no project type to provision.
    expect(await expectCode(p.grant(`project:${P.data}:read`, `user:${U.dave}`), status.INVALID_ARGUMENT)).toContain('unknown resource type "project"');
  });
});
