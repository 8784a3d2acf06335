import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { annotation } from "../../src/connector/annotations.js";
import { EntitlementSchema, GrantImmutableSchema, GrantSchema, ResourceSchema, UserTraitSchema } from "../../src/connector/c1.js";
import { createDerivedGrantEncoder, ENTITLEMENT, lengthDelimited, readGrantParts } from "../../src/c1z/grant-rows.js";

const entitlement = create(EntitlementSchema, {
  id: "namespace:prod.acme7:admin",
  slug: "admin",
  displayName: "Namespace prod.acme7 Admin",
  resource: { id: { resourceType: "namespace", resource: "prod.acme7" }, displayName: "prod.acme7" },
});
const encodeDerivedGrant = createDerivedGrantEncoder();
const fields = () => ({ entitlementField: lengthDelimited(ENTITLEMENT, toBinary(EntitlementSchema, entitlement)), principalField: lengthDelimited(2, toBinary(ResourceSchema, principal)) });
const principal = create(ResourceSchema, { id: { resourceType: "user", resource: "u1" }, displayName: "alice@acme.example", annotations: [annotation(UserTraitSchema, { login: "alice" })] });

describe("derived grant rows", () => {
  it("encode exactly what toBinary gives for the same Grant", () => {
    for (const sources of [new Map([["account-role:acme7-admin:member", true]]), new Map([["group:a:member", false], ["group:b:member", true]])]) {
      const message = create(GrantSchema, {
        id: "namespace:prod.acme7:admin:user:u1",
        entitlement,
        principal,
        annotations: [annotation(GrantImmutableSchema)],
        sources: { sources: Object.fromEntries([...sources].map(([k, isDirect]) => [k, { isDirect }])) },
      });
      const encoded = encodeDerivedGrant({ ...fields(), id: message.id, sources });
      expect(Buffer.from(encoded).toString("hex")).toBe(Buffer.from(toBinary(GrantSchema, message)).toString("hex"));
      expect(fromBinary(GrantSchema, Uint8Array.from(encoded))).toEqual(message);
    }
  });

  it("are read back for their principal and sources only", () => {
    const sources = new Map([["group:a:member", false]]);
    const parts = readGrantParts(encodeDerivedGrant({ ...fields(), id: "x", sources }));
    expect(Buffer.from(parts.principalField)).toEqual(Buffer.from(fields().principalField));
    expect(parts.sources).toEqual(sources);
    expect(readGrantParts(toBinary(GrantSchema, create(GrantSchema, { id: "y", principal }))).sources.size).toBe(0);
  });
});
