import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findAnnotation } from "../../src/connector/annotations.js";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { AccountManagerService, ResourceDeleterService, ResourceManagerService, Status_ResourceStatus, UserTraitSchema } from "../../src/connector/c1.js";
import { AccountAccess_Role as Role, NamespaceAccess_Permission as Permission } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { AsyncOperation_State } from "../../src/gen/temporal/api/cloud/operation/v1/message_pb.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { expectCode } from "../helpers/grpc.js";
import { provisioner } from "../helpers/provisioning.js";
import { startStack, type Stack } from "../helpers/stack.js";

const { users: U, serviceAccounts: SA, groups: G, namespaces: NS } = DEMO_IDS;

/**
 * Provisioning must do exactly what was asked, once: grants happen, revokes never remove more
 * than asked, repeated calls change nothing, and refusals leave the account untouched.
 */
describe("provisioning namespace permissions and account roles", () => {
  let stack: Stack;
  let p: ReturnType<typeof provisioner>;
  beforeEach(async () => {
    stack = await startStack({ provisioning: true });
    p = provisioner(stack.client);
  });
  afterEach(() => stack.close());

  const user = (id: string) => stack.simulator.store.users.get(id)!;
  const writes = () => ["UpdateUser", "UpdateServiceAccount", "UpdateUserGroup", "SetUserNamespaceAccess", "SetServiceAccountNamespaceAccess", "SetUserGroupNamespaceAccess"].reduce((n, r) => n + (stack.simulator.stats.byRoute.get(r) ?? 0), 0);
  /** unchanged asserts a refused or idempotent call wrote nothing. */
  const noWrites = async (call: () => Promise<unknown>) => {
    const before = writes();
    await call();
    expect(writes()).toBe(before);
  };

  describe("namespace permissions", () => {
    it("grants with the per-namespace endpoint, idempotently, then replaces the level and revokes exactly", async () => {
      const read = `namespace:${NS.paymentsDev}:read`;
      const granted = await p.grant(read, `user:${U.dave}`);
      expect(granted.grants.map((g) => g.id)).toEqual([`${read}:user:${U.dave}`]);
      // The request id is the async operation the change went through, done.
      expect(stack.simulator.store.operations.get(granted.requestId!)).toMatchObject({ operationType: "SetUserNamespaceAccess", state: AsyncOperation_State.FULFILLED });
      expect(granted.alreadyExists).toBe(false);
      expect(user(U.dave).spec!.access!.namespaceAccesses[NS.paymentsDev]?.permission).toBe(Permission.READ);
      // Never a whole-spec rewrite: the other namespaces and the role were not resent.
      expect(stack.simulator.stats.byRoute.get("SetUserNamespaceAccess")).toBe(1);
      expect(stack.simulator.stats.byRoute.get("UpdateUser")).toBeUndefined();
      expect(await p.grantsOf(`namespace:${NS.paymentsDev}`)).toContain(`${read}:user:${U.dave}`);

      await noWrites(async () => expect((await p.grant(read, `user:${U.dave}`)).alreadyExists).toBe(true));

      const write = `namespace:${NS.paymentsDev}:write`;
      const replaced = await p.grant(write, `user:${U.dave}`);
      expect(replaced.replaced).toBe(`${read}:user:${U.dave}`);
      expect(user(U.dave).spec!.access!.namespaceAccesses[NS.paymentsDev]?.permission).toBe(Permission.WRITE);

      // Revoking a level the user does not hold (read, now that it is write) changes nothing.
      await noWrites(async () => expect((await p.revoke(`${read}:user:${U.dave}`)).alreadyRevoked).toBe(true));
      expect(user(U.dave).spec!.access!.namespaceAccesses[NS.paymentsDev]?.permission).toBe(Permission.WRITE);

      const revoked = await p.revoke(`${write}:user:${U.dave}`);
      expect(revoked).toMatchObject({ alreadyRevoked: false, requestId: expect.any(String) });
      expect(user(U.dave).spec!.access!.namespaceAccesses[NS.paymentsDev]).toBeUndefined();
      // Dave's other namespaces are untouched.
      expect(Object.keys(user(U.dave).spec!.access!.namespaceAccesses).sort()).toEqual([NS.analytics, NS.ordersProd].sort());
      expect(await p.grantsOf(`namespace:${NS.paymentsDev}`)).not.toContain(`${write}:user:${U.dave}`);
      await noWrites(async () => expect((await p.revoke(`${write}:user:${U.dave}`)).alreadyRevoked).toBe(true));
    });

    it("refuses explicit grants to owners and admins, who administer every namespace", async () => {
      await noWrites(async () => {
        expect(await expectCode(p.grant(`namespace:${NS.analytics}:read`, `user:${U.alice}`), status.FAILED_PRECONDITION)).toContain("Account Owner role, which already includes admin on every namespace");
        expect(await expectCode(p.grant(`namespace:${NS.analytics}:admin`, `user:${U.bob}`), status.FAILED_PRECONDITION)).toContain("Account Admin");
        await expectCode(p.grant(`namespace:${NS.analytics}:write`, `service-account:${SA.batonConnector}`), status.FAILED_PRECONDITION);
        await expectCode(p.grant(`namespace:${NS.analytics}:write`, `group:${G.admins}`), status.FAILED_PRECONDITION);
        // Their admin access is inherited: a revoke says where it comes from.
        expect(await expectCode(p.revoke(`namespace:${NS.analytics}:admin:account-role:acme7-owner`), status.FAILED_PRECONDITION)).toContain("account role");
        expect(await expectCode(p.revoke(`namespace:${NS.analytics}:admin:user:${U.bob}`), status.FAILED_PRECONDITION)).toContain("Account Admin role");
      });
    });

    it("lets a namespace-scoped service account change only its own namespace's level", async () => {
      const own = `namespace:${NS.paymentsProd}`;
      await noWrites(async () => {
        expect(await expectCode(p.grant(`namespace:${NS.analytics}:read`, `service-account:${SA.paymentsWorker}`), status.FAILED_PRECONDITION)).toContain(`scoped to namespace ${NS.paymentsProd}`);
        expect(await expectCode(p.revoke(`${own}:write:service-account:${SA.paymentsWorker}`), status.FAILED_PRECONDITION)).toContain("always has a permission on its own namespace");
      });
      const replaced = await p.grant(`${own}:admin`, `service-account:${SA.paymentsWorker}`);
      expect(replaced.replaced).toBe(`${own}:write:service-account:${SA.paymentsWorker}`);
      expect(stack.simulator.store.serviceAccounts.get(SA.paymentsWorker)!.spec!.namespaceScopedAccess!.access!.permission).toBe(Permission.ADMIN);
    });

    it("grants to account-scoped service accounts and to groups (expandable to the members)", async () => {
      await p.grant(`namespace:${NS.analytics}:read`, `service-account:${SA.ciDeployer}`);
      expect(stack.simulator.store.serviceAccounts.get(SA.ciDeployer)!.spec!.access!.namespaceAccesses[NS.analytics]?.permission).toBe(Permission.READ);
      const group = await p.grant(`namespace:${NS.paymentsDev}:read`, `group:${G.dataAnalysts}`);
      expect(group.grants[0]!.annotations.map((a) => a.typeUrl)).toContain("type.googleapis.com/c1.connector.v2.GrantExpandable");
      expect(stack.simulator.store.userGroups.get(G.dataAnalysts)!.spec!.access!.namespaceAccesses[NS.paymentsDev]?.permission).toBe(Permission.READ);
      await p.revoke(`namespace:${NS.paymentsDev}:read:group:${G.dataAnalysts}`);
      expect(stack.simulator.store.userGroups.get(G.dataAnalysts)!.spec!.access!.namespaceAccesses[NS.paymentsDev]).toBeUndefined();
    });

    it("answers malformed ids with INVALID_ARGUMENT and unknown principals with NOT_FOUND", async () => {
      await noWrites(async () => {
        expect(await expectCode(p.grant(`namespace:${NS.analytics}:owner`, `user:${U.dave}`), status.INVALID_ARGUMENT)).toContain('unknown namespace permission "owner"');
        const mismatch = await expectCode(
          stack.client.call((await import("../../src/connector/c1.js")).GrantManagerService.method.grant, {
            entitlement: { id: "namespace:other.acme7:read", resource: { id: { resourceType: "namespace", resource: NS.analytics } } },
            principal: { id: { resourceType: "user", resource: U.dave } },
          }),
          status.INVALID_ARGUMENT,
        );
        expect(mismatch).toContain("does not match its resource");
        expect(await expectCode(p.grant(`namespace:${NS.analytics}:read`, `api-key:whatever`), status.INVALID_ARGUMENT)).toContain("not to \"api-key\"");
        expect(await expectCode(p.grant(`namespace:${NS.analytics}:read`, "user:0000000000000000000000000000dead"), status.NOT_FOUND)).toContain("not found");
      });
      // An unknown namespace is refused by Temporal Cloud itself; nothing changes.
      expect(await expectCode(p.grant("namespace:nope.acme7:read", `user:${U.dave}`), status.NOT_FOUND)).toMatch(/HTTP 404/);
      expect(user(U.dave).spec!.access!.namespaceAccesses["nope.acme7"]).toBeUndefined();
    });
  });

  describe("account roles", () => {
    it("replaces the role on grant, preserving namespace access and custom roles, and steps down on revoke", async () => {
      const before = user(U.carol).spec!.access!;
      const granted = await p.grant("account-role:acme7-admin:member", `user:${U.dave}`);
      expect(granted.replaced).toBe(`account-role:acme7-read:member:user:${U.dave}`);
      expect(user(U.dave).spec!.access!.accountAccess!.role).toBe(Role.ADMIN);
      await noWrites(async () => expect((await p.grant("account-role:acme7-admin:member", `user:${U.dave}`)).alreadyExists).toBe(true));

      // Carol keeps her namespaces and custom role through a role change.
      await p.grant("account-role:acme7-read:member", `user:${U.carol}`);
      const after = user(U.carol).spec!.access!;
      expect(after.accountAccess!.role).toBe(Role.READ);
      expect(after.accountAccess!.customRoles).toEqual(before.accountAccess!.customRoles);
      expect(Object.keys(after.namespaceAccesses).sort()).toEqual(Object.keys(before.namespaceAccesses).sort());

      // Revoke only what is held: dave is admin now, so revoking developer does nothing.
      await noWrites(async () => expect((await p.revoke(`account-role:acme7-developer:member:user:${U.dave}`)).alreadyRevoked).toBe(true));
      await p.revoke(`account-role:acme7-admin:member:user:${U.dave}`);
      expect(user(U.dave).spec!.access!.accountAccess!.role).toBe(Role.DEVELOPER);
      await p.revoke(`account-role:acme7-developer:member:user:${U.dave}`);
      expect(user(U.dave).spec!.access!.accountAccess!.role).toBe(Role.READ);
      await p.revoke(`account-role:acme7-metrics-read:member:user:${U.frank}`);
      expect(user(U.frank).spec!.access!.accountAccess!.role).toBe(Role.READ);
      await noWrites(async () => {
        expect(await expectCode(p.revoke(`account-role:acme7-read:member:user:${U.dave}`), status.FAILED_PRECONDITION)).toContain("delete the account instead");
      });
    });

    it("never grants, revokes or overwrites Owner and Finance Admin", async () => {
      await noWrites(async () => {
        expect(await expectCode(p.grant("account-role:acme7-owner:member", `user:${U.dave}`), status.FAILED_PRECONDITION)).toContain("Temporal Support");
        await expectCode(p.grant("account-role:acme7-finance-admin:member", `user:${U.dave}`), status.FAILED_PRECONDITION);
        expect(await expectCode(p.grant("account-role:acme7-developer:member", `user:${U.alice}`), status.FAILED_PRECONDITION)).toContain("holds the Account Owner role");
        expect(await expectCode(p.grant("account-role:acme7-read:member", `user:${U.erin}`), status.FAILED_PRECONDITION)).toContain("Finance Admin");
        await expectCode(p.revoke(`account-role:acme7-owner:member:user:${U.alice}`), status.FAILED_PRECONDITION);
        await expectCode(p.revoke(`account-role:acme7-finance-admin:member:user:${U.erin}`), status.FAILED_PRECONDITION);
      });
      expect(user(U.alice).spec!.access!.accountAccess!.role).toBe(Role.OWNER);
      expect(user(U.erin).spec!.access!.accountAccess!.role).toBe(Role.FINANCE_ADMIN);
    });

    it("handles service accounts, groups and the legacy admin role id", async () => {
      await p.grant("account-role:acme7-developer:member", `service-account:${SA.legacyBatch}`);
      expect(stack.simulator.store.serviceAccounts.get(SA.legacyBatch)!.spec!.access!.accountAccess!.role).toBe(Role.DEVELOPER);
      await noWrites(async () => {
        expect(await expectCode(p.grant("account-role:acme7-developer:member", `service-account:${SA.analyticsReader}`), status.FAILED_PRECONDITION)).toContain("always have the Read account role");
      });
      // A group may have no role: revoking its role clears it.
      await p.grant("account-role:acme7-read:member", `group:${G.finance}`);
      expect(stack.simulator.store.userGroups.get(G.finance)!.spec!.access!.accountAccess!.role).toBe(Role.READ);
      await p.revoke(`account-role:acme7-read:member:group:${G.finance}`);
      expect(stack.simulator.store.userGroups.get(G.finance)!.spec!.access!.accountAccess?.role ?? Role.UNSPECIFIED).toBe(Role.UNSPECIFIED);
      // docs/compatibility.md, "Legacy account-role ids": an id ending in "-<account id>" means Admin.
      const legacy = await p.grant("account-role:anything-acme7:member", `user:${U.judy}`);
      expect(legacy.grants[0]!.id).toBe(`account-role:acme7-admin:member:user:${U.judy}`);
      expect(user(U.judy).spec!.access!.accountAccess!.role).toBe(Role.ADMIN);
      await noWrites(async () => {
        expect(await expectCode(p.grant("account-role:other-role:member", `user:${U.judy}`), status.INVALID_ARGUMENT)).toContain("is not an account role of account acme7");
      });
    });
  });

  describe("accounts", () => {
    const create = (accountInfo: object) => stack.client.call(AccountManagerService.method.createAccount, { accountInfo, credentialOptions: { options: { case: "randomPassword", value: { length: 20n } } } });

    it("invites a new user with the default role, pending its invitation, and reports an existing one", async () => {
      const res = await create({ emails: [{ address: "new.hire@acme.example", isPrimary: true }], login: "ignored@acme.example" });
      if (res.result.case !== "success") throw new Error(`expected success, got ${res.result.case}`);
      const success = res.result.value;
      expect(success.isCreateAccountResult).toBe(true);
      const created = user(success.resource!.id!.resource);
      // The invitation Temporal opened, and when it expires.
      const expires = created.invitation!.expiredTime!;
      expect(success.invitationExpiresAt).toEqual(expires);
      expect(success.resource!.status!.details).toBe(`invitation pending until ${timestampDate(expires).toISOString()}`);
      expect(res.encryptedData).toEqual([]);
      expect(created.spec!.email).toBe("new.hire@acme.example");
      expect(created.spec!.access!.accountAccess!.role).toBe(Role.READ);

      const again = await create({ emails: [{ address: "new.hire@acme.example" }] });
      expect(again.result.case).toBe("alreadyExists");
      expect(stack.simulator.stats.byRoute.get("CreateUser")).toBe(1);

      const existing = await create({ login: "Carol@acme.example" });
      expect(existing.result.case).toBe("alreadyExists");
      expect(existing.result.value?.resource?.id?.resource).toBe(U.carol);
    });

    it("takes the email from the primary address, then login, then profile.email, and refuses none", async () => {
      const viaProfile = await create({ profile: { email: "from.profile@acme.example", first_name: "Pro" } });
      expect(viaProfile.result.case).toBe("success");
      expect(findAnnotation(viaProfile.result.value!.resource!.annotations, UserTraitSchema)?.login).toBe("from.profile@acme.example");
      const primary = await create({ emails: [{ address: "second@acme.example" }, { address: "primary@acme.example", isPrimary: true }] });
      expect(primary.result.value?.resource?.displayName).toBe("primary@acme.example");
      expect(await expectCode(create({}), status.INVALID_ARGUMENT)).toContain("account_info has no email");
      expect(await expectCode(create({ login: "not-an-email" }), status.INVALID_ARGUMENT)).toContain("not a valid email address");
      expect(await expectCode(create({ emails: [{ address: "bad address" }] }), status.INVALID_ARGUMENT)).toContain("must be a valid email address");
    });

    it("deletes a user (DeleteResource and V2), reports one already gone, and never deletes an owner", async () => {
      const del = (id: string, v2 = false) =>
        v2 ? stack.client.call(ResourceDeleterService.method.deleteResourceV2, { resourceId: { resourceType: "user", resource: id } }) : stack.client.call(ResourceManagerService.method.deleteResource, { resourceId: { resourceType: "user", resource: id } });
      const { outcome } = await import("../helpers/provisioning.js");
      expect(outcome((await del(U.heidi)).annotations)).toMatchObject({ doesNotExist: false, requestId: expect.any(String) });
      expect(user(U.heidi)).toBeUndefined();
      expect(outcome((await del(U.heidi)).annotations).doesNotExist).toBe(true);
      expect(outcome((await del(U.frank, true)).annotations).doesNotExist).toBe(false);
      expect(user(U.frank)).toBeUndefined();
      expect(await expectCode(del(U.alice), status.FAILED_PRECONDITION)).toContain("Account Owner");
      expect(user(U.alice).spec!.email).toBe("alice@acme.example");
      expect(user(U.alice).spec!.access!.accountAccess!.role).toBe(Role.OWNER);
    });
  });

  it("marks the status of a pending user as enabled with the invitation details", async () => {
    const res = await stack.client.call(AccountManagerService.method.createAccount, { accountInfo: { login: "pending@acme.example" } });
    expect(res.result.value?.resource?.status?.status).toBe(Status_ResourceStatus.ENABLED);
  });
});
