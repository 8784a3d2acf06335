import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEMO_API_KEYS, DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, type Api } from "./simulator-helper.js";

const { users: U, serviceAccounts: SA, groups: G, namespaces: NS } = DEMO_IDS;

describe("Set*NamespaceAccess", () => {
  let sim: Simulator;
  let api: Api;
  beforeEach(async () => {
    ({ sim, api } = await startDemo());
  });
  afterEach(() => sim.close());

  const versionOf = async (path: string, key: string): Promise<string> => (await api.get(path)).body[key].resourceVersion;
  const userVersion = (id: string) => versionOf(`/cloud/users/${id}`, "user");
  const saVersion = (id: string) => versionOf(`/cloud/service-accounts/${id}`, "serviceAccount");
  const groupVersion = (id: string) => versionOf(`/cloud/user-groups/${id}`, "group");

  it("adds, changes and removes exactly one namespace access of a user", async () => {
    const path = `/cloud/namespaces/${NS.analytics}/users/${U.carol}/access`;
    expect((await api.post(path, { access: { permission: "PERMISSION_READ" }, resourceVersion: await userVersion(U.carol) })).status).toBe(200);
    let carol = (await api.get(`/cloud/users/${U.carol}`)).body.user;
    expect(carol.spec.access.namespaceAccesses).toEqual({
      [NS.paymentsProd]: { permission: "PERMISSION_WRITE" },
      [NS.paymentsDev]: { permission: "PERMISSION_ADMIN" },
      [NS.analytics]: { permission: "PERMISSION_READ" },
    });
    expect(carol.spec.access.accountAccess.customRoles).toEqual([DEMO_IDS.customRoles.deployApprover]);
    expect((await api.post(path, { access: { permission: "PERMISSION_ADMIN" }, resourceVersion: carol.resourceVersion })).status).toBe(200);
    carol = (await api.get(`/cloud/users/${U.carol}`)).body.user;
    expect(carol.spec.access.namespaceAccesses[NS.analytics]).toEqual({ permission: "PERMISSION_ADMIN" });
    // An empty access removes the entry; so does PERMISSION_UNSPECIFIED.
    expect((await api.post(path, { resourceVersion: carol.resourceVersion })).status).toBe(200);
    carol = (await api.get(`/cloud/users/${U.carol}`)).body.user;
    expect(carol.spec.access.namespaceAccesses[NS.analytics]).toBeUndefined();
    const devPath = `/cloud/namespaces/${NS.paymentsDev}/users/${U.carol}/access`;
    const removal = await api.post(devPath, { access: { permission: "PERMISSION_UNSPECIFIED" }, resourceVersion: carol.resourceVersion });
    expect(removal.status).toBe(200);
    carol = (await api.get(`/cloud/users/${U.carol}`)).body.user;
    expect(Object.keys(carol.spec.access.namespaceAccesses)).toEqual([NS.paymentsProd]);
    const again = await api.post(devPath, { access: {}, resourceVersion: carol.resourceVersion });
    expect(again.status).toBe(400);
    expect(again.body.message).toContain("nothing to change");
  });

  it("updates assignment rows and their resource version", async () => {
    await api.post(`/cloud/namespaces/${NS.ordersProd}/users/${U.frank}/access`, {
      access: { permission: "PERMISSION_WRITE" },
      resourceVersion: await userVersion(U.frank),
    });
    const rows = (await api.get(`/cloud/namespaces/${NS.ordersProd}/user-assignments`)).body.users;
    const frank = rows.find((r: { id: string }) => r.id === U.frank);
    expect(frank.namespaceAccess).toEqual({ permission: "PERMISSION_WRITE" });
    expect(frank.resourceVersion).toBe(await userVersion(U.frank));
    // The row's version is enough for the next write.
    const next = await api.post(`/cloud/namespaces/${NS.ordersProd}/users/${U.frank}/access`, {
      access: { permission: "PERMISSION_READ" },
      resourceVersion: frank.resourceVersion,
    });
    expect(next.status).toBe(200);
  });

  it("sets service-account and group accesses", async () => {
    const sa = await api.post(`/cloud/namespaces/${NS.analytics}/service-accounts/${SA.legacyBatch}/access`, {
      access: { permission: "PERMISSION_READ" },
      resourceVersion: await saVersion(SA.legacyBatch),
    });
    expect(sa.status).toBe(200);
    expect((await api.get(`/cloud/service-accounts/${SA.legacyBatch}`)).body.serviceAccount.spec.access.namespaceAccesses).toEqual({
      [NS.analytics]: { permission: "PERMISSION_READ" },
    });
    const group = await api.post(`/cloud/namespaces/${NS.paymentsProd}/user-groups/${G.sreOnCall}/access`, {
      resourceVersion: await groupVersion(G.sreOnCall),
    });
    expect(group.status).toBe(200);
    const sre = (await api.get(`/cloud/user-groups/${G.sreOnCall}`)).body.group;
    expect(Object.keys(sre.spec.access.namespaceAccesses)).toEqual([NS.ordersProd]);
    expect(sre.spec.scimGroup.idpId).toBe("00g1sreoncall");
  });

  it("changes a namespace-scoped service account only on its own namespace", async () => {
    const path = (ns: string) => `/cloud/namespaces/${ns}/service-accounts/${SA.paymentsWorker}/access`;
    const other = await api.post(path(NS.paymentsDev), { access: { permission: "PERMISSION_READ" }, resourceVersion: await saVersion(SA.paymentsWorker) });
    expect(other.status).toBe(400);
    expect(other.body.code).toBe(3);
    const own = await api.post(path(NS.paymentsProd), { access: { permission: "PERMISSION_ADMIN" }, resourceVersion: await saVersion(SA.paymentsWorker) });
    expect(own.status).toBe(200);
    const worker = (await api.get(`/cloud/service-accounts/${SA.paymentsWorker}`)).body.serviceAccount;
    expect(worker.spec.namespaceScopedAccess).toEqual({ namespace: NS.paymentsProd, access: { permission: "PERMISSION_ADMIN" } });
    expect(worker.spec.access).toBeUndefined();
    const removal = await api.post(path(NS.paymentsProd), { resourceVersion: worker.resourceVersion });
    expect(removal.status).toBe(400);
  });

  it("refuses owners and admins, who already administer every namespace", async () => {
    for (const [path, version] of [
      [`/cloud/namespaces/${NS.analytics}/users/${U.alice}/access`, await userVersion(U.alice)],
      [`/cloud/namespaces/${NS.analytics}/users/${U.bob}/access`, await userVersion(U.bob)],
      [`/cloud/namespaces/${NS.analytics}/service-accounts/${SA.batonConnector}/access`, await saVersion(SA.batonConnector)],
      [`/cloud/namespaces/${NS.analytics}/user-groups/${G.admins}/access`, await groupVersion(G.admins)],
    ] as const) {
      const reply = await api.post(path, { access: { permission: "PERMISSION_READ" }, resourceVersion: version });
      expect(reply.status, path).toBe(400);
      expect(reply.body.code).toBe(3);
      expect(reply.body.message).toMatch(/admin access to every namespace/);
    }
  });

  it("drops namespace accesses sent for an admin in an update", async () => {
    const reply = await api.post(`/cloud/users/${U.dave}`, {
      spec: {
        email: "dave@acme.example",
        access: { accountAccess: { role: "ROLE_ADMIN" }, namespaceAccesses: { [NS.analytics]: { permission: "PERMISSION_READ" } } },
      },
      resourceVersion: await userVersion(U.dave),
    });
    expect(reply.status).toBe(200);
    const dave = (await api.get(`/cloud/users/${U.dave}`)).body.user;
    expect(dave.spec.access).toEqual({ accountAccess: { role: "ROLE_ADMIN" } });
  });

  it("answers unknown namespaces and principals with 404", async () => {
    const version = await userVersion(U.dave);
    expect((await api.post(`/cloud/namespaces/nope.acme7/users/${U.dave}/access`, { access: { permission: 3 }, resourceVersion: version })).status).toBe(404);
    expect((await api.post(`/cloud/namespaces/${NS.analytics}/users/0000/access`, { access: { permission: 3 }, resourceVersion: version })).status).toBe(404);
  });

  it("lets a Namespace Admin set access on that namespace only", async () => {
    const carol = api.as(DEMO_API_KEYS.carolCli);
    const ok = await carol.post(`/cloud/namespaces/${NS.paymentsDev}/users/${U.frank}/access`, {
      access: { permission: "PERMISSION_READ" },
      resourceVersion: await userVersion(U.frank),
    });
    expect(ok.status).toBe(200);
    const denied = await carol.post(`/cloud/namespaces/${NS.paymentsProd}/users/${U.frank}/access`, {
      access: { permission: "PERMISSION_READ" },
      resourceVersion: await userVersion(U.frank),
    });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe(7);
  });
});
