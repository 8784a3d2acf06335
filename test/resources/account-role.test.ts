import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { RoleTraitSchema, V1IdentifierSchema } from "../../src/connector/c1.js";
import { AccountAccess_Role } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { accountRoleResource } from "../../src/resources/account-role.js";
import { accountRoleId, parseAccountRoleId, roleOf, roleSlug, type RoleSlug } from "../../src/resources/temporal-access.js";

/** The six roles as docs/compatibility.md ("Account roles") lists them. */
const ROLES: { slug: RoleSlug; role: AccountAccess_Role; displayName: string; description: string }[] = [
  { slug: "owner", role: AccountAccess_Role.OWNER, displayName: "Account Owner", description: "Full control of the account, including billing and its owners; namespace admin everywhere." },
  { slug: "admin", role: AccountAccess_Role.ADMIN, displayName: "Account Admin", description: "Manages users, groups, service accounts and namespaces; namespace admin everywhere." },
  { slug: "developer", role: AccountAccess_Role.DEVELOPER, displayName: "Account Developer", description: "Creates namespaces and administers the ones it creates." },
  { slug: "finance-admin", role: AccountAccess_Role.FINANCE_ADMIN, displayName: "Account Finance Admin", description: "Manages billing and usage; no namespace access." },
  { slug: "read", role: AccountAccess_Role.READ, displayName: "Account Read", description: "Reads account settings; namespace access only where granted." },
  { slug: "metrics-read", role: AccountAccess_Role.METRICS_READ, displayName: "Account Metrics Read", description: "Reads account metrics only." },
];

describe("accountRoleResource", () => {
  it.each(ROLES)("is account-role:<account>-$slug, shown as $displayName, with V1 identifier account-role:$slug", ({ slug, displayName, description }) => {
    const r = accountRoleResource("iv3js", slug);
    expect([r.id?.resourceType, r.id?.resource]).toEqual(["account-role", `iv3js-${slug}`]);
    expect(r.displayName).toBe(displayName);
    expect(r.description).toBe(description);
    expect(r.profile).toEqual({ role: slug, account_id: "iv3js" });
    // Built-in roles have no lifecycle upstream: no status, no creation time.
    expect(r.status).toBeUndefined();
    expect(r.createdAt).toBeUndefined();
    expect(r.annotations.map((a) => a.typeUrl)).toEqual([`type.googleapis.com/${RoleTraitSchema.typeName}`, `type.googleapis.com/${V1IdentifierSchema.typeName}`]);
    expect(anyUnpack(r.annotations[0]!, RoleTraitSchema)?.roleScopeConditions).toBeUndefined();
    expect(anyUnpack(r.annotations[1]!, V1IdentifierSchema)?.id).toBe(`account-role:${slug}`);
  });
});

describe("account role ids", () => {
  it.each(ROLES)("maps $slug to and from Temporal's role and the id <account>-$slug", ({ slug, role }) => {
    expect(roleSlug(role)).toBe(slug);
    expect(roleOf(slug)).toBe(role);
    expect(accountRoleId("acme7", slug)).toBe(`acme7-${slug}`);
    expect(parseAccountRoleId(`acme7-${slug}`, "acme7")).toBe(slug);
  });

  it("has no slug for an unspecified or unknown role", () => {
    expect(roleSlug(AccountAccess_Role.UNSPECIFIED)).toBeUndefined();
    expect(roleSlug(99 as AccountAccess_Role)).toBeUndefined();
  });

  it.each([
    // The legacy form (docs/compatibility.md, "Legacy account-role ids"): anything ending in -<account> is Admin.
    ["anything-acme7", "admin"],
    ["acme7-acme7", "admin"],
    ["x-y-acme7", "admin"],
    // Not a role of this account.
    ["acme7-unknown", undefined],
    ["other-owner", undefined],
    ["acme7", undefined],
    ["acme7-", undefined],
    ["-acme7x", undefined],
    ["", undefined],
    ["ACME7-owner", undefined],
  ])("reads %j as %j", (id, slug) => {
    expect(parseAccountRoleId(id, "acme7")).toBe(slug);
  });
});
