import { create, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { StructSchema, TimestampSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EntitlementSchema,
  GrantSchema,
  GrantsServiceListGrantsResponseSchema,
  ResourceSchema,
  ResourcesServiceListResourcesResponseSchema,
  ResourceTypeSchema,
  Status_ResourceStatus,
  UserTraitSchema,
} from "../../src/connector/c1.js";
import { encodeListItems, messageEncoder } from "../../src/codec/compiled-encoder.js";
import type { MemoryStore } from "../../src/sync/syncer.js";
import { demoAndGeneratedSyncs } from "../helpers/synced-stores.js";

/** sameAsToBinary asserts the compiled encoder writes exactly protobuf-es's bytes for each message. */
function expectSameAsToBinary<S extends DescMessage>(schema: S, messages: readonly MessageShape<S>[]): void {
  const encode = messageEncoder(schema);
  const mismatched = messages.filter((m) => !Buffer.from(encode(m)).equals(Buffer.from(toBinary(schema, m))));
  expect(mismatched, `${schema.typeName}: ${mismatched.length} of ${messages.length} differ`).toEqual([]);
}

describe("the compiled message encoder", () => {
  const stores: MemoryStore[] = [];
  beforeAll(async () => {
    stores.push(...(await demoAndGeneratedSyncs({ users: 1_500, seed: 5 })));
  });
  afterAll(() => void stores.splice(0));

  it("writes toBinary's bytes for every object of full syncs of the demo and a generated account", () => {
    for (const store of stores) {
      expect(store.resources.length).toBeGreaterThan(0);
      expectSameAsToBinary(ResourceTypeSchema, store.resourceTypes);
      expectSameAsToBinary(ResourceSchema, store.resources);
      expectSameAsToBinary(EntitlementSchema, store.entitlements);
      expectSameAsToBinary(GrantSchema, store.grants);
    }
    // And whole pages, whose items are long enough to need multi-byte lengths.
    const grants = stores[1]!.grants.slice(0, 1000);
    expectSameAsToBinary(GrantsServiceListGrantsResponseSchema, [create(GrantsServiceListGrantsResponseSchema, { list: grants, nextPageToken: "t".repeat(5000) })]);
  });

  it("writes toBinary's bytes for the edge cases of every field kind it compiles", () => {
    const long = "é".repeat(9000); // 18,000 bytes: a three-byte length
    const resources = [
      create(ResourceSchema),
      create(ResourceSchema, { displayName: long, description: "\ud800 lone surrogate ☃", id: { resourceType: "", resource: "r" } }),
      create(ResourceSchema, {
        id: { resourceType: "user", resource: "u" },
        profile: { a: null, b: -0.5, c: Number.MAX_VALUE, d: "", e: false, f: [], g: {}, h: [[1], { i: [null] }], "": "empty key", ü: long },
        status: { status: Status_ResourceStatus.DISABLED, details: "x" },
        createdAt: { seconds: -62_135_596_800n, nanos: 999_999_999 },
        annotations: [{ typeUrl: "type.googleapis.com/x", value: new Uint8Array(300).fill(7) }, { typeUrl: "", value: new Uint8Array() }],
      }),
    ];
    const withUnknown = create(ResourceSchema, { displayName: "d" });
    withUnknown.$unknown = [{ no: 99, wireType: 2, data: new Uint8Array([2, 1, 2]) }];
    resources.push(withUnknown);
    expectSameAsToBinary(ResourceSchema, resources);
    expectSameAsToBinary(UserTraitSchema, [create(UserTraitSchema, { accountType: -1 as never, emails: [{ address: "a", isPrimary: false }], profile: {} })]);
    // int64 values on both sides of the number fast path (2^53) and at the ends of the range.
    const seconds = [127n, 128n, 253_402_300_799n, 9_007_199_254_740_991n, 9_007_199_254_740_992n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n, -1n];
    expectSameAsToBinary(TimestampSchema, [create(TimestampSchema, { seconds: 253_402_300_799n, nanos: -1 }), ...seconds.map((s) => create(TimestampSchema, { seconds: s }))]);
    expectSameAsToBinary(StructSchema, [create(StructSchema, { fields: { k: { kind: { case: "nullValue", value: 0 } }, e: {} } })]);
    expectSameAsToBinary(ValueSchema, [create(ValueSchema, { kind: { case: "numberValue", value: 0 } }), create(ValueSchema, { kind: { case: "stringValue", value: "" } })]);
  });

  it("encodes a list response item by item into toBinary's bytes", () => {
    const Response = ResourcesServiceListResourcesResponseSchema;
    const resources = stores[0]!.resources.slice(0, 5);
    const bytesOf = (list: typeof resources, nextPageToken: string) => toBinary(Response, create(Response, { list, nextPageToken }));
    const all = encodeListItems(Response, resources, 1 << 20);
    expect([all.count, all.more]).toEqual([5, false]);
    expect(all.finish({ nextPageToken: "next" })).toEqual(bytesOf(resources, "next"));
    expect(encodeListItems(Response, [], 1 << 20).finish({})).toEqual(new Uint8Array());

    // Items are taken from the iterable one at a time, while they fit, and at least one.
    const fitsThree = bytesOf(resources.slice(0, 3), "").length;
    let taken = 0;
    const counted = function* () {
      for (const r of resources) {
        taken++;
        yield r;
      }
    };
    const three = encodeListItems(Response, counted(), fitsThree);
    expect([three.count, three.more, taken]).toEqual([3, true, 4]);
    expect(three.finish({ nextPageToken: "t" })).toEqual(bytesOf(resources.slice(0, 3), "t"));
    const one = encodeListItems(Response, resources, 0);
    expect([one.count, one.more]).toEqual([1, true]);
    expect(one.finish({})).toEqual(bytesOf(resources.slice(0, 1), ""));

    expect(() => encodeListItems(ResourceSchema, [], 1)).toThrow(/not a list response/);
  });
});
