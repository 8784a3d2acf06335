import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, DurationSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { EntitlementSchema, GrantSchema, ResourceIdSchema, ResourceSchema, StatusSchema, Status_ResourceStatus, UserTraitSchema } from "../../src/connector/c1.js";
import { messageMaker } from "../../src/codec/compiled-maker.js";

describe("messageMaker", () => {
  const makeId = messageMaker(ResourceIdSchema);
  const makeResource = messageMaker(ResourceSchema);
  const id = makeId({ resourceType: "user", resource: "u1" });

  it("makes what create() makes from the same fields, field for field and byte for byte", () => {
    // Message fields that are not set are present as undefined (create() leaves them out).
    const withoutUndefined = (value: unknown): unknown =>
      value !== null && typeof value === "object" && !ArrayBuffer.isView(value) && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)]))
        : value;
    const cases = [
      [ResourceIdSchema, makeId, { resourceType: "user", resource: "u1" }],
      [ResourceIdSchema, makeId, {}],
      [
        ResourceSchema,
        makeResource,
        {
          id,
          displayName: "Ada",
          profile: { email: "ada@example.com", n: 2 },
          status: create(StatusSchema, { status: Status_ResourceStatus.DISABLED, details: "suspended" }),
          createdAt: timestampFromMs(1_700_000_000_000),
          annotations: [anyPack(UserTraitSchema, create(UserTraitSchema, { login: "ada" }))],
        },
      ],
      [
        GrantSchema,
        messageMaker(GrantSchema),
        {
          id: "namespace:ns:read:user:u1",
          entitlement: messageMaker(EntitlementSchema)({ id: "namespace:ns:read", resource: makeResource({ id: makeId({ resourceType: "namespace", resource: "ns" }) }) }),
          principal: makeResource({ id }),
        },
      ],
    ] as const;
    for (const [schema, make, fields] of cases) {
      const made = (make as (f: object) => object)(fields);
      const created = create(schema as typeof ResourceSchema, fields as never);
      expect(withoutUndefined(made)).toStrictEqual(withoutUndefined(created));
      expect(made).toEqual(created);
      expect(toBinary(schema as typeof ResourceSchema, made as never)).toEqual(toBinary(schema as typeof ResourceSchema, created));
    }
  });

  it("shares a frozen zero: a made message's empty lists cannot be changed in place, so no other message sees it", () => {
    const a = makeResource({ id });
    const b = makeResource({ id });
    expect(() => a.annotations.push(anyPack(DurationSchema, create(DurationSchema)))).toThrow(TypeError);
    expect(b.annotations).toEqual([]);
    a.annotations = [anyPack(DurationSchema, create(DurationSchema))]; // replacing a field is fine
    expect(b.annotations).toEqual([]);
    expect(Object.isFrozen(a)).toBe(false);
  });
});
