import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  AccountAccess_Role as Role,
  ApiKeySchema,
  NamespaceAccess_Permission as Permission,
  OwnerType,
  ProjectAccess_ProjectRole as ProjectRole,
  ServiceAccountSchema,
  UserGroupSchema,
  UserSchema,
  type ApiKey,
  type ServiceAccount,
  type User,
  type UserGroup,
} from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { ProjectSchema } from "../../src/gen/temporal/api/cloud/project/v1/message_pb.js";
import { findInsights, PROJECT_ADMIN_RULE, type AccountLists } from "../../src/insights/insight-rules.js";

const now = new Date("2026-06-01T12:00:00Z");
const DAY = 24 * 60 * 60 * 1000;
const daysFromNow = (days: number) => timestampFromDate(new Date(now.getTime() + days * DAY));

function user(id: string, role: Role, init: { invitation?: MessageInitShape<typeof UserSchema>["invitation"] } = {}, namespaces: Record<string, Permission> = {}, customRoles: string[] = []): User {
  const accessInit = { accountAccess: { role, customRoles }, namespaceAccesses: Object.fromEntries(Object.entries(namespaces).map(([ns, permission]) => [ns, { permission }])) };
  return create(UserSchema, { id, state: ResourceState.ACTIVE, spec: { email: `${id}@example.com`, access: accessInit }, ...init });
}
function serviceAccount(id: string, role: Role | "scoped"): ServiceAccount {
  const spec = role === "scoped" ? { name: id, namespaceScopedAccess: { namespace: "ns.acct", access: { permission: Permission.ADMIN } } } : { name: id, access: { accountAccess: { role } } };
  return create(ServiceAccountSchema, { id, state: ResourceState.ACTIVE, spec });
}
function group(id: string, role: Role): UserGroup {
  return create(UserGroupSchema, { id, state: ResourceState.ACTIVE, spec: { displayName: `Group ${id}`, access: { accountAccess: { role } }, groupType: { case: "cloudGroup", value: {} } } });
}
function key(id: string, owner: string, created: number, expires: number | undefined, extra: { disabled?: boolean; state?: ResourceState; ownerType?: OwnerType } = {}): ApiKey {
  return create(ApiKeySchema, {
    id,
    state: extra.state ?? ResourceState.ACTIVE,
    createdTime: daysFromNow(created),
    spec: { ownerId: owner, ownerType: extra.ownerType ?? OwnerType.USER, displayName: `key-${id}`, expiryTime: expires === undefined ? undefined : daysFromNow(expires), disabled: extra.disabled ?? false },
  });
}
const expiredInvitation = { invitation: { createdTime: daysFromNow(-20), expiredTime: daysFromNow(-13) } };
const pendingInvitation = { invitation: { createdTime: daysFromNow(-1), expiredTime: daysFromNow(6) } };

function account(init: Partial<AccountLists>): AccountLists {
  return { accountId: "acct", users: [], serviceAccounts: [], groups: [], apiKeys: [], ...init };
}
const kindsOf = (lists: AccountLists, thresholds?: Parameters<typeof findInsights>[2]) => findInsights(lists, now, thresholds).map((f) => f.id);

describe("findInsights", () => {
  it("flags account-scoped admin service accounts, never namespace-scoped ones or other roles", () => {
    const found = findInsights(account({ serviceAccounts: [serviceAccount("deploy-bot", Role.ADMIN), serviceAccount("ci", Role.DEVELOPER), serviceAccount("scoped", "scoped")] }), now);
    expect(found).toEqual([
      {
        id: "service-account-admin:service-account:deploy-bot",
        kind: "service-account-admin",
        severity: "high",
        target: { resourceType: "service-account", resource: "deploy-bot" },
        sentence: "Service account deploy-bot holds Account Admin",
        facts: { kind: "service-account-admin", severity: "high", target_type: "service-account", target_id: "deploy-bot", name: "deploy-bot" },
      },
    ]);
  });

  it("flags a service account that is Admin of a project (API v0.18.0) by the same rule, naming the projects", () => {
    const projects = [create(ProjectSchema, { id: "p-pay", spec: { displayName: "Payments" } }), create(ProjectSchema, { id: "p-data", spec: { displayName: "Data" } })];
    const withProjects = (id: string, roles: Record<string, ProjectRole>, role = Role.READ) =>
      create(ServiceAccountSchema, { id, state: ResourceState.ACTIVE, spec: { name: id, access: { accountAccess: { role }, projectAccesses: Object.fromEntries(Object.entries(roles).map(([p, r]) => [p, { role: r }])) } } });
    const scoped = (id: string, role: ProjectRole) => create(ServiceAccountSchema, { id, state: ResourceState.ACTIVE, spec: { name: id, projectScopedAccess: { projectId: "p-pay", access: { role } } } });
    const found = findInsights(
      account({
        projects,
        serviceAccounts: [
          withProjects("both", { "p-pay": ProjectRole.ADMIN, "p-data": ProjectRole.ADMIN }),
          withProjects("writer", { "p-pay": ProjectRole.WRITE }),
          withProjects("gone", { "p-gone": ProjectRole.ADMIN }),
          withProjects("also-account-admin", { "p-pay": ProjectRole.ADMIN }, Role.ADMIN),
          scoped("deployer", ProjectRole.ADMIN),
          scoped("scoped-reader", ProjectRole.READ),
        ],
      }),
      now,
    );
    expect(found.map((f) => [f.id, f.sentence, f.facts.projects])).toEqual([
      ["service-account-admin:service-account:also-account-admin", "Service account also-account-admin holds Account Admin", undefined],
      ["service-account-admin:service-account:both", "Service account both is Admin of projects Data and Payments", "p-data, p-pay"],
      ["service-account-admin:service-account:deployer", "Service account deployer is Admin of project Payments", "p-pay"],
      // A project the sync did not list is named by its id.
      ["service-account-admin:service-account:gone", "Service account gone is Admin of project p-gone", "p-gone"],
    ]);
    expect(found.map((f) => f.rule)).toEqual([undefined, PROJECT_ADMIN_RULE, PROJECT_ADMIN_RULE, PROJECT_ADMIN_RULE]);
    expect(found.every((f) => f.kind === "service-account-admin" && f.severity === "high")).toBe(true);
  });

  it("flags groups holding Account Admin", () => {
    expect(kindsOf(account({ groups: [group("g1", Role.ADMIN), group("g2", Role.DEVELOPER), group("g3", Role.UNSPECIFIED)] }))).toEqual(["group-grants-admin:group:g1"]);
  });

  it("flags enabled keys whose owner is gone or never accepted an expired invitation, and no others", () => {
    const lists = account({
      users: [user("alice", Role.DEVELOPER), user("heidi", Role.READ, expiredInvitation), user("grace", Role.READ, pendingInvitation)],
      serviceAccounts: [serviceAccount("bot", Role.READ)],
      apiKeys: [
        key("k-alice", "alice", -10, 30),
        key("k-bot", "bot", -10, 30, { ownerType: OwnerType.SERVICE_ACCOUNT }),
        key("k-grace", "grace", -1, 30),
        key("k-heidi", "heidi", -15, 30),
        key("k-gone", "removed-user", -10, 30),
        key("k-gone-sa", "removed-sa", -10, 30, { ownerType: OwnerType.SERVICE_ACCOUNT }),
        key("k-gone-disabled", "removed-user", -10, 30, { disabled: true }),
        key("k-gone-expired", "removed-user", -40, -1),
      ],
    });
    const orphaned = findInsights(lists, now).filter((f) => f.kind === "api-key-orphaned");
    expect(orphaned.map((f) => [f.id, f.facts.reason])).toEqual([
      ["api-key-orphaned:api-key:k-gone", "owner-missing"],
      ["api-key-orphaned:api-key:k-gone-sa", "owner-missing"],
      ["api-key-orphaned:api-key:k-heidi", "owner-invitation-expired"],
    ]);
    expect(orphaned[0]!.sentence).toBe("API key key-k-gone is enabled but its owner, user removed-user, is no longer in the account");
    expect(orphaned[1]!.sentence).toBe("API key key-k-gone-sa is enabled but its owner, service account removed-sa, is no longer in the account");
    expect(orphaned[2]!.sentence).toBe("API key key-k-heidi is enabled but its owner heidi@example.com never accepted an invitation that expired on 2026-05-19");
  });

  it("flags enabled keys valid for more than the allowed days after their creation", () => {
    const lists = account({
      users: [user("alice", Role.DEVELOPER)],
      apiKeys: [
        key("exactly-90", "alice", -30, 60),
        key("91", "alice", -30, 61),
        key("disabled-long", "alice", -30, 300, { disabled: true }),
        key("expired-long", "alice", -300, -1),
        key("no-expiry", "alice", -30, undefined),
      ],
    });
    const found = findInsights(lists, now).filter((f) => f.kind === "api-key-long-lived");
    expect(found.map((f) => f.id)).toEqual(["api-key-long-lived:api-key:91", "api-key-long-lived:api-key:no-expiry"]);
    expect(found[0]!.sentence).toBe("API key key-91 is valid for 91 days (until 2026-08-01), more than the 90 allowed");
    expect(found[0]!.facts).toMatchObject({ lifetime_days: 91, max_days: 90 });
    expect(found[1]!.sentence).toBe("API key key-no-expiry never expires, more than the 90 allowed");
    expect(kindsOf(lists, { apiKeyMaxDays: 60, minAdmins: 3, maxAdminsPercent: 5 })).toContain("api-key-long-lived:api-key:exactly-90");
  });

  it("flags expired keys that are not disabled, by expiry time or by state", () => {
    const lists = account({
      users: [user("alice", Role.DEVELOPER)],
      apiKeys: [
        key("past", "alice", -100, -1),
        key("at-now", "alice", -30, 0),
        key("state-expired", "alice", -30, 10, { state: ResourceState.EXPIRED }),
        key("past-disabled", "alice", -100, -1, { disabled: true }),
        key("deleted", "alice", -100, -1, { state: ResourceState.DELETED }),
      ],
    });
    expect(kindsOf(lists)).toEqual(["api-key-expired:api-key:at-now", "api-key-expired:api-key:past", "api-key-expired:api-key:state-expired"]);
    expect(findInsights(lists, now)[1]!.sentence).toBe("API key key-past expired on 2026-05-31 but was never disabled or deleted");
  });

  it("flags expired invitations that still hold a namespace permission, a role above Read or a custom role", () => {
    const lists = account({
      users: [
        user("read-only", Role.READ, expiredInvitation),
        user("metrics", Role.METRICS_READ, expiredInvitation),
        user("developer", Role.DEVELOPER, expiredInvitation),
        user("finance", Role.FINANCE_ADMIN, expiredInvitation),
        user("namespace", Role.READ, expiredInvitation, { "b.acct": Permission.READ, "a.acct": Permission.WRITE }),
        user("custom", Role.READ, expiredInvitation, {}, ["role-1"]),
        user("pending", Role.DEVELOPER, pendingInvitation),
        user("accepted", Role.DEVELOPER),
      ],
    });
    const found = findInsights(lists, now);
    expect(found.map((f) => f.id)).toEqual([
      "invitation-expired-with-access:user:custom",
      "invitation-expired-with-access:user:developer",
      "invitation-expired-with-access:user:finance",
      "invitation-expired-with-access:user:namespace",
    ]);
    expect(found[3]!.sentence).toBe("User namespace@example.com never accepted an invitation that expired on 2026-05-19 but still holds write on a.acct and read on b.acct");
    expect(found[1]!.facts.access).toBe("Account Developer");
  });

  it("flags more owners and admins than max(minimum, percent of users), counting users and service accounts", () => {
    const users = (n: number, role: Role) => Array.from({ length: n }, (_, i) => user(`${Role[role]}-${i}`, role));
    // 3 allowed: owner + 2 admins + 1 admin service account = 4.
    const small = account({ users: [...users(1, Role.OWNER), ...users(2, Role.ADMIN), ...users(5, Role.READ)], serviceAccounts: [serviceAccount("sa", Role.ADMIN)] });
    const found = findInsights(small, now).filter((f) => f.kind === "admin-count");
    expect(found).toEqual([
      expect.objectContaining({
        id: "admin-count:account-role:acct-admin",
        severity: "medium",
        target: { resourceType: "account-role", resource: "acct-admin" },
        sentence: "4 users and service accounts hold Account Owner or Account Admin, more than the 3 allowed for 8 users",
      }),
    ]);
    // Exactly 3 is not more than 3; groups holding Admin do not count here (they have their own finding).
    const three = account({ users: [...users(1, Role.OWNER), ...users(2, Role.ADMIN)], groups: [group("g", Role.ADMIN)] });
    expect(kindsOf(three)).toEqual(["group-grants-admin:group:g"]);
    // 100 users: 5% is 5; 5 admins pass, 6 do not.
    const hundred = (admins: number) => account({ users: [...users(admins, Role.ADMIN), ...users(100 - admins, Role.READ)] });
    expect(kindsOf(hundred(5))).toEqual([]);
    expect(kindsOf(hundred(6))).toEqual(["admin-count:account-role:acct-admin"]);
    expect(kindsOf(hundred(6), { apiKeyMaxDays: 90, minAdmins: 3, maxAdminsPercent: 6 })).toEqual([]);
    expect(kindsOf(hundred(6), { apiKeyMaxDays: 90, minAdmins: 10, maxAdminsPercent: 5 })).toEqual([]);
  });

  it("is deterministic: the same lists give the same findings, sorted by id, whatever their order", () => {
    const lists = account({
      users: [user("heidi", Role.DEVELOPER, expiredInvitation), user("alice", Role.OWNER), user("bob", Role.ADMIN)],
      serviceAccounts: [serviceAccount("b", Role.ADMIN), serviceAccount("a", Role.ADMIN)],
      groups: [group("g", Role.ADMIN)],
      apiKeys: [key("k2", "gone", -10, 200), key("k1", "alice", -10, -1)],
    });
    const reversed = account({ users: [...lists.users].reverse(), serviceAccounts: [...lists.serviceAccounts].reverse(), groups: lists.groups, apiKeys: [...lists.apiKeys].reverse() });
    const ids = findInsights(lists, now).map((f) => f.id);
    expect(ids).toEqual([...ids].sort());
    expect(findInsights(reversed, now)).toEqual(findInsights(lists, now));
    expect(ids).toEqual([
      "admin-count:account-role:acct-admin",
      "api-key-expired:api-key:k1",
      "api-key-long-lived:api-key:k2",
      "api-key-orphaned:api-key:k2",
      "group-grants-admin:group:g",
      "invitation-expired-with-access:user:heidi",
      "service-account-admin:service-account:a",
      "service-account-admin:service-account:b",
    ]);
  });
});
