import { afterEach, describe, expect, it } from "vitest";
import { DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import { ROUTES } from "../../../src/simulator/temporal/index.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, type Api } from "./simulator-helper.js";

const { users: U } = DEMO_IDS;

describe("read cache (cacheReads, for benchmarks)", () => {
  let sim: Simulator;
  let api: Api;
  afterEach(() => sim.close());

  // A change made directly through the store bypasses the cache: what a read returns then tells
  // whether it was answered from the cache or computed again.
  const renameDave = (email: string) =>
    sim.store.updateUser(U.dave, (spec) => {
      spec.email = email;
    });

  it("answers a repeated list read from the body sent before, until a write through the API", async () => {
    ({ sim, api } = await startDemo({ cacheReads: true }));
    const first = await api.get("/cloud/users?pageSize=1000");
    renameDave("dave.renamed@acme.example");
    const again = await api.get("/cloud/users?pageSize=1000");
    expect(again.text).toBe(first.text);
    // Another query, or another caller, is another entry.
    expect((await api.get("/cloud/users?pageSize=999")).text).toContain("dave.renamed@acme.example");

    const dave = (await api.get(`/cloud/users/${U.dave}`)).body.user;
    const role = dave.spec.access.accountAccess.role === "ROLE_READ" ? "ROLE_DEVELOPER" : "ROLE_READ";
    const spec = { ...dave.spec, access: { ...dave.spec.access, accountAccess: { role } } };
    const write = await api.post(`/cloud/users/${U.dave}`, { spec, resourceVersion: dave.resourceVersion });
    expect(write.status, write.text).toBe(200);
    const after = await api.get("/cloud/users?pageSize=1000");
    expect(after.text).toContain("dave.renamed@acme.example");
    expect(after.body.users.find((u: { id: string }) => u.id === U.dave).spec.access.accountAccess.role).toBe(role);
  });

  it("is off by default: every read sees the account as it is", async () => {
    ({ sim, api } = await startDemo());
    await api.get("/cloud/users?pageSize=1000");
    renameDave("dave.renamed@acme.example");
    expect((await api.get("/cloud/users?pageSize=1000")).text).toContain("dave.renamed@acme.example");
  });

});

describe("cacheable routes", () => {
  it("are reads that depend on neither the clock nor pending operations", () => {
    // current-identity and API keys show key expiry as of now; operations change as they settle.
    const cacheable = ROUTES.filter((r) => r.cacheable).map((r) => r.name);
    expect(cacheable.sort()).toEqual(["GetAccount", "GetCustomRoles", "GetNamespaces", "GetProjects", "GetServiceAccounts", "GetUserGroupMembers", "GetUserGroups", "GetUsers"]);
    expect(ROUTES.filter((r) => r.cacheable && r.method !== "GET")).toEqual([]);
  });
});
