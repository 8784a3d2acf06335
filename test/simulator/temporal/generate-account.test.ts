import { createHash } from "node:crypto";
import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  AccountAccess_Role as Role,
  ApiKeySchema,
  ProjectAccess_ProjectRole as ProjectRole,
  CustomRoleSchema,
  ServiceAccountSchema,
  UserGroupSchema,
  UserSchema,
} from "../../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { NamespaceSchema } from "../../../src/gen/temporal/api/cloud/namespace/v1/message_pb.js";
import type { AccountData } from "../../../src/simulator/temporal/account-data.js";
import { generateAccount } from "../../../src/simulator/temporal/generate-account.js";
import { startSimulator } from "../../../src/simulator/temporal/simulator.js";
import { createApi } from "./simulator-helper.js";

const now = new Date("2026-01-15T12:00:00Z");

function fingerprint(account: AccountData): string {
  const hash = createHash("sha256");
  for (const u of account.users) hash.update(JSON.stringify(toJson(UserSchema, u)));
  for (const s of account.serviceAccounts) hash.update(JSON.stringify(toJson(ServiceAccountSchema, s)));
  for (const g of account.groups) hash.update(JSON.stringify(toJson(UserGroupSchema, g)));
  for (const n of account.namespaces) hash.update(JSON.stringify(toJson(NamespaceSchema, n)));
  for (const r of account.customRoles) hash.update(JSON.stringify(toJson(CustomRoleSchema, r)));
  for (const k of account.apiKeys) hash.update(JSON.stringify(toJson(ApiKeySchema, k)));
  hash.update(JSON.stringify([...account.groupMembers], null, 0));
  hash.update(JSON.stringify([...account.apiKeySecrets]));
  return hash.digest("hex");
}

describe("generateAccount", () => {
  const options = { users: 3000, serviceAccounts: 300, namespaces: 20, groups: 90, membersPerGroup: 20, customRoles: 10, apiKeys: 1500, seed: 1, now };

  it("is deterministic for a seed and differs across seeds", () => {
    expect(fingerprint(generateAccount(options))).toBe(fingerprint(generateAccount(options)));
    expect(fingerprint(generateAccount({ ...options, seed: 2 }))).not.toBe(fingerprint(generateAccount(options)));
  });

  it("produces the requested counts and a realistic mix", () => {
    const account = generateAccount(options);
    expect(account.users).toHaveLength(3000);
    expect(account.serviceAccounts).toHaveLength(300);
    expect(account.namespaces.map((n) => n.namespace).slice(0, 2)).toEqual(["ns-0001.gen42", "ns-0002.gen42"]);
    expect(account.groups).toHaveLength(90);
    expect(account.customRoles).toHaveLength(10);
    expect(account.apiKeys).toHaveLength(1500);
    expect(new Set(account.users.map((u) => u.id)).size).toBe(3000);
    expect(new Set(account.users.map((u) => u.spec?.email)).size).toBe(3000);

    const roles = new Map<Role, number>();
    for (const u of account.users) {
      const role = u.spec?.access?.accountAccess?.role ?? Role.UNSPECIFIED;
      roles.set(role, (roles.get(role) ?? 0) + 1);
      if (role === Role.OWNER || role === Role.ADMIN) expect(u.spec?.access?.namespaceAccesses).toEqual({});
    }
    expect(roles.get(Role.OWNER)).toBe(1);
    // ~2% drawn, then developers made admins until owners and admins exceed 5% (plantFindingCases).
    const adminServiceAccounts = account.serviceAccounts.filter((s) => s.spec?.access?.accountAccess?.role === Role.ADMIN).length;
    expect(1 + roles.get(Role.ADMIN)! + adminServiceAccounts).toBe(151);
    expect(roles.get(Role.DEVELOPER)).toBeGreaterThan(1200);
    expect(roles.get(Role.READ)).toBeGreaterThan(1200);
    const invited = account.users.filter((u) => u.invitation !== undefined).length;
    expect(invited).toBeGreaterThan(90);
    expect(invited).toBeLessThan(230);
    // A tenth of the invitations expired unaccepted (plantFindingCases).
    const expiredInvitations = account.users.filter((u) => u.invitation?.expiredTime && Number(u.invitation.expiredTime.seconds) * 1000 < now.getTime()).length;
    expect(expiredInvitations).toBe(Math.ceil(invited / 10));
    const withCustomRoles = account.users.filter((u) => (u.spec?.access?.accountAccess?.customRoles.length ?? 0) > 0).length;
    expect(withCustomRoles).toBeGreaterThan(200);
    expect(withCustomRoles).toBeLessThan(420);

    const scoped = account.serviceAccounts.filter((s) => s.spec?.namespaceScopedAccess !== undefined).length;
    expect(scoped).toBeGreaterThan(30);
    expect(scoped).toBeLessThan(90);
    expect(account.groups.map((g) => g.spec?.groupType.case).slice(0, 3)).toEqual(["googleGroup", "scimGroup", "cloudGroup"]);
    const members = [...account.groupMembers.values()].reduce((sum, ids) => sum + ids.length, 0);
    expect(members / account.groups.length).toBeGreaterThan(15);
    expect(members / account.groups.length).toBeLessThan(25);
    for (const ids of account.groupMembers.values()) expect(new Set(ids).size).toBe(ids.length);
    const expired = account.apiKeys.filter((k) => Number(k.spec?.expiryTime?.seconds) * 1000 < now.getTime()).length;
    const disabled = account.apiKeys.filter((k) => k.spec?.disabled).length;
    expect(expired).toBeGreaterThan(40);
    expect(expired).toBeLessThan(120);
    expect(disabled).toBeGreaterThan(40);
    expect(disabled).toBeLessThan(120);
  });

  it("adds projects only when asked, leaving everything else as the seed made it", () => {
    const plain = generateAccount(options);
    const withProjects = generateAccount({ ...options, projects: 4 });
    expect(plain.projects).toBeUndefined();
    expect(plain.namespaces.every((n) => n.projectId === "")).toBe(true);
    expect(JSON.stringify(plain.users.map((u) => toJson(UserSchema, u)))).not.toContain("projectAccesses");
    expect(withProjects.projects).toHaveLength(4);
    expect(withProjects.projects![0]!.spec?.displayName).toBe("Default");
    const projectIds = new Set(withProjects.projects!.map((p) => p.id));
    expect(withProjects.namespaces.every((n) => projectIds.has(n.projectId))).toBe(true);
    // Two project-scoped service accounts per project are appended, the first of each its Admin.
    const added = withProjects.serviceAccounts.slice(plain.serviceAccounts.length);
    expect(added).toHaveLength(8);
    expect(added.every((s) => projectIds.has(s.spec!.projectScopedAccess!.projectId))).toBe(true);
    expect(added.filter((s) => s.spec!.projectScopedAccess!.access!.role === ProjectRole.ADMIN).length).toBeGreaterThanOrEqual(4);
    const holders = withProjects.users.filter((u) => Object.keys(u.spec?.access?.projectAccesses ?? {}).length > 0).length;
    expect(holders).toBeGreaterThan(600);
    expect(holders).toBeLessThan(1200);
    // Without the project fields, the same account.
    const strip = (a: AccountData) => {
      const copy = generateAccount({ ...options, projects: a === plain ? 0 : 4 });
      for (const x of [...copy.users, ...copy.groups, ...copy.serviceAccounts]) if (x.spec?.access) x.spec.access.projectAccesses = {};
      for (const n of copy.namespaces) n.projectId = "";
      copy.serviceAccounts = copy.serviceAccounts.filter((s) => !s.spec?.projectScopedAccess);
      return fingerprint(copy);
    };
    expect(strip(withProjects)).toBe(fingerprint(plain));
  });

  it("exposes a bearer key of the admin service account that the simulator accepts", async () => {
    const account = generateAccount({ users: 50, seed: 3 });
    const admin = account.serviceAccounts[0];
    expect(admin?.id).toBe(account.adminServiceAccountId);
    expect(admin?.spec?.access?.accountAccess?.role).toBe(Role.ADMIN);
    const sim = await startSimulator({ account });
    try {
      expect(sim.store.bearerKeys()[0]).toBe(account.apiKey);
      const reply = await createApi(sim.url, account.apiKey).get("/cloud/current-identity");
      expect(reply.body.serviceAccount.id).toBe(account.adminServiceAccountId);
    } finally {
      await sim.close();
    }
  });
});
