import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, type Api } from "./simulator-helper.js";

const { users: U, serviceAccounts: SA, groups: G, apiKeys: K, namespaces: NS } = DEMO_IDS;
const ids = (items: { id: string }[] | undefined) => (items ?? []).map((i) => i.id);

describe("list filters", () => {
  let sim: Simulator;
  let api: Api;
  beforeAll(async () => {
    ({ sim, api } = await startDemo());
  });
  afterAll(() => sim.close());

  it("filters users by exact email", async () => {
    expect(ids((await api.get("/cloud/users?email=dave@acme.example")).body.users)).toEqual([U.dave]);
    expect(ids((await api.get("/cloud/users?email=DAVE@acme.example")).body.users)).toEqual([U.dave]);
    expect((await api.get("/cloud/users?email=dav@acme.example")).body).toEqual({});
  });

  it("filters users by namespace: explicit grants plus owners and admins, not group members", async () => {
    const reply = await api.get(`/cloud/users?namespace=${NS.paymentsProd}`);
    expect(ids(reply.body.users).sort()).toEqual([U.alice, U.bob, U.carol].sort());
    const analytics = await api.get(`/cloud/users?namespace=${NS.analytics}`);
    // frank and heidi reach analytics only through "Data Analysts": not listed.
    expect(ids(analytics.body.users).sort()).toEqual([U.alice, U.bob, U.dave].sort());
  });

  it("filters groups by namespace, display name, Google address and SCIM id", async () => {
    expect(ids((await api.get(`/cloud/user-groups?namespace=${NS.ordersProd}`)).body.groups).sort()).toEqual(
      [G.platformEngineering, G.sreOnCall, G.admins].sort(),
    );
    expect(ids((await api.get("/cloud/user-groups?displayName=Finance")).body.groups)).toEqual([G.finance]);
    for (const key of ["googleGroup.emailAddress", "google_group.email_address"]) {
      const reply = await api.get(`/cloud/user-groups?${key}=platform-eng@acme.example`);
      expect(ids(reply.body.groups), key).toEqual([G.platformEngineering]);
    }
    for (const key of ["scimGroup.idpId", "scim_group.idp_id"]) {
      expect(ids((await api.get(`/cloud/user-groups?${key}=00g1sreoncall`)).body.groups), key).toEqual([G.sreOnCall]);
    }
    expect((await api.get("/cloud/user-groups?displayName=Finance&namespace=" + NS.analytics)).body).toEqual({});
  });

  it("filters API keys by owner id and owner type (name or number)", async () => {
    expect(ids((await api.get(`/cloud/api-keys?ownerId=${SA.metricsExporter}`)).body.apiKeys)).toEqual([K.metricsOld]);
    const byName = ids((await api.get("/cloud/api-keys?ownerType=OWNER_TYPE_USER")).body.apiKeys);
    const byNumber = ids((await api.get("/cloud/api-keys?owner_type=1")).body.apiKeys);
    // contractor-export names a user no longer in the account (a security-insight finding).
    expect(byName).toEqual([K.aliceLaptop, K.carolCli, K.contractorExport]);
    expect(byNumber).toEqual(byName);
    expect(ids((await api.get("/cloud/api-keys?ownerType=2")).body.apiKeys)).toHaveLength(4);
    expect((await api.get("/cloud/api-keys?ownerType=OWNER_TYPE_ROBOT")).status).toBe(400);
  });

  it("filters namespaces by exact name", async () => {
    const reply = await api.get("/cloud/namespaces?name=orders-prod");
    expect(reply.body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual([NS.ordersProd]);
    expect((await api.get("/cloud/namespaces?name=orders")).body).toEqual({});
  });

  it("lists namespace assignments with inherited admins and the principal's version", async () => {
    const users = (await api.get(`/cloud/namespaces/${NS.paymentsDev}/user-assignments`)).body.users;
    const carol = users.find((r: { id: string }) => r.id === U.carol);
    const carolNow = (await api.get(`/cloud/users/${U.carol}`)).body.user;
    expect(carol).toEqual({
      id: U.carol,
      email: "carol@acme.example",
      namespaceAccess: { permission: "PERMISSION_ADMIN" },
      resourceVersion: carolNow.resourceVersion,
    });
    const alice = users.find((r: { id: string }) => r.id === U.alice);
    expect(alice).toMatchObject({ inheritedAccess: true, namespaceAccess: { permission: "PERMISSION_ADMIN" } });
    expect(ids(users).sort()).toEqual([U.alice, U.bob, U.carol, U.grace].sort());

    const sas = (await api.get(`/cloud/namespaces/${NS.analytics}/service-account-assignments`)).body.serviceAccounts;
    expect(sas).toEqual([
      expect.objectContaining({ id: SA.batonConnector, inheritedAccess: true }),
      expect.objectContaining({ id: SA.analyticsReader, name: "analytics-reader", namespaceAccess: { permission: "PERMISSION_READ" } }),
      expect.objectContaining({ id: SA.deployBot, inheritedAccess: true }),
    ]);
    const groups = (await api.get(`/cloud/namespaces/${NS.analytics}/user-group-assignments`)).body.groups;
    expect(groups).toEqual([
      expect.objectContaining({ id: G.dataAnalysts, displayName: "Data Analysts", namespaceAccess: { permission: "PERMISSION_WRITE" } }),
      expect.objectContaining({ id: G.admins, inheritedAccess: true }),
    ]);
    expect((await api.get("/cloud/namespaces/nope.acme7/user-assignments")).status).toBe(404);
  });
});
