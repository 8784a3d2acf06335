import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_API_KEYS, DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, type Api } from "./simulator-helper.js";

const { users: U, serviceAccounts: SA, groups: G, namespaces: NS, projects: P } = DEMO_IDS;
const V17 = { headers: { "temporal-cloud-api-version": "v0.17.1" } };

/** Projects (API v0.18.0) as the simulator serves them: reads, paging, access writes and their refusals. */
describe("projects", () => {
  let sim: Simulator;
  let api: Api;
  beforeAll(async () => {
    ({ sim, api } = await startDemo());
  });
  afterAll(() => sim.close());

  const userVersion = async (id: string) => (await api.get(`/cloud/users/${id}`)).body.user.resourceVersion as string;

  it("lists projects by ascending id, page by page, optionally only some, and reads one", async () => {
    const first = await api.get("/cloud/projects?pageSize=2");
    expect(first.body.projects.map((p: { id: string }) => p.id)).toEqual([P.default, P.payments]);
    const second = await api.get(`/cloud/projects?pageSize=2&pageToken=${first.body.nextPageToken}`);
    expect(second.body.projects.map((p: { id: string }) => p.id)).toEqual([P.data]);
    expect(second.body).not.toHaveProperty("nextPageToken");
    const some = await api.get(`/cloud/projects?projectIds=${P.data}&projectIds=${P.payments}`);
    expect(some.body.projects.map((p: { id: string }) => p.id)).toEqual([P.payments, P.data]);
    expect((await api.get(`/cloud/projects/${P.payments}`)).body.project).toEqual({
      id: P.payments,
      spec: { displayName: "Payments", description: "Payment processing, production and development", lifecycle: { enableDeleteProtection: true } },
      resourceVersion: expect.any(String),
      state: "RESOURCE_STATE_ACTIVE",
      createdTime: "2026-07-20T09:00:00Z",
    });
    expect((await api.get("/cloud/projects/nope")).status).toBe(404);
    expect((await api.get("/cloud/projects?pageToken=garbage")).status).toBe(400);
  });

  it("filters namespaces by project from v0.18.0; older requests cannot carry the filter", async () => {
    const names = async (options?: typeof V17) => (await api.get(`/cloud/namespaces?projectId=${P.payments}`, options)).body.namespaces.map((n: { namespace: string }) => n.namespace);
    expect(await names()).toEqual([NS.paymentsDev, NS.paymentsProd]);
    expect(await names(V17)).toHaveLength(4);
  });

  it("lists who holds a project: explicit roles, and the Developer every Account Developer inherits", async () => {
    const users = (await api.get(`/cloud/projects/${P.payments}/user-assignments`)).body.users;
    expect(users.map((u: { id: string; projectAccess: { role: string }; inheritedAccess?: boolean }) => [u.id, u.projectAccess.role, u.inheritedAccess ?? false])).toEqual(
      [
        [U.carol, "PROJECT_ROLE_WRITE", false],
        [U.grace, "PROJECT_ROLE_DEVELOPER", true],
        [U.judy, "PROJECT_ROLE_CONTRIBUTE", false],
      ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
    );
    const page = await api.get(`/cloud/projects/${P.payments}/user-assignments?pageSize=1`);
    expect(page.body.users).toHaveLength(1);
    expect(page.body.nextPageToken).toBeTruthy();
    const serviceAccounts = (await api.get(`/cloud/projects/${P.payments}/service-account-assignments`)).body.serviceAccounts;
    expect(serviceAccounts.map((s: { id: string; projectAccess: { role: string } }) => [s.id, s.projectAccess.role])).toEqual([
      [SA.ciDeployer, "PROJECT_ROLE_WRITE"],
      [SA.paymentsDeployer, "PROJECT_ROLE_ADMIN"],
    ]);
    const groups = (await api.get(`/cloud/projects/${P.default}/user-group-assignments`)).body.groups;
    expect(groups.map((g: { id: string; projectAccess: { role: string } }) => [g.id, g.projectAccess.role])).toEqual([[G.platformEngineering, "PROJECT_ROLE_MEMBER"]]);
    const scoped = (await api.get(`/cloud/projects/${P.payments}/service-accounts`)).body.serviceAccounts;
    expect(scoped.map((s: { id: string }) => s.id)).toEqual([SA.paymentsDeployer]);
    expect((await api.get(`/cloud/projects/${P.data}/service-accounts`)).body).toEqual({});
  });

  it("sets, changes and removes one project access, as an async operation recorded in the audit log", async () => {
    const path = `/cloud/projects/${P.data}/users/${U.grace}/access`;
    const set = await api.post(path, { access: { role: "PROJECT_ROLE_READ" }, resourceVersion: await userVersion(U.grace) });
    expect(set.status).toBe(200);
    expect(set.body.asyncOperation).toMatchObject({ operationType: "SetUserProjectAccess", state: "STATE_PENDING" });
    let grace = (await api.get(`/cloud/users/${U.grace}`)).body.user;
    expect(grace.spec.access.projectAccesses).toEqual({ [P.data]: { role: "PROJECT_ROLE_READ" } });
    expect(grace.spec.access.namespaceAccesses).toEqual({ [NS.paymentsDev]: { permission: "PERMISSION_WRITE" } });
    const record = sim.audit.page({ startMs: 0, endMs: Date.now() + 1000 }, 10, undefined).records.find((r) => r.operation === "SetUserProjectAccess")!;
    expect(record.status).toBe("OK");
    expect(record.rawDetails).toMatchObject({ projectId: P.data, userId: U.grace, access: { role: "PROJECT_ROLE_READ" } });
    expect((await api.post(path, { access: { role: 3 }, resourceVersion: grace.resourceVersion })).body.message).toContain("nothing to change");
    expect((await api.post(path, { resourceVersion: grace.resourceVersion })).status).toBe(200);
    grace = (await api.get(`/cloud/users/${U.grace}`)).body.user;
    expect(grace.spec.access).not.toHaveProperty("projectAccesses");
  });

  it("refuses Developer, unknown roles and projects, stale versions, callers without project Admin, and scoped service accounts' other projects", async () => {
    const refusal = async (path: string, body: object, key?: string) => {
      const reply = await (key ? api.as(key) : api).post(path, body);
      return `${reply.status} ${reply.body.message as string}`;
    };
    const dave = await userVersion(U.dave);
    expect(await refusal(`/cloud/projects/${P.data}/users/${U.dave}/access`, { access: { role: "PROJECT_ROLE_DEVELOPER" }, resourceVersion: dave })).toMatch(/^400 .*cannot be assigned directly/);
    expect(await refusal(`/cloud/projects/${P.data}/users/${U.dave}/access`, { access: { role: 42 }, resourceVersion: dave })).toMatch(/^400 .*unknown project role/);
    expect(await refusal(`/cloud/projects/nope/users/${U.dave}/access`, { access: { role: "PROJECT_ROLE_READ" }, resourceVersion: dave })).toMatch(/^404 /);
    expect(await refusal(`/cloud/projects/${P.data}/users/${U.dave}/access`, { access: { role: "PROJECT_ROLE_WRITE" }, resourceVersion: "stale" })).toMatch(/^400 resource version mismatch/);
    // Carol is Write, not Admin, of payments; nor an Account Admin.
    expect(await refusal(`/cloud/projects/${P.payments}/users/${U.dave}/access`, { access: { role: "PROJECT_ROLE_READ" }, resourceVersion: dave }, DEMO_API_KEYS.carolCli)).toMatch(/^403 .*Admin role of project/);
    const deployer = (await api.get(`/cloud/service-accounts/${SA.paymentsDeployer}`)).body.serviceAccount.resourceVersion;
    expect(await refusal(`/cloud/projects/${P.data}/service-accounts/${SA.paymentsDeployer}/access`, { access: { role: "PROJECT_ROLE_READ" }, resourceVersion: deployer })).toMatch(/^400 .*scoped to project/);
    expect(await refusal(`/cloud/projects/${P.payments}/service-accounts/${SA.paymentsDeployer}/access`, { resourceVersion: deployer })).toMatch(/^400 .*cannot be removed/);
    const worker = (await api.get(`/cloud/service-accounts/${SA.paymentsWorker}`)).body.serviceAccount.resourceVersion;
    expect(await refusal(`/cloud/projects/${P.payments}/service-accounts/${SA.paymentsWorker}/access`, { access: { role: "PROJECT_ROLE_READ" }, resourceVersion: worker })).toMatch(/^400 .*scoped to namespace/);
    expect(await refusal(`/cloud/namespaces/${NS.analytics}/service-accounts/${SA.paymentsDeployer}/access`, { access: { permission: "PERMISSION_READ" }, resourceVersion: deployer })).toMatch(/^400 .*not in project/);
    expect(sim.store.users.get(U.dave)!.spec!.access!.projectAccesses).toEqual({ [P.data]: expect.objectContaining({ role: 3 }) });
  });

  it("keeps project access a request of an older version cannot carry, and replaces it for a newer one", async () => {
    const spec = { email: "frank@acme.example", access: { accountAccess: { role: "ROLE_READ" } } };
    // Operations settle by the next request: the version read after a write is the written one's.
    expect((await api.post(`/cloud/users/${U.frank}`, { spec, resourceVersion: await userVersion(U.frank) }, V17)).status).toBe(200);
    expect((await api.get(`/cloud/users/${U.frank}`)).body.user.spec.access).toMatchObject({ accountAccess: { role: "ROLE_READ" }, projectAccesses: { [P.data]: { role: "PROJECT_ROLE_LIST" } } });
    expect((await api.post(`/cloud/users/${U.frank}`, { spec: { ...spec, access: { accountAccess: { role: "ROLE_METRICS_READ" } } }, resourceVersion: await userVersion(U.frank) })).status).toBe(200);
    expect((await api.get(`/cloud/users/${U.frank}`)).body.user.spec.access).toEqual({ accountAccess: { role: "ROLE_METRICS_READ" } });
    // Project accesses in a whole-spec update are checked like the per-project endpoint's.
    const bad = await api.post(`/cloud/users/${U.frank}`, { spec: { ...spec, access: { accountAccess: { role: "ROLE_READ" }, projectAccesses: { [P.data]: { role: "PROJECT_ROLE_DEVELOPER" } } } }, resourceVersion: await userVersion(U.frank) });
    expect(bad.body.message).toContain("cannot be assigned directly");
  });

  it("creates a project-scoped service account only on its own project's namespaces, and only from v0.18.0", async () => {
    const create = (namespaceAccesses: object, options?: typeof V17) =>
      api.post("/cloud/service-accounts", { spec: { name: `scoped-${Object.keys(namespaceAccesses).length}-${options ? "old" : "new"}`, projectScopedAccess: { projectId: P.data, access: { role: "PROJECT_ROLE_WRITE" }, namespaceAccesses } } }, options);
    expect((await create({ [NS.paymentsDev]: { permission: "PERMISSION_READ" } })).body.message).toContain("not in project");
    const made = await create({ [NS.analytics]: { permission: "PERMISSION_READ" } });
    expect(made.status).toBe(200);
    expect((await api.get(`/cloud/service-accounts/${made.body.serviceAccountId}`)).body.serviceAccount.spec.projectScopedAccess.projectId).toBe(P.data);
    // A v0.17 request cannot carry the scope: what is left has no access at all.
    expect((await create({}, V17)).body.message).toContain("exactly one of spec.access and spec.namespaceScopedAccess");
  });
});
