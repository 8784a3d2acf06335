import { afterAll, beforeAll, expect, it } from "vitest";
import { AccountManagerService, ResourceManagerService } from "../../src/connector/c1.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync } from "../../src/sync/syncer.js";
import { outcome, provisioner } from "../helpers/provisioning.js";
import { startStack, type Stack } from "../helpers/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ provisioning: true });
});
afterAll(() => stack.close());

const sync = async () => {
  const store = createMemoryStore();
  await runSync({ api: stack.client, store, workers: 4 });
  return store;
};

/** The whole just-in-time access cycle through a baton-protocol client, with full syncs in between. */
it("sync, grant, re-sync, grant again, revoke, re-sync, revoke again, create an account, delete it", async () => {
  const p = provisioner(stack.client);
  const first = await sync();
  const dave = first.resources.find((r) => r.displayName === "dave@acme.example")!;
  const entitlement = `namespace:${DEMO_IDS.namespaces.paymentsProd}:read`;
  const grantId = `${entitlement}:user:${dave.id!.resource}`;
  expect(first.grants.map((g) => g.id)).not.toContain(grantId);

  expect((await p.grant(entitlement, `user:${dave.id!.resource}`)).alreadyExists).toBe(false);
  expect((await sync()).grants.map((g) => g.id)).toContain(grantId);
  expect((await p.grant(entitlement, `user:${dave.id!.resource}`)).alreadyExists).toBe(true);

  expect((await p.revoke(grantId)).alreadyRevoked).toBe(false);
  expect((await sync()).grants.map((g) => g.id)).not.toContain(grantId);
  expect((await p.revoke(grantId)).alreadyRevoked).toBe(true);

  const created = await stack.client.call(AccountManagerService.method.createAccount, { accountInfo: { emails: [{ address: "jit.contractor@acme.example", isPrimary: true }] } });
  const userId = created.result.value!.resource!.id!.resource;
  expect((await sync()).resources.map((r) => r.displayName)).toContain("jit.contractor@acme.example");
  const deleted = await stack.client.call(ResourceManagerService.method.deleteResource, { resourceId: { resourceType: "user", resource: userId } });
  expect(outcome(deleted.annotations).doesNotExist).toBe(false);
  expect((await sync()).resources.map((r) => r.displayName)).not.toContain("jit.contractor@acme.example");
});
