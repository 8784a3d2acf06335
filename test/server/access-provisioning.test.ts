import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { annotation } from "../../src/connector/annotations.js";
import { GrantImmutableSchema, ResourceManagerService } from "../../src/connector/c1.js";
import { AccountAccess_Role as Role } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { AsyncOperation_State } from "../../src/gen/temporal/api/cloud/operation/v1/message_pb.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync } from "../../src/sync/syncer.js";
import { expectCode } from "../helpers/grpc.js";
import { entitlementRef, outcome, provisioner, ref } from "../helpers/provisioning.js";
import { startStack, type Stack } from "../helpers/stack.js";

const { users: U, serviceAccounts: SA, groups: G, customRoles: CR, apiKeys: K, namespaces: NS } = DEMO_IDS;

/** Group membership, custom roles, API keys, and the grants that cannot be revoked directly. */
describe("provisioning groups, custom roles and API keys", () => {
  let stack: Stack;
  let p: ReturnType<typeof provisioner>;
  beforeEach(async () => {
    stack = await startStack({ provisioning: true });
    p = provisioner(stack.client);
  });
  afterEach(() => stack.close());

  const members = (groupId: string) => [...(stack.simulator.store.groupMembers(groupId)?.keys() ?? [])].sort();
  const customRoles = (userId: string) => stack.simulator.store.users.get(userId)!.spec!.access!.accountAccess!.customRoles;

  describe("Cloud group membership", () => {
    it("adds and removes a member, idempotently", async () => {
      const member = `group:${G.dataAnalysts}:member`;
      const added = await p.grant(member, `user:${U.grace}`);
      expect(added.grants.map((g) => g.id)).toEqual([`${member}:user:${U.grace}`]);
      // The request id is the async operation the change went through, done.
      expect(stack.simulator.store.operations.get(added.requestId!)).toMatchObject({ operationType: "AddUserGroupMember", state: AsyncOperation_State.FULFILLED });
      expect(members(G.dataAnalysts)).toContain(U.grace);
      expect((await p.grant(member, `user:${U.grace}`)).alreadyExists).toBe(true);
      expect(stack.simulator.stats.byRoute.get("AddUserGroupMember")).toBe(1);
      expect(await p.grantsOf(`group:${G.dataAnalysts}`)).toContain(`${member}:user:${U.grace}`);

      expect((await p.revoke(`${member}:user:${U.grace}`)).alreadyRevoked).toBe(false);
      expect(members(G.dataAnalysts)).not.toContain(U.grace);
      expect((await p.revoke(`${member}:user:${U.grace}`)).alreadyRevoked).toBe(true);
      expect(stack.simulator.stats.byRoute.get("RemoveUserGroupMember")).toBe(1);
    });

    it("refuses Google and SCIM groups, whose membership the identity provider manages", async () => {
      expect(await expectCode(p.grant(`group:${G.platformEngineering}:member`, `user:${U.grace}`), status.FAILED_PRECONDITION)).toContain("managed in Google Workspace");
      expect(await expectCode(p.grant(`group:${G.sreOnCall}:member`, `user:${U.grace}`), status.FAILED_PRECONDITION)).toContain("managed by the identity provider");
      expect(await expectCode(p.revoke(`group:${G.sreOnCall}:member:user:${U.ivan}`), status.FAILED_PRECONDITION)).toContain("identity provider");
      expect(members(G.sreOnCall)).toEqual([U.ivan, U.judy].sort());
      expect(stack.simulator.stats.byRoute.get("AddUserGroupMember")).toBeUndefined();
    });

    it("accepts only existing users as members", async () => {
      expect(await expectCode(p.grant(`group:${G.dataAnalysts}:member`, `service-account:${SA.ciDeployer}`), status.INVALID_ARGUMENT)).toContain("only users");
      await expectCode(p.grant(`group:${G.dataAnalysts}:member`, "user:00000000000000000000000000000bad"), status.NOT_FOUND);
      await expectCode(p.grant("group:00000000000000000000000000000bad:member", `user:${U.grace}`), status.NOT_FOUND);
    });
  });

  describe("custom roles", () => {
    it("grants and revokes a custom role on top of the built-in role, idempotently", async () => {
      const member = `custom-role:${CR.billingViewer}:member`;
      await p.grant(member, `user:${U.dave}`);
      expect(customRoles(U.dave)).toEqual([CR.billingViewer]);
      expect(stack.simulator.store.users.get(U.dave)!.spec!.access!.accountAccess!.role).toBe(Role.READ);
      expect((await p.grant(member, `user:${U.dave}`)).alreadyExists).toBe(true);
      // Carol's existing custom role stays when she gets another.
      await p.grant(member, `user:${U.carol}`);
      expect(customRoles(U.carol)).toEqual([CR.deployApprover, CR.billingViewer]);
      await p.revoke(`${member}:user:${U.carol}`);
      expect(customRoles(U.carol)).toEqual([CR.deployApprover]);
      expect((await p.revoke(`${member}:user:${U.carol}`)).alreadyRevoked).toBe(true);
    });

    it("grants to groups and account-scoped service accounts", async () => {
      const member = `custom-role:${CR.billingViewer}:member`;
      const group = await p.grant(member, `group:${G.dataAnalysts}`);
      expect(group.grants[0]!.annotations.map((a) => a.typeUrl)).toContain("type.googleapis.com/c1.connector.v2.GrantExpandable");
      await p.grant(member, `service-account:${SA.legacyBatch}`);
      expect(stack.simulator.store.serviceAccounts.get(SA.legacyBatch)!.spec!.access!.accountAccess!.customRoles).toEqual([CR.billingViewer]);
      expect(await p.grantsOf(`custom-role:${CR.billingViewer}`)).toEqual([`${member}:group:${G.dataAnalysts}`, `${member}:service-account:${SA.legacyBatch}`]);
    });

    it("refuses namespace-scoped service accounts, principals without a built-in role, owners and unknown roles", async () => {
      const member = `custom-role:${CR.billingViewer}:member`;
      expect(await expectCode(p.grant(member, `service-account:${SA.paymentsWorker}`), status.FAILED_PRECONDITION)).toContain("namespace-scoped");
      expect(await expectCode(p.grant(member, `user:${U.ivan}`), status.FAILED_PRECONDITION)).toContain("grant an account role first");
      expect(await expectCode(p.grant(member, `user:${U.alice}`), status.FAILED_PRECONDITION)).toContain("Account Owner");
      await expectCode(p.grant("custom-role:00000000000000000000000000000bad:member", `user:${U.dave}`), status.NOT_FOUND);
      expect(stack.simulator.stats.byRoute.get("UpdateUser")).toBeUndefined();
    });
  });

  describe("API keys", () => {
    it("DeleteResource revokes the credential", async () => {
      const del = () => stack.client.call(ResourceManagerService.method.deleteResource, { resourceId: { resourceType: "api-key", resource: K.carolCli } });
      expect(outcome((await del()).annotations)).toMatchObject({ doesNotExist: false, requestId: expect.any(String) });
      expect(stack.simulator.store.apiKeys.get(K.carolCli)).toBeUndefined();
      expect(outcome((await del()).annotations).doesNotExist).toBe(true);
    });
  });

  describe("grants that cannot be revoked directly", () => {
    it("refuses a revoke of an immutable grant with where the access comes from, before any upstream call", async () => {
      const before = stack.simulator.stats.requests;
      const grant = {
        id: `account-role:acme7-read:member:service-account:${SA.paymentsWorker}`,
        entitlement: entitlementRef("account-role:acme7-read:member"),
        principal: ref(`service-account:${SA.paymentsWorker}`),
        annotations: [annotation(GrantImmutableSchema, { metadata: { reason: "namespace-scoped service accounts always have the Read account role" } })],
      };
      expect(await expectCode(p.revoke(grant as never), status.FAILED_PRECONDITION)).toContain("namespace-scoped service accounts always have the Read account role");
      expect(stack.simulator.stats.requests).toBe(before);
    });

    it("refuses a revoke of a grant the platform expanded from a group", async () => {
      // Data Analysts hold write on analytics; frank holds it only as a member.
      const grant = {
        id: `namespace:${NS.analytics}:write:user:${U.frank}`,
        entitlement: entitlementRef(`namespace:${NS.analytics}:write`),
        principal: ref(`user:${U.frank}`),
        sources: { sources: { [`group:${G.dataAnalysts}:member`]: { isDirect: false } } },
      };
      expect(await expectCode(p.revoke(grant as never), status.FAILED_PRECONDITION)).toContain(`comes from group:${G.dataAnalysts}:member`);
    });

    it("refuses every immutable grant a sync lists", async () => {
      const store = createMemoryStore();
      await runSync({ api: stack.client, store, skipExpandGrants: true }); // the grants the connector lists
      const immutable = store.grants.filter((g) => g.annotations.some((a) => a.typeUrl.endsWith("GrantImmutable")));
      expect(immutable.length).toBeGreaterThan(10);
      const writesBefore = stack.simulator.stats.requests;
      // Developer project roles are not assignable at all: their revoke is an invalid request.
      const developer = (g: (typeof immutable)[number]) => g.entitlement!.id.startsWith("project:") && g.entitlement!.id.endsWith(":developer");
      expect(immutable.filter(developer)).toHaveLength(3);
      for (const grant of immutable) await expectCode(p.revoke(grant), developer(grant) ? status.INVALID_ARGUMENT : status.FAILED_PRECONDITION);
      expect(stack.simulator.stats.requests - writesBefore).toBe(0);
    });
  });
});
