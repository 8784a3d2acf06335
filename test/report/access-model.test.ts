import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAccessModel, isDerived, type Ref } from "../../src/report/access-model.js";
import { createDemoAccount, DEMO_API_KEY, generateAccount } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync, type MemoryStore } from "../../src/sync/syncer.js";
import { startStack, type Stack } from "../helpers/stack.js";

/**
 * The access report works out group and inherited access itself, from the grants the connector
 * lists. A sync that expands grants stores that access as derived grants. The two must agree: for
 * every user and service account, what the report says it holds (directly, through a group, or
 * as an owner or admin on every namespace) is exactly what the synced grants give it.
 */
describe("the access report agrees with the expanded grants of a sync", () => {
  const accounts = [
    ["the demo account", () => ({ account: createDemoAccount(), apiKey: DEMO_API_KEY })],
    ["a generated account", () => {
      const account = generateAccount({ users: 300, serviceAccounts: 30, namespaces: 8, groups: 12, membersPerGroup: 15, customRoles: 5, apiKeys: 40, seed: 9 });
      return { account, apiKey: account.apiKey };
    }],
  ] as const;
  for (const [name, make] of accounts) {
    describe(name, () => {
      let stack: Stack;
      let store: MemoryStore;
      beforeAll(async () => {
        stack = await startStack(make());
        store = createMemoryStore();
        await runSync({ api: stack.client, store });
      });
      afterAll(() => stack?.close());

      it("gives every user and service account the entitlements its grants, direct and derived, give it", () => {
        const model = buildAccessModel({ resourceTypes: store.resourceTypes, resources: store.resources, grants: store.grants });
        expect(model.derivedGrantCount).toBe(store.grants.filter(isDerived).length);
        expect(model.derivedGrantCount).toBeGreaterThan(0);
        const namespaces = (model.byType.get("namespace") ?? []).map((r) => r.id!.resource);
        const fromReport = (p: Ref) =>
          new Set([
            ...(p.type === "user" ? (model.userGroups.get(p.id) ?? []).map((g) => `group:${g}:member`) : []),
            ...model.rolesOf(p).map((h) => `account-role:${h.what}:member`),
            ...model.customRolesOf(p).map((h) => `custom-role:${h.what}:member`),
            ...model.namespacesOf(p).map((h) => `namespace:${h.what.namespace}:${h.what.level}`),
            ...(model.adminEverywhereVia(p).length > 0 ? namespaces.map((ns) => `namespace:${ns}:admin`) : []),
            ...[...model.projectAccess].flatMap(([project, ways]) => ways.filter((w) => w.holders.some((h) => h.type === p.type && h.id === p.id)).map((w) => `project:${project}:${w.level}`)),
          ]);
        const fromGrants = new Map<string, Set<string>>();
        for (const g of store.grants) {
          const p = g.principal!.id!;
          const key = `${p.resourceType}:${p.resource}`;
          if (!fromGrants.has(key)) fromGrants.set(key, new Set());
          fromGrants.get(key)!.add(g.entitlement!.id);
        }
        let compared = 0;
        for (const type of ["user", "service-account"]) {
          for (const r of model.byType.get(type) ?? []) {
            const p = { type, id: r.id!.resource };
            expect([...fromReport(p)].sort(), `${type}:${p.id}`).toEqual([...(fromGrants.get(`${type}:${p.id}`) ?? [])].sort());
            compared++;
          }
        }
        expect(compared).toBeGreaterThan(10);
      });
    });
  }
});
