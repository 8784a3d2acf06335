import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyUnpack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { GroupTraitSchema, Status_ResourceStatus } from "../../src/connector/c1.js";
import { AccountAccess_Role, UserGroupSchema, UserGroupSpecSchema } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { groupResource } from "../../src/resources/group.js";

const CREATED = timestampFromDate(new Date("2025-06-07T08:09:10.000Z"));
const MODIFIED = timestampFromDate(new Date("2026-01-02T03:04:05.000Z"));

function group(spec: MessageInitShape<typeof UserGroupSpecSchema>, init: { id?: string; state?: ResourceState } = {}) {
  return create(UserGroupSchema, {
    id: init.id ?? "g-0001",
    resourceVersion: "v1",
    state: init.state ?? ResourceState.ACTIVE,
    spec,
    createdTime: CREATED,
    lastModifiedTime: MODIFIED,
  });
}

const ACCESS = { accountAccess: { role: AccountAccess_Role.READ, customRoles: ["cr-9"] } };

describe("groupResource", () => {
  const kinds: { source: string; spec: MessageInitShape<typeof UserGroupSpecSchema>; extra: Record<string, string> }[] = [
    { source: "cloud", spec: { displayName: "platform-team", access: ACCESS, groupType: { case: "cloudGroup", value: {} } }, extra: {} },
    { source: "google", spec: { displayName: "finance", access: ACCESS, groupType: { case: "googleGroup", value: { emailAddress: "finance@acme.example" } } }, extra: { email: "finance@acme.example" } },
    { source: "scim", spec: { displayName: "sre-oncall", access: ACCESS, groupType: { case: "scimGroup", value: { idpId: "00g1abcd" } } }, extra: { idp_id: "00g1abcd" } },
  ];
  it.each(kinds)("converts a $source group: id, display name, profile and group trait", ({ source, spec, extra }) => {
    const r = groupResource(group(spec, { id: "7c1e0d2f" }));
    expect([r.id?.resourceType, r.id?.resource]).toEqual(["group", "7c1e0d2f"]);
    expect(r.displayName).toBe(spec.displayName);
    expect(r.description).toBe("");
    expect(r.createdAt).toEqual(CREATED);
    expect(r.profile).toEqual({
      group_id: "7c1e0d2f",
      source,
      ...extra,
      account_role: "read",
      custom_roles: "cr-9",
      state: "active",
      last_modified_at: "2026-01-02T03:04:05.000Z",
    });
    // Groups never had a V1 identifier: the trait is the only annotation.
    expect(r.annotations).toHaveLength(1);
    expect(anyUnpack(r.annotations[0]!, GroupTraitSchema)?.groupSourceType).toBe(source);
  });

  it("treats a group without a type as a Cloud group", () => {
    const r = groupResource(group({ displayName: "untyped" }));
    expect(anyUnpack(r.annotations[0]!, GroupTraitSchema)?.groupSourceType).toBe("cloud");
    expect(r.profile?.source).toBe("cloud");
  });

  it("is shown by its id when the display name is empty", () => {
    expect(groupResource(group({ displayName: "" }, { id: "g-unnamed" })).displayName).toBe("g-unnamed");
  });

  it("leaves out a role it does not have: groups may have no account role", () => {
    const noRole = groupResource(group({ displayName: "readers", access: { accountAccess: { role: AccountAccess_Role.UNSPECIFIED } } }, { id: "g-2" }));
    expect(noRole.profile).toEqual({ group_id: "g-2", source: "cloud", state: "active", last_modified_at: "2026-01-02T03:04:05.000Z" });
  });

  it.each([
    [ResourceState.ACTIVE, Status_ResourceStatus.ENABLED, "", "active"],
    [ResourceState.UPDATING, Status_ResourceStatus.ENABLED, "", "updating"],
    [ResourceState.DELETING, Status_ResourceStatus.DELETED, "deleting", "deleting"],
    [ResourceState.SUSPENDED, Status_ResourceStatus.DISABLED, "suspended", "suspended"],
    [ResourceState.DELETE_FAILED, Status_ResourceStatus.ENABLED, "", "delete-failed"],
  ])("maps state %i to status %i %j", (state, status, details, stateName) => {
    const r = groupResource(group({ displayName: "x" }, { state }));
    expect([r.status?.status, r.status?.details]).toEqual([status, details]);
    expect(r.profile?.state).toBe(stateName);
  });

  it("clips the custom role list to 4096 bytes", () => {
    const ids = Array.from({ length: 300 }, (_, i) => `custom-role-${String(i).padStart(4, "0")}`);
    const r = groupResource(group({ displayName: "many", access: { accountAccess: { role: AccountAccess_Role.READ, customRoles: ids } } }));
    expect(r.profile?.custom_roles).toBe(`${ids.join(",").slice(0, 4093)}...`);
  });
});
