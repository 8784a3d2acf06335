import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyUnpack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { Status_ResourceStatus, UserTraitSchema, UserTrait_AccountType, V1IdentifierSchema, AccountInfoSchema } from "../../src/connector/c1.js";
import { Code, ConnectorError } from "../../src/connector/errors.js";
import { AccountAccess_Role, UserSchema } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { emailOf, userResource } from "../../src/resources/user.js";
import { recordPatternInputs } from "../helpers/pattern-inputs.js";

const NOW = new Date("2026-05-01T12:00:00.000Z");
const CREATED = timestampFromDate(new Date("2025-01-02T03:04:05.000Z"));
const MODIFIED = timestampFromDate(new Date("2026-04-30T08:00:00.000Z"));
const LATER = new Date("2026-05-08T12:00:00.000Z");
const EARLIER = new Date("2026-04-24T12:00:00.000Z");

function user(init: { id?: string; email?: string; state?: ResourceState; role?: AccountAccess_Role; customRoles?: string[]; invitationExpires?: Date; noAccess?: boolean } = {}) {
  return create(UserSchema, {
    id: init.id ?? "u-0001",
    resourceVersion: "v1",
    state: init.state ?? ResourceState.ACTIVE,
    spec: {
      email: init.email ?? "alice@acme.example",
      access: init.noAccess ? undefined : { accountAccess: { role: init.role ?? AccountAccess_Role.DEVELOPER, customRoles: init.customRoles ?? [] } },
    },
    invitation: init.invitationExpires && { createdTime: CREATED, expiredTime: timestampFromDate(init.invitationExpires) },
    createdTime: CREATED,
    lastModifiedTime: MODIFIED,
  });
}

function traitOf(resource: ReturnType<typeof userResource>) {
  const found = resource.annotations.filter((a) => a.typeUrl === `type.googleapis.com/${UserTraitSchema.typeName}`);
  expect(found).toHaveLength(1);
  return anyUnpack(found[0]!, UserTraitSchema)!;
}

function v1IdOf(resource: ReturnType<typeof userResource>): string {
  const found = resource.annotations.filter((a) => a.typeUrl === `type.googleapis.com/${V1IdentifierSchema.typeName}`);
  expect(found).toHaveLength(1);
  return anyUnpack(found[0]!, V1IdentifierSchema)!.id;
}

describe("userResource", () => {
  it("is the resource user:<user id>, shown by email, with the official connector's V1 identifier", () => {
    const r = userResource(user({ id: "9f1c2d3e4b5a69788796a5b4c3d2e1f0", email: "alice@acme.example" }), NOW);
    expect([r.id?.resourceType, r.id?.resource]).toEqual(["user", "9f1c2d3e4b5a69788796a5b4c3d2e1f0"]);
    expect(r.displayName).toBe("alice@acme.example");
    expect(r.description).toBe("");
    expect(r.parentResourceId).toBeUndefined();
    expect(v1IdOf(r)).toBe("user:alice@acme.example");
    expect(r.annotations.map((a) => a.typeUrl)).toEqual([`type.googleapis.com/${UserTraitSchema.typeName}`, `type.googleapis.com/${V1IdentifierSchema.typeName}`]);
    expect(r.createdAt).toEqual(CREATED);
  });

  it("is shown by its id when it has no email", () => {
    const r = userResource(user({ id: "u-no-mail", email: "" }), NOW);
    expect(r.displayName).toBe("u-no-mail");
    expect(v1IdOf(r)).toBe("user:");
    const trait = traitOf(r);
    expect(trait.emails).toEqual([]);
    expect(trait.login).toBe("");
  });

  const statuses: { name: string; state: ResourceState; invitationExpires?: Date; status: Status_ResourceStatus; details: string; invitation?: string }[] = [
    { name: "an active user", state: ResourceState.ACTIVE, status: Status_ResourceStatus.ENABLED, details: "" },
    { name: "a user being updated", state: ResourceState.UPDATING, status: Status_ResourceStatus.ENABLED, details: "" },
    { name: "a pending invitation", state: ResourceState.ACTIVE, invitationExpires: LATER, status: Status_ResourceStatus.ENABLED, details: "invitation pending until 2026-05-08T12:00:00.000Z", invitation: "pending" },
    { name: "an expired invitation", state: ResourceState.ACTIVE, invitationExpires: EARLIER, status: Status_ResourceStatus.DISABLED, details: "invitation expired on 2026-04-24T12:00:00.000Z without being accepted", invitation: "expired" },
    { name: "an invitation expiring this instant", state: ResourceState.ACTIVE, invitationExpires: NOW, status: Status_ResourceStatus.ENABLED, details: "invitation pending until 2026-05-01T12:00:00.000Z", invitation: "pending" },
    { name: "a user being deleted", state: ResourceState.DELETING, status: Status_ResourceStatus.DELETED, details: "deleting" },
    { name: "a deleted user with an open invitation", state: ResourceState.DELETED, invitationExpires: LATER, status: Status_ResourceStatus.DELETED, details: "deleted", invitation: "pending" },
    { name: "a suspended user", state: ResourceState.SUSPENDED, status: Status_ResourceStatus.DISABLED, details: "suspended" },
    { name: "a failed activation", state: ResourceState.ACTIVATION_FAILED, status: Status_ResourceStatus.DISABLED, details: "activation-failed" },
  ];
  it.each(statuses)("maps the status of $name", ({ state, invitationExpires, status, details, invitation }) => {
    const r = userResource(user({ state, invitationExpires }), NOW);
    expect([r.status?.status, r.status?.details]).toEqual([status, details]);
    // The deprecated trait status, read by the v0.7 baton CLI, says the same.
    const trait = traitOf(r);
    expect([trait.status?.status as number, trait.status?.details]).toEqual([status as number, details]);
    expect(r.profile?.invitation_status).toBe(invitation);
    expect(r.profile?.invitation_expires_at).toBe(invitationExpires?.toISOString());
  });

  it("puts the user's facts in the profile, leaving out empty ones", () => {
    const r = userResource(user({ id: "u-42", role: AccountAccess_Role.FINANCE_ADMIN, customRoles: ["cr-a", "cr-b"], invitationExpires: LATER }), NOW);
    expect(r.profile).toEqual({
      user_id: "u-42",
      email: "alice@acme.example",
      account_role: "finance-admin",
      custom_roles: "cr-a,cr-b",
      state: "active",
      invitation_status: "pending",
      invitation_expires_at: "2026-05-08T12:00:00.000Z",
      last_modified_at: "2026-04-30T08:00:00.000Z",
    });
    expect(userResource(user({ id: "u-43", noAccess: true }), NOW).profile).toEqual({ user_id: "u-43", email: "alice@acme.example", state: "active", last_modified_at: "2026-04-30T08:00:00.000Z" });
    // A SCIM-managed user may have no account role at all.
    expect(userResource(user({ role: AccountAccess_Role.UNSPECIFIED }), NOW).profile?.account_role).toBeUndefined();
  });

  it.each([
    [AccountAccess_Role.OWNER, "owner"],
    [AccountAccess_Role.ADMIN, "admin"],
    [AccountAccess_Role.DEVELOPER, "developer"],
    [AccountAccess_Role.FINANCE_ADMIN, "finance-admin"],
    [AccountAccess_Role.READ, "read"],
    [AccountAccess_Role.METRICS_READ, "metrics-read"],
  ])("names account role %i %s in the profile", (role, slug) => {
    expect(userResource(user({ role }), NOW).profile?.account_role).toBe(slug);
  });

  it("clips the custom role list to 4096 bytes", () => {
    const ids = Array.from({ length: 300 }, (_, i) => `custom-role-${String(i).padStart(4, "0")}`);
    const text = String(userResource(user({ customRoles: ids }), NOW).profile?.custom_roles);
    expect(Buffer.byteLength(ids.join(","))).toBeGreaterThan(4096);
    expect(text).toBe(`${ids.join(",").slice(0, 4093)}...`);
  });

  it("carries a human user trait with the email as primary address and login", () => {
    const trait = traitOf(userResource(user({ id: "u-7", email: "bob@acme.example" }), NOW));
    expect(trait.emails.map((e) => [e.address, e.isPrimary])).toEqual([["bob@acme.example", true]]);
    expect(trait.login).toBe("bob@acme.example");
    expect(trait.accountType).toBe(UserTrait_AccountType.HUMAN);
    expect(trait.profile).toEqual({ user_id: "u-7", email: "bob@acme.example" });
    expect(trait.createdAt).toEqual(CREATED);
  });
});

describe("emailOf", () => {
  const cases: { name: string; info: MessageInitShape<typeof AccountInfoSchema>; email: string }[] = [
    { name: "the primary address", info: { emails: [{ address: "first@acme.example" }, { address: "primary@acme.example", isPrimary: true }], login: "login@acme.example" }, email: "primary@acme.example" },
    { name: "the first address without a primary", info: { emails: [{ address: "first@acme.example" }, { address: "second@acme.example" }] }, email: "first@acme.example" },
    { name: "the login without addresses", info: { login: " login@acme.example " }, email: "login@acme.example" },
    { name: "profile.email without login", info: { profile: { email: "profile@acme.example" } }, email: "profile@acme.example" },
  ];
  it.each(cases)("picks $name", ({ info, email }) => {
    expect(emailOf(create(AccountInfoSchema, info))).toBe(email);
  });

  it.each([
    [{}, "account_info has no email"],
    [{ profile: { email: 42 } }, "account_info has no email"],
    [{ login: "not-an-address" }, `"not-an-address" is not a valid email address to invite`],
    [{ emails: [{ address: "a b@acme.example", isPrimary: true }] }, `"a b@acme.example" is not a valid email address to invite`],
    [{ login: "two@at@acme.example" }, "is not a valid email address to invite"],
    [{ login: "a@acme." }, "is not a valid email address to invite"],
    [{ login: "a@.example" }, "is not a valid email address to invite"],
    [{ login: `${"a".repeat(250)}@b.co` }, "is not a valid email address to invite"],
  ])("refuses %j with INVALID_ARGUMENT", (info, message) => {
    let caught: unknown;
    try {
      emailOf(create(AccountInfoSchema, info as never));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConnectorError);
    expect((caught as ConnectorError).code).toBe(Code.InvalidArgument);
    expect((caught as ConnectorError).message).toContain(message);
  });

  it("refuses a 4 MiB address by its length, before any pattern sees it", () => {
    // Dots after the "@" and an end that fails: the pattern this replaced took quadratic time on it.
    const hostile = `a@${"a.".repeat(2 * 1024 * 1024)}@`;
    for (const info of [{ login: hostile }, { profile: { email: hostile } }]) {
      const message = create(AccountInfoSchema, info);
      const matched = recordPatternInputs();
      try {
        expect(() => emailOf(message)).toThrow(/is not a valid email address to invite/);
      } finally {
        matched.restore();
      }
      expect(matched.longest()).toBeLessThanOrEqual(254);
    }
  });
});
