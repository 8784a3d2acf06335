import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyUnpack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { Status_ResourceStatus, UserTraitSchema, UserTrait_AccountType } from "../../src/connector/c1.js";
import { AccountAccess_Role, NamespaceAccess_Permission, ServiceAccountSchema, ServiceAccountSpecSchema } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { serviceAccountResource } from "../../src/resources/service-account.js";

const CREATED = timestampFromDate(new Date("2025-02-03T04:05:06.000Z"));
const MODIFIED = timestampFromDate(new Date("2026-03-04T05:06:07.000Z"));

function serviceAccount(spec: MessageInitShape<typeof ServiceAccountSpecSchema>, init: { id?: string; state?: ResourceState } = {}) {
  return create(ServiceAccountSchema, {
    id: init.id ?? "sa-0001",
    resourceVersion: "v1",
    state: init.state ?? ResourceState.ACTIVE,
    spec,
    createdTime: CREATED,
    lastModifiedTime: MODIFIED,
  });
}

const ACCOUNT_SCOPED = { name: "ci-deployer", description: "Deploys from CI", access: { accountAccess: { role: AccountAccess_Role.DEVELOPER, customRoles: ["cr-1", "cr-2"] } } };
const NAMESPACE_SCOPED = { name: "payments-worker", namespaceScopedAccess: { namespace: "payments-prod.acme7", access: { permission: NamespaceAccess_Permission.WRITE } } };

describe("serviceAccountResource", () => {
  it("is the resource service-account:<id>, shown by its name, with no V1 identifier", () => {
    const r = serviceAccountResource(serviceAccount(ACCOUNT_SCOPED, { id: "5ab0c1d2e3f4a5b6c7d8e9f0a1b2c3d4" }));
    expect([r.id?.resourceType, r.id?.resource]).toEqual(["service-account", "5ab0c1d2e3f4a5b6c7d8e9f0a1b2c3d4"]);
    expect(r.displayName).toBe("ci-deployer");
    expect(r.description).toBe("Deploys from CI");
    expect(r.createdAt).toEqual(CREATED);
    // The official connector never gave service accounts a V1 identifier: the trait is all.
    expect(r.annotations.map((a) => a.typeUrl)).toEqual([`type.googleapis.com/${UserTraitSchema.typeName}`]);
  });

  it("is shown by its id when the name is empty (docs/compatibility.md)", () => {
    expect(serviceAccountResource(serviceAccount({ ...ACCOUNT_SCOPED, name: "" }, { id: "sa-unnamed" })).displayName).toBe("sa-unnamed");
    expect(serviceAccountResource(create(ServiceAccountSchema, { id: "sa-no-spec" })).displayName).toBe("sa-no-spec");
  });

  it("describes an account-scoped service account in its profile", () => {
    expect(serviceAccountResource(serviceAccount(ACCOUNT_SCOPED, { id: "sa-1" })).profile).toEqual({
      service_account_id: "sa-1",
      name: "ci-deployer",
      scope: "account",
      account_role: "developer",
      custom_roles: "cr-1,cr-2",
      state: "active",
      last_modified_at: "2026-03-04T05:06:07.000Z",
    });
  });

  it("describes a namespace-scoped service account, whose account role is always Read", () => {
    expect(serviceAccountResource(serviceAccount(NAMESPACE_SCOPED, { id: "sa-2" })).profile).toEqual({
      service_account_id: "sa-2",
      name: "payments-worker",
      scope: "namespace",
      namespace: "payments-prod.acme7",
      namespace_permission: "write",
      account_role: "read",
      state: "active",
      last_modified_at: "2026-03-04T05:06:07.000Z",
    });
  });

  it.each([
    [ResourceState.ACTIVE, Status_ResourceStatus.ENABLED, ""],
    [ResourceState.ACTIVATING, Status_ResourceStatus.ENABLED, ""],
    [ResourceState.UPDATE_FAILED, Status_ResourceStatus.ENABLED, ""],
    [ResourceState.DELETING, Status_ResourceStatus.DELETED, "deleting"],
    [ResourceState.DELETED, Status_ResourceStatus.DELETED, "deleted"],
    [ResourceState.SUSPENDED, Status_ResourceStatus.DISABLED, "suspended"],
    [ResourceState.EXPIRED, Status_ResourceStatus.DISABLED, "expired"],
    [ResourceState.ACTIVATION_FAILED, Status_ResourceStatus.DISABLED, "activation-failed"],
  ])("maps state %i to status %i %j", (state, status, details) => {
    const r = serviceAccountResource(serviceAccount(ACCOUNT_SCOPED, { state }));
    expect([r.status?.status, r.status?.details]).toEqual([status, details]);
    const trait = anyUnpack(r.annotations[0]!, UserTraitSchema)!;
    expect([trait.status?.status as number, trait.status?.details]).toEqual([status as number, details]);
  });

  it("carries a service-account user trait with the name as login and no email", () => {
    const trait = anyUnpack(serviceAccountResource(serviceAccount(ACCOUNT_SCOPED, { id: "sa-3" })).annotations[0]!, UserTraitSchema)!;
    expect(trait.accountType).toBe(UserTrait_AccountType.SERVICE);
    expect(trait.login).toBe("ci-deployer");
    expect(trait.emails).toEqual([]);
    expect(trait.profile).toEqual({ service_account_id: "sa-3", name: "ci-deployer" });
    expect(trait.createdAt).toEqual(CREATED);
  });

  it.each([
    ["short text", "Deploys from CI", "Deploys from CI"],
    ["exactly 2048 bytes", "d".repeat(2048), "d".repeat(2048)],
    ["2049 ASCII bytes", "d".repeat(2049), `${"d".repeat(2045)}...`],
    ["multi-byte text over the limit", "é".repeat(1500), `${"é".repeat(1022)}...`],
  ])("clips the description to the protocol's 2048 bytes: %s", (_, description, expected) => {
    const clipped = serviceAccountResource(serviceAccount({ ...ACCOUNT_SCOPED, description })).description;
    expect(clipped).toBe(expected);
    expect(Buffer.byteLength(clipped)).toBeLessThanOrEqual(2048);
  });
});
