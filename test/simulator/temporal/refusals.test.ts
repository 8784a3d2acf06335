import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEMO_API_KEYS, DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, type Api } from "./simulator-helper.js";

const { users: U, serviceAccounts: SA, groups: G, namespaces: NS, customRoles: CR, apiKeys: K } = DEMO_IDS;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe("refused and restricted mutations", () => {
  let sim: Simulator;
  let api: Api;
  beforeEach(async () => {
    ({ sim, api } = await startDemo());
  });
  afterEach(() => sim.close());

  const user = async (id: string) => (await api.get(`/cloud/users/${id}`)).body.user;
  const setRole = async (client: Api, id: string, role: string, customRoles: string[] = []) => {
    const current = await user(id);
    return client.post(`/cloud/users/${id}`, {
      spec: { email: current.spec.email, access: { accountAccess: { role, customRoles } } },
      resourceVersion: current.resourceVersion,
    });
  };

  it("refuses any change to the Account Owner role", async () => {
    const grant = await setRole(api, U.bob, "ROLE_OWNER");
    expect(grant.status).toBe(400);
    expect(grant.body.code).toBe(9);
    expect(grant.body.message).toContain("changes to the Account Owner role must be made through Temporal Support");
    const demote = await setRole(api.as(DEMO_API_KEYS.aliceLaptop), U.alice, "ROLE_ADMIN");
    expect(demote.status).toBe(400);
    expect(demote.body.code).toBe(9);
    const invite = await api.post("/cloud/users", { spec: { email: "boss@acme.example", access: { accountAccess: { role: 1 } } } });
    expect(invite.status).toBe(400);
    expect(invite.body.code).toBe(9);
    const alice = await user(U.alice);
    const remove = await api.delete(`/cloud/users/${U.alice}?resourceVersion=${alice.resourceVersion}`);
    expect(remove.status).toBe(400);
    expect(remove.body.code).toBe(9);
  });

  it("lets only an owner assign Finance Admin", async () => {
    const byAdmin = await setRole(api, U.frank, "ROLE_FINANCE_ADMIN");
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.code).toBe(7);
    const byOwner = await setRole(api.as(DEMO_API_KEYS.aliceLaptop), U.frank, "ROLE_FINANCE_ADMIN");
    expect(byOwner.status).toBe(200);
    expect((await user(U.frank)).spec.access.accountAccess.role).toBe("ROLE_FINANCE_ADMIN");
  });

  it("requires a built-in role and existing ids for custom roles", async () => {
    const noRole = await setRole(api, U.ivan, "ROLE_UNSPECIFIED", [CR.billingViewer]);
    expect(noRole.status).toBe(400);
    expect(noRole.body.message).toMatch(/built-in account role/);
    const unknown = await setRole(api, U.frank, "ROLE_METRICS_READ", ["no-such-role"]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain("no-such-role");
    const ok = await setRole(api, U.frank, "ROLE_METRICS_READ", [CR.billingViewer, CR.billingViewer]);
    expect(ok.status).toBe(200);
    expect((await user(U.frank)).spec.access.accountAccess.customRoles).toEqual([CR.billingViewer]);
  });

  it("refuses custom roles on namespace-scoped service accounts and enforces one scope", async () => {
    const scopedWithRole = await api.post("/cloud/service-accounts", {
      spec: {
        name: "scoped-with-role",
        namespaceScopedAccess: { namespace: NS.analytics, access: { permission: "PERMISSION_READ" } },
        access: { accountAccess: { customRoles: [CR.billingViewer] } },
      },
    });
    expect(scopedWithRole.status).toBe(400);
    expect(scopedWithRole.body.message).toMatch(/namespace-scoped/);
    const both = await api.post("/cloud/service-accounts", {
      spec: {
        name: "both",
        namespaceScopedAccess: { namespace: NS.analytics, access: { permission: "PERMISSION_READ" } },
        access: { accountAccess: { role: "ROLE_READ" } },
      },
    });
    expect(both.status).toBe(400);
    expect((await api.post("/cloud/service-accounts", { spec: { name: "neither" } })).status).toBe(400);
    expect((await api.post("/cloud/service-accounts", { spec: { name: "ci-deployer", access: { accountAccess: { role: "ROLE_READ" } } } })).status).toBe(409);

    const worker = (await api.get(`/cloud/service-accounts/${SA.paymentsWorker}`)).body.serviceAccount;
    const move = await api.post(`/cloud/service-accounts/${SA.paymentsWorker}`, {
      spec: { name: "payments-worker", namespaceScopedAccess: { namespace: NS.paymentsDev, access: { permission: "PERMISSION_WRITE" } } },
      resourceVersion: worker.resourceVersion,
    });
    expect(move.status).toBe(400);
    expect(move.body.message).toMatch(/cannot be changed/);
    const rescope = await api.post(`/cloud/service-accounts/${SA.paymentsWorker}`, {
      spec: { name: "payments-worker", access: { accountAccess: { role: "ROLE_READ" } } },
      resourceVersion: worker.resourceVersion,
    });
    expect(rescope.status).toBe(400);
  });

  it("creates a namespace-scoped service account and deletes it with its keys", async () => {
    const created = await api.post("/cloud/service-accounts", {
      spec: { name: "analytics-writer", namespaceScopedAccess: { namespace: NS.analytics, access: { permission: "PERMISSION_WRITE" } } },
    });
    expect(created.status).toBe(200);
    const id = created.body.serviceAccountId;
    const key = await api.post("/cloud/api-keys", {
      spec: { ownerId: id, ownerType: "OWNER_TYPE_SERVICE_ACCOUNT", displayName: "writer", expiryTime: inDays(30) },
    });
    expect(key.status).toBe(200);
    const version = (await api.get(`/cloud/service-accounts/${id}`)).body.serviceAccount.resourceVersion;
    expect((await api.delete(`/cloud/service-accounts/${id}?resourceVersion=${version}`)).status).toBe(200);
    expect((await api.get(`/cloud/service-accounts/${id}`)).status).toBe(404);
    expect((await api.get(`/cloud/api-keys/${key.body.keyId}`)).status).toBe(404);
    expect((await api.as(key.body.token).get("/cloud/current-identity")).status).toBe(401);
  });

  it("manages members of Cloud groups only", async () => {
    const add = await api.post(`/cloud/user-groups/${G.finance}/members`, { memberId: { userId: U.frank } });
    expect(add.status).toBe(200);
    const members = (await api.get(`/cloud/user-groups/${G.finance}/members`)).body.members.map((m: { memberId: { userId: string } }) => m.memberId.userId);
    expect(members).toEqual([U.erin, U.frank].sort());
    const duplicate = await api.post(`/cloud/user-groups/${G.finance}/members`, { memberId: { userId: U.frank } });
    expect(duplicate.status).toBe(409);
    const google = await api.post(`/cloud/user-groups/${G.platformEngineering}/members`, { memberId: { userId: U.frank } });
    expect(google.status).toBe(400);
    expect(google.body.code).toBe(9);
    const scim = await api.post(`/cloud/user-groups/${G.sreOnCall}/remove-member`, { memberId: { userId: U.ivan } });
    expect(scim.status).toBe(400);
    expect(scim.body.code).toBe(9);
    const notMember = await api.post(`/cloud/user-groups/${G.finance}/remove-member`, { memberId: { userId: U.bob } });
    expect(notMember.status).toBe(404);
    expect((await api.post(`/cloud/user-groups/${G.finance}/members`, { memberId: { userId: "nobody" } })).status).toBe(404);
    const remove = await api.post(`/cloud/user-groups/${G.finance}/remove-member`, { memberId: { userId: U.erin } });
    expect(remove.status).toBe(200);
    expect((await api.get(`/cloud/user-groups/${G.finance}/members`)).body.members).toHaveLength(1);
  });

  it("refuses creating or deleting SCIM groups", async () => {
    const create = await api.post("/cloud/user-groups", { spec: { displayName: "IdP", scimGroup: { idpId: "00gX" } } });
    expect(create.status).toBe(400);
    const version = (await api.get(`/cloud/user-groups/${G.sreOnCall}`)).body.group.resourceVersion;
    expect((await api.delete(`/cloud/user-groups/${G.sreOnCall}?resourceVersion=${version}`)).status).toBe(400);
  });

  it("deletes a user with their group memberships and API keys", async () => {
    const carol = await user(U.carol);
    expect((await api.delete(`/cloud/users/${U.carol}?resourceVersion=${carol.resourceVersion}`)).status).toBe(200);
    expect((await api.get(`/cloud/users/${U.carol}`)).status).toBe(404);
    const members = (await api.get(`/cloud/user-groups/${G.platformEngineering}/members`)).body.members;
    expect(members.map((m: { memberId: { userId: string } }) => m.memberId.userId)).toEqual([U.dave]);
    expect((await api.get(`/cloud/api-keys/${K.carolCli}`)).status).toBe(404);
    expect((await api.as(DEMO_API_KEYS.carolCli).get("/cloud/users")).status).toBe(401);
    expect((await api.delete(`/cloud/users/${U.carol}?resourceVersion=${carol.resourceVersion}`)).status).toBe(404);
  });

  it("returns an API key token once, accepts it, and keeps the owner immutable", async () => {
    const alice = api.as(DEMO_API_KEYS.aliceLaptop);
    const created = await alice.post("/cloud/api-keys", {
      spec: { ownerId: U.alice, ownerType: "OWNER_TYPE_USER", displayName: "alice-ci", expiryTime: inDays(10) },
    });
    expect(created.status).toBe(200);
    expect(created.body.token).toMatch(/^tcsim-/);
    expect((await api.as(created.body.token).get("/cloud/current-identity")).body.user.id).toBe(U.alice);
    const listed = await api.get(`/cloud/api-keys?ownerId=${U.alice}`);
    expect(listed.text).not.toContain(created.body.token);
    const key = (await api.get(`/cloud/api-keys/${created.body.keyId}`)).body.apiKey;
    const steal = await api.post(`/cloud/api-keys/${key.id}`, {
      spec: { ...key.spec, ownerId: U.bob },
      resourceVersion: key.resourceVersion,
    });
    expect(steal.status).toBe(400);
    const disable = await api.post(`/cloud/api-keys/${key.id}`, { spec: { ...key.spec, disabled: true }, resourceVersion: key.resourceVersion });
    expect(disable.status).toBe(200);
    expect((await api.as(created.body.token).get("/cloud/current-identity")).status).toBe(401);
    // Keys of another user cannot be created, even by an admin.
    const forBob = await api.post("/cloud/api-keys", {
      spec: { ownerId: U.bob, ownerType: "OWNER_TYPE_USER", displayName: "x", expiryTime: inDays(10) },
    });
    expect(forBob.status).toBe(403);
    const tooLong = await alice.post("/cloud/api-keys", {
      spec: { ownerId: U.alice, displayName: "forever", expiryTime: inDays(3 * 365) },
    });
    expect(tooLong.status).toBe(400);
  });

  it("creates and deletes custom roles, refusing to delete an assigned one", async () => {
    const created = await api.post("/cloud/custom-roles", {
      spec: {
        name: "ns-reader",
        permissions: [{ resources: { resourceType: "namespace", allowAll: true }, actions: ["cloud.namespace.get"] }],
      },
    });
    expect(created.status).toBe(200);
    const role = (await api.get(`/cloud/custom-roles/${created.body.roleId}`)).body.customRole;
    expect(role.spec.name).toBe("ns-reader");
    expect((await api.delete(`/cloud/custom-roles/${role.id}?resourceVersion=${role.resourceVersion}`)).status).toBe(200);
    expect((await api.get(`/cloud/custom-roles/${role.id}`)).status).toBe(404);
    const assigned = (await api.get(`/cloud/custom-roles/${CR.deployApprover}`)).body.customRole;
    const refused = await api.delete(`/cloud/custom-roles/${assigned.id}?resourceVersion=${assigned.resourceVersion}`);
    expect(refused.status).toBe(400);
    expect((await api.post("/cloud/custom-roles", { spec: { name: "bad", permissions: [] } })).status).toBe(400);
  });
});
