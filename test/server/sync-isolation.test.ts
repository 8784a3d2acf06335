import { expect, it } from "vitest";
import { NamespaceAccess_Permission as Permission, AccountAccess_Role as Role } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync, type MemoryStore } from "../../src/sync/syncer.js";
import { startStack } from "../helpers/stack.js";

/**
 * Two full syncs run at the same time (different active_sync_id) while the account changes:
 * each sees one consistent view — its resources and its grants come from the same data — and
 * neither is served the other's cached data.
 */
it("concurrent syncs of a changing account each see a consistent view", async () => {
  const stack = await startStack();
  try {
    const ns = DEMO_IDS.namespaces.analytics;
    let syncB: Promise<MemoryStore> | undefined;
    let startsOfB = 0;
    let newcomer = "";
    // When sync A has listed every resource, the account changes and sync B starts; A goes on
    // with its entitlements and grants while B runs.
    const changeAndStartB = () => {
      startsOfB++;
      newcomer = stack.simulator.store.addUser({ spec: { email: "newcomer@acme.example", access: { accountAccess: { role: Role.READ }, namespaceAccesses: { [ns]: { permission: Permission.WRITE } } } } }).id;
      stack.simulator.store.setNamespaceAccess("user", DEMO_IDS.users.dave, ns, Permission.READ);
      syncB = (async () => {
        const store = createMemoryStore();
        await runSync({ api: stack.client, store, workers: 4, skipExpandGrants: true });
        return store;
      })();
    };
    const a = createMemoryStore();
    await runSync({ api: stack.client, store: a, workers: 4, skipExpandGrants: true, onProgress: (p) => p.phase === "resources" && changeAndStartB() });
    expect(startsOfB).toBe(1); // once, when A had listed its resources
    const b = await syncB!;

    const ids = (s: MemoryStore) => ({ resources: new Set(s.resources.map((r) => `${r.id!.resourceType}:${r.id!.resource}`)), grants: new Set(s.grants.map((g) => g.id)) });
    const [viewA, viewB] = [ids(a), ids(b)];
    // A: the account as it was when A read it, in resources and grants alike.
    expect(viewA.resources.has(`user:${newcomer}`)).toBe(false);
    expect(viewA.grants.has(`namespace:${ns}:write:user:${newcomer}`)).toBe(false);
    expect(viewA.grants.has(`namespace:${ns}:write:user:${DEMO_IDS.users.dave}`)).toBe(true);
    expect(viewA.grants.has(`namespace:${ns}:read:user:${DEMO_IDS.users.dave}`)).toBe(false);
    // B: the changed account, not A's cached lists.
    expect(viewB.resources.has(`user:${newcomer}`)).toBe(true);
    expect(viewB.grants.has(`namespace:${ns}:write:user:${newcomer}`)).toBe(true);
    expect(viewB.grants.has(`namespace:${ns}:read:user:${DEMO_IDS.users.dave}`)).toBe(true);
    expect(viewB.grants.has(`namespace:${ns}:write:user:${DEMO_IDS.users.dave}`)).toBe(false);
    // In each view, every grant's principal is a resource of that same view.
    for (const view of [viewA, viewB]) {
      for (const grant of view.grants) {
        const [type, id] = grant.split(":").slice(-2);
        expect(view.resources.has(`${type}:${id}`), grant).toBe(true);
      }
    }
  } finally {
    await stack.close();
  }
});
