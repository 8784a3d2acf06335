import { create, toBinary } from "@bufbuild/protobuf";
import { anyIs, anyPack, AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { annotation, findAnnotation, hasAnnotation, v1Identifier } from "../../src/connector/annotations.js";
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

  it("find annotations by type as protobuf-es's anyIs does, whatever the type URL's prefix", () => {
    const value = toBinary(V1IdentifierSchema, create(V1IdentifierSchema, { id: "x" }));
    const name = V1IdentifierSchema.typeName;
    for (const typeUrl of [`type.googleapis.com/${name}`, `example.com/types/${name}`, `/${name}`, name, "", `type.googleapis.com/x${name}`, `type.googleapis.com/${name}.More`, `${name}/`, "c1.connector.v2.V1"]) {
      const any = create(AnySchema, { typeUrl, value });
      // anyIs throws on a URL that ends in "/"; such an annotation is of no type here.
      const expected = typeUrl.endsWith("/") ? false : anyIs(any, V1IdentifierSchema);
      expect(hasAnnotation([any], V1IdentifierSchema), typeUrl).toBe(expected);
      expect(findAnnotation([any], V1IdentifierSchema)?.id, typeUrl).toBe(expected ? "x" : undefined);
    }
  });
});
