import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_API_KEYS, DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, type Api } from "./simulator-helper.js";

const { users: U, serviceAccounts: SA, groups: G, apiKeys: K, namespaces: NS } = DEMO_IDS;

describe("JSON shape of the demo account", () => {
  let sim: Simulator;
  let api: Api;
  beforeAll(async () => {
    ({ sim, api } = await startDemo());
  });
  afterAll(() => sim.close());

  it("uses camelCase names, enum names and omits defaults", async () => {
    const { body } = await api.get(`/cloud/users/${U.carol}`);
    expect(body.user).toEqual({
      id: U.carol,
      resourceVersion: expect.any(String),
      spec: {
        email: "carol@acme.example",
        access: {
          accountAccess: { role: "ROLE_DEVELOPER", customRoles: [DEMO_IDS.customRoles.deployApprover] },
          namespaceAccesses: {
            [NS.paymentsProd]: { permission: "PERMISSION_WRITE" },
            [NS.paymentsDev]: { permission: "PERMISSION_ADMIN" },
          },
          projectAccesses: { [DEMO_IDS.projects.payments]: { role: "PROJECT_ROLE_WRITE" } },
        },
      },
      state: "RESOURCE_STATE_ACTIVE",
      createdTime: "2024-03-18T10:00:00Z",
      lastModifiedTime: "2025-04-22T13:05:00Z",
    });
    // Defaults are omitted: no empty asyncOperationId, no invitation.
    expect(body.user).not.toHaveProperty("asyncOperationId");
    expect(body.user).not.toHaveProperty("invitation");
    expect(JSON.stringify(body)).not.toMatch(/_[a-z]/);
  });

  it("shows a role-less SCIM user with an empty accountAccess", async () => {
    const { body } = await api.get(`/cloud/users/${U.ivan}`);
    expect(body.user.spec.access).toEqual({ accountAccess: {} });
  });

  it("shows pending and expired invitations", async () => {
    const grace = (await api.get(`/cloud/users/${U.grace}`)).body.user;
    expect(Date.parse(grace.invitation.expiredTime)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const heidi = (await api.get(`/cloud/users/${U.heidi}`)).body.user;
    expect(heidi.invitation.expiredTime).toBe("2025-01-15T10:00:00Z");
  });

  it("lists service accounts under the singular key serviceAccount", async () => {
    const { body } = await api.get("/cloud/service-accounts");
    expect(body).not.toHaveProperty("serviceAccounts");
    expect(body.serviceAccount).toHaveLength(9);
    expect(body).not.toHaveProperty("nextPageToken");
    const ids = body.serviceAccount.map((s: { id: string }) => s.id);
    expect(ids).toEqual([...ids].sort());
    const unnamed = body.serviceAccount.find((s: { id: string }) => s.id === SA.unnamed);
    expect(unnamed.spec).not.toHaveProperty("name");
    const scoped = body.serviceAccount.find((s: { id: string }) => s.id === SA.paymentsWorker);
    expect(scoped.spec.namespaceScopedAccess).toEqual({ namespace: NS.paymentsProd, access: { permission: "PERMISSION_WRITE" } });
    expect(scoped.spec).not.toHaveProperty("access");
    const projectScoped = body.serviceAccount.find((s: { id: string }) => s.id === SA.paymentsDeployer);
    expect(projectScoped.spec.projectScopedAccess).toEqual({
      projectId: DEMO_IDS.projects.payments,
      access: { role: "PROJECT_ROLE_ADMIN" },
      namespaceAccesses: { [NS.paymentsDev]: { permission: "PERMISSION_WRITE" } },
    });
  });

  it("hides project access and project-scoped service accounts below API v0.18.0, and shows namespaces' projects at every version", async () => {
    const v17 = { headers: { "temporal-cloud-api-version": "v0.17.1" } };
    const carol = (await api.get(`/cloud/users/${U.carol}`, v17)).body.user;
    expect(carol.spec.access).not.toHaveProperty("projectAccesses");
    expect(carol.spec.access.namespaceAccesses).toHaveProperty([NS.paymentsDev]);
    const serviceAccounts = (await api.get("/cloud/service-accounts", v17)).body.serviceAccount;
    expect(serviceAccounts.map((s: { id: string }) => s.id)).not.toContain(SA.paymentsDeployer);
    expect(serviceAccounts).toHaveLength(8);
    expect((await api.get(`/cloud/service-accounts/${SA.paymentsDeployer}`, v17)).status).toBe(404);
    const groups = (await api.get("/cloud/user-groups", { headers: { "temporal-cloud-api-version": "2024-10-01-00" } })).body.groups;
    expect(groups.some((g: { spec: { access: object } }) => "projectAccesses" in g.spec.access)).toBe(false);
    // Namespace.project_id carries no version marker upstream: it is served to every version.
    expect((await api.get(`/cloud/namespaces/${NS.analytics}`, v17)).body.namespace.projectId).toBe(DEMO_IDS.projects.data);
    const latest = (await api.get(`/cloud/users/${U.carol}`, { headers: { "temporal-cloud-api-version": "v0.18.0" } })).body.user;
    expect(latest.spec.access.projectAccesses).toEqual({ [DEMO_IDS.projects.payments]: { role: "PROJECT_ROLE_WRITE" } });
  });

  it("serializes group types as oneof members, the Cloud type as {}", async () => {
    const { body } = await api.get("/cloud/user-groups");
    const byId = new Map(body.groups.map((g: { id: string }) => [g.id, g]));
    expect((byId.get(G.platformEngineering) as { spec: unknown }).spec).toMatchObject({
      googleGroup: { emailAddress: "platform-eng@acme.example" },
    });
    expect((byId.get(G.sreOnCall) as { spec: unknown }).spec).toMatchObject({ scimGroup: { idpId: "00g1sreoncall" } });
    expect((byId.get(G.finance) as { spec: unknown }).spec).toEqual({
      displayName: "Finance",
      access: { accountAccess: {} },
      cloudGroup: {},
    });
    expect(body.groups.map((g: { spec: { displayName: string } }) => g.spec.displayName)).toEqual([
      "Admins",
      "Data Analysts",
      "Finance",
      "Platform Engineering",
      "SRE On-Call",
    ]);
  });

  it("never lists secrets and computes EXPIRED at read time", async () => {
    const reply = await api.get("/cloud/api-keys");
    for (const secret of Object.values(DEMO_API_KEYS)) expect(reply.text).not.toContain(secret);
    const byId = new Map(reply.body.apiKeys.map((k: { id: string; state: string }) => [k.id, k.state]));
    expect(byId.get(K.paymentsWorker2025)).toBe("RESOURCE_STATE_EXPIRED");
    expect(byId.get(K.metricsOld)).toBe("RESOURCE_STATE_ACTIVE");
    const metricsOld = reply.body.apiKeys.find((k: { id: string }) => k.id === K.metricsOld);
    expect(metricsOld.spec.disabled).toBe(true);
    const alice = reply.body.apiKeys.find((k: { id: string }) => k.id === K.aliceLaptop);
    expect(alice.spec).not.toHaveProperty("disabled");
    expect(alice.spec.ownerType).toBe("OWNER_TYPE_USER");
  });

  it("returns namespaces with regions and endpoints, ordered by name", async () => {
    const { body } = await api.get("/cloud/namespaces");
    expect(body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual([
      NS.analytics,
      NS.ordersProd,
      NS.paymentsDev,
      NS.paymentsProd,
    ]);
    const prod = body.namespaces[3];
    expect(prod.activeRegion).toBe("aws-us-east-1");
    expect(prod.replicas.map((r: { region: string }) => r.region)).toEqual(["aws-us-east-1", "aws-us-west-2"]);
    expect(prod.endpoints.webAddress).toContain(NS.paymentsProd);
    const one = await api.get(`/cloud/namespaces/${NS.analytics}`);
    expect(one.body.namespace.spec.name).toBe("analytics");
  });

  it("returns the account", async () => {
    const { body } = await api.get("/cloud/account");
    expect(body.account).toMatchObject({ id: "acme7", state: "RESOURCE_STATE_ACTIVE" });
  });

  it("accepts snake_case query keys and ignores unknown ones", async () => {
    const camel = await api.get("/cloud/users?pageSize=2&colour=blue");
    const snake = await api.get("/cloud/users?page_size=2");
    expect(camel.body.users).toHaveLength(2);
    expect(snake.body).toEqual(camel.body);
  });
});
