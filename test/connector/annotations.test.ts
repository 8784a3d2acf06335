import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { annotation, findAnnotation, v1Identifier } from "../../src/connector/annotations.js";
import { GrantExpandableSchema, UserTraitSchema, UserTrait_AccountType, V1IdentifierSchema } from "../../src/connector/c1.js";

describe("annotations", () => {
  it("pack exactly what protobuf-es's anyPack packs, and unpack again", () => {
    const trait = {
      emails: [{ address: "ünïcødé@acme.example", isPrimary: true }],
      login: "x".repeat(300),
      accountType: UserTrait_AccountType.HUMAN,
      profile: { user_id: "u1", nested: { list: [1, "two", null, true, { deep: [] }] } },
      createdAt: { seconds: 1_700_000_000n, nanos: 5 },
      status: { status: 2, details: "" },
      icon: undefined,
    };
    const cases = [
      [annotation(UserTraitSchema, trait), anyPack(UserTraitSchema, create(UserTraitSchema, trait))],
      [annotation(GrantExpandableSchema, { entitlementIds: ["group:g1:member", ""] }), anyPack(GrantExpandableSchema, create(GrantExpandableSchema, { entitlementIds: ["group:g1:member", ""] }))],
      [annotation(GrantExpandableSchema), anyPack(GrantExpandableSchema, create(GrantExpandableSchema))],
    ] as const;
    for (const [ours, theirs] of cases) {
      expect(ours).toStrictEqual(theirs);
      expect(toBinary(AnySchema, ours)).toEqual(toBinary(AnySchema, theirs));
    }
    expect(findAnnotation([cases[0][0]], UserTraitSchema)?.profile).toEqual(trait.profile);
    for (const id of ["user:alice@acme.example", "", "ünïcødé:☃"]) expect(findAnnotation([v1Identifier(id)], V1IdentifierSchema)?.id).toBe(id);
  });
});
