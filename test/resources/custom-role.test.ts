import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyUnpack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { GrantExpandableSchema, GrantImmutableSchema, RoleTraitSchema, Status_ResourceStatus, V1IdentifierSchema } from "../../src/connector/c1.js";
import { resourceId } from "../../src/connector/ids.js";
import { CustomRoleSchema, CustomRoleSpecSchema } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { accessGrant, MEMBER } from "../../src/resources/access-grant.js";
import type { AccessRow } from "../../src/resources/access-index.js";
import { customRoleResource, permissionSummary } from "../../src/resources/custom-role.js";

const CREATED = timestampFromDate(new Date("2025-09-10T11:12:13.000Z"));
const MODIFIED = timestampFromDate(new Date("2026-04-05T06:07:08.000Z"));

function customRole(spec: MessageInitShape<typeof CustomRoleSpecSchema>, init: { id?: string; state?: ResourceState } = {}) {
  return create(CustomRoleSchema, {
    id: init.id ?? "cr-0001",
    resourceVersion: "v1",
    state: init.state ?? ResourceState.ACTIVE,
    spec,
    createdTime: CREATED,
    lastModifiedTime: MODIFIED,
  });
}

const AUDITOR: MessageInitShape<typeof CustomRoleSpecSchema> = {
  name: "Auditor",
  description: "Reads audit logs and namespaces",
  permissions: [
    { resources: { resourceType: "account", allowAll: true }, actions: ["cloud.auditlog.list"] },
    { resources: { resourceType: "namespace", resourceIds: ["payments-prod.acme7", "payments-dev.acme7"] }, actions: ["cloud.namespace.get", "cloud.namespace.getUserNamespaceAssignments"] },
  ],
};

describe("customRoleResource", () => {
  it("is the resource custom-role:<id>, shown by its name, with a role trait and no V1 identifier", () => {
    const r = customRoleResource(customRole(AUDITOR, { id: "a1b2c3" }));
    expect([r.id?.resourceType, r.id?.resource]).toEqual(["custom-role", "a1b2c3"]);
    expect(r.displayName).toBe("Auditor");
    expect(r.description).toBe("Reads audit logs and namespaces");
    expect(r.createdAt).toEqual(CREATED);
    expect(r.annotations.map((a) => a.typeUrl)).toEqual([`type.googleapis.com/${RoleTraitSchema.typeName}`]);
    expect(anyUnpack(r.annotations[0]!, RoleTraitSchema)?.roleScopeConditions).toBeUndefined();
  });

  it("summarises its permissions for reviewers in the profile", () => {
    expect(customRoleResource(customRole(AUDITOR, { id: "a1b2c3" })).profile).toEqual({
      custom_role_id: "a1b2c3",
      name: "Auditor",
      permissions: "account[*]: cloud.auditlog.list; namespace[payments-prod.acme7, payments-dev.acme7]: cloud.namespace.get, cloud.namespace.getUserNamespaceAssignments",
      state: "active",
      last_modified_at: "2026-04-05T06:07:08.000Z",
    });
  });

  it("is shown by its id when the name is empty", () => {
    const r = customRoleResource(customRole({ name: "" }, { id: "cr-unnamed" }));
    expect(r.displayName).toBe("cr-unnamed");
    expect(r.profile).toEqual({ custom_role_id: "cr-unnamed", state: "active", last_modified_at: "2026-04-05T06:07:08.000Z" });
  });

  it.each([
    [ResourceState.ACTIVE, Status_ResourceStatus.ENABLED, ""],
    [ResourceState.UPDATING, Status_ResourceStatus.ENABLED, ""],
    [ResourceState.DELETING, Status_ResourceStatus.DELETED, "deleting"],
    [ResourceState.SUSPENDED, Status_ResourceStatus.DISABLED, "suspended"],
  ])("maps state %i to status %i %j", (state, status, details) => {
    const r = customRoleResource(customRole(AUDITOR, { state }));
    expect([r.status?.status, r.status?.details]).toEqual([status, details]);
  });

  it.each([
    ["exactly 2048 bytes", "d".repeat(2048), "d".repeat(2048)],
    ["2049 ASCII bytes", "d".repeat(2049), `${"d".repeat(2045)}...`],
    ["four-byte characters", "😀".repeat(600), `${"😀".repeat(511)}...`],
  ])("clips the description to the protocol's 2048 bytes: %s", (_, description, expected) => {
    const clipped = customRoleResource(customRole({ ...AUDITOR, description })).description;
    expect(clipped).toBe(expected);
    expect(Buffer.byteLength(clipped)).toBeLessThanOrEqual(2048);
  });

  it("clips the permission summary to 16 KiB", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `namespace-${String(i).padStart(4, "0")}.acme7`);
    const role = customRole({ name: "Wide", permissions: [{ resources: { resourceType: "namespace", resourceIds: ids }, actions: ["cloud.namespace.get"] }] });
    const full = permissionSummary(role);
    expect(Buffer.byteLength(full)).toBeGreaterThan(16 * 1024);
    expect(customRoleResource(role).profile?.permissions).toBe(`${full.slice(0, 16 * 1024 - 3)}...`);
  });
});

describe("permissionSummary", () => {
  it.each([
    ["no permissions", [], ""],
    ["all resources of a type", [{ resources: { resourceType: "account", allowAll: true }, actions: ["cloud.account.get"] }], "account[*]: cloud.account.get"],
    ["listed resources", [{ resources: { resourceType: "namespace", resourceIds: ["a.acme7", "b.acme7"] }, actions: ["cloud.namespace.get", "cloud.namespace.update"] }], "namespace[a.acme7, b.acme7]: cloud.namespace.get, cloud.namespace.update"],
    ["a permission without resources", [{ actions: ["cloud.user.list"] }], "?[]: cloud.user.list"],
    ["a permission without actions", [{ resources: { resourceType: "namespace", resourceIds: ["a.acme7"] } }], "namespace[a.acme7]: "],
  ] as [string, MessageInitShape<typeof CustomRoleSpecSchema>["permissions"], string][])("renders %s", (_, permissions, summary) => {
    expect(permissionSummary(customRole({ name: "r", permissions }))).toBe(summary);
  });
});

describe("accessGrant of a custom role's membership", () => {
  const role = resourceId("custom-role", "cr-7");
  const cases: { row: AccessRow; id: string; expandable?: string; immutable?: string }[] = [
    { row: { principalType: "user", principalId: "u-1" }, id: "custom-role:cr-7:member:user:u-1" },
    { row: { principalType: "service-account", principalId: "sa-1" }, id: "custom-role:cr-7:member:service-account:sa-1" },
    { row: { principalType: "group", principalId: "g-1" }, id: "custom-role:cr-7:member:group:g-1", expandable: "group:g-1:member" },
    { row: { principalType: "account-role", principalId: "acme7-admin" }, id: "custom-role:cr-7:member:account-role:acme7-admin", expandable: "account-role:acme7-admin:member" },
    { row: { principalType: "user", principalId: "u-2" }, id: "custom-role:cr-7:member:user:u-2", immutable: "held through an identity provider" },
  ];
  it.each(cases)("grants to $row.principalType $row.principalId: $id", ({ row, id, expandable, immutable }) => {
    // The very call custom-role.ts makes for every row (with a reason, as other types make it).
    const grant = accessGrant(role, MEMBER, row, { immutable });
    expect(grant.id).toBe(id);
    expect(grant.entitlement?.id).toBe("custom-role:cr-7:member");
    expect([grant.entitlement?.resource?.id?.resourceType, grant.entitlement?.resource?.id?.resource]).toEqual(["custom-role", "cr-7"]);
    expect([grant.principal?.id?.resourceType, grant.principal?.id?.resource]).toEqual([row.principalType, row.principalId]);
    const expected = [...(expandable ? [GrantExpandableSchema.typeName] : []), ...(immutable ? [GrantImmutableSchema.typeName] : [])];
    expect(grant.annotations.map((a) => a.typeUrl)).toEqual(expected.map((name) => `type.googleapis.com/${name}`));
    if (expandable) {
      const unpacked = anyUnpack(grant.annotations[0]!, GrantExpandableSchema)!;
      expect([unpacked.entitlementIds, unpacked.shallow, unpacked.resourceTypeIds]).toEqual([[expandable], false, []]);
    }
    if (immutable) expect(anyUnpack(grant.annotations.at(-1)!, GrantImmutableSchema)?.metadata).toEqual({ reason: immutable });
  });

  it("adds a V1 identifier to grants to users only, when the resource type had one", () => {
    const v1 = (userId: string) => `grant:membership:cr-7:${userId}`;
    const toUser = accessGrant(role, MEMBER, { principalType: "user", principalId: "u-1" }, { v1Id: v1 });
    expect(toUser.annotations).toHaveLength(1);
    expect(anyUnpack(toUser.annotations[0]!, V1IdentifierSchema)?.id).toBe("grant:membership:cr-7:u-1");
    expect(accessGrant(role, MEMBER, { principalType: "service-account", principalId: "sa-1" }, { v1Id: v1 }).annotations).toEqual([]);
  });
});
