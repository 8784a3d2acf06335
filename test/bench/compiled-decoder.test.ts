import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { StructSchema, TimestampSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EntitlementSchema,
  GrantSchema,
  GrantsServiceListGrantsResponseSchema,
  ResourceSchema,
  ResourceTypeSchema,
  Status_ResourceStatus,
  UserTraitSchema,
} from "../../src/connector/c1.js";
import { messageDecoder } from "../../bench/compiled-decoder.js";
import { RateLimitDescriptionSchema, RateLimitDescription_Status } from "../../src/gen/c1/ratelimit/v1/ratelimit_pb.js";
import type { MemoryStore } from "../../src/sync/syncer.js";
import { demoAndGeneratedSyncs } from "../helpers/synced-stores.js";

/** expectSameAsFromBinary asserts the compiled decoder reads each input exactly as protobuf-es does. */
function expectSameAsFromBinary(schema: DescMessage, inputs: readonly Uint8Array[]): void {
  const decode = messageDecoder(schema);
  inputs.forEach((bytes, i) => {
    const ours = decode(bytes);
    const theirs = fromBinary(schema, bytes);
    // Node's deep-strict comparison (prototypes, own keys, -0, bytes) takes a fraction of expect's
    // time over thousands of objects; expect runs only to describe a difference.
    if (!isDeepStrictEqual(ours, theirs)) expect(ours, `${schema.typeName} #${i}`).toStrictEqual(theirs);
  });
}

function encoded<S extends DescMessage>(schema: S, messages: readonly MessageShape<S>[]): Uint8Array[] {
  return messages.map((m) => toBinary(schema, m));
}

/** outcome is what decoding does with bytes: the message, or the fact that it throws. */
function outcome(decode: () => unknown): unknown {
  try {
    return decode();
  } catch {
    return "throws";
  }
}

describe("the compiled message decoder", () => {
  const stores: MemoryStore[] = [];
  beforeAll(async () => {
    stores.push(...(await demoAndGeneratedSyncs({ users: 1_500, seed: 9 })));
  });
  afterAll(() => void stores.splice(0));

  it("reads every object of full syncs of the demo and a generated account as fromBinary does", () => {
    for (const store of stores) {
      expect(store.grants.length).toBeGreaterThan(0);
      expectSameAsFromBinary(ResourceTypeSchema, encoded(ResourceTypeSchema, store.resourceTypes));
      expectSameAsFromBinary(ResourceSchema, encoded(ResourceSchema, store.resources));
      expectSameAsFromBinary(EntitlementSchema, encoded(EntitlementSchema, store.entitlements));
      expectSameAsFromBinary(GrantSchema, encoded(GrantSchema, store.grants));
    }
    const page = create(GrantsServiceListGrantsResponseSchema, { list: stores[1]!.grants.slice(0, 1000), nextPageToken: "t".repeat(5000) });
    expectSameAsFromBinary(GrantsServiceListGrantsResponseSchema, [toBinary(GrantsServiceListGrantsResponseSchema, page)]);
  });

  it("reads the edge cases of every field kind as fromBinary does", () => {
    const long = "é".repeat(9000);
    const resources = [
      create(ResourceSchema),
      create(ResourceSchema, { displayName: long, description: "☃ \u{1F600}", id: { resourceType: "", resource: "r" } }),
      create(ResourceSchema, {
        id: { resourceType: "user", resource: "u" },
        profile: { a: null, b: -0.5, c: Number.MAX_VALUE, d: "", e: false, f: [], g: {}, h: [[1], { i: [null] }], "": "empty key", "1": "numeric key", ü: long },
        status: { status: Status_ResourceStatus.DISABLED, details: "x" },
        createdAt: { seconds: -62_135_596_800n, nanos: 999_999_999 },
        annotations: [{ typeUrl: "type.googleapis.com/x", value: new Uint8Array(300).fill(7) }, { typeUrl: "", value: new Uint8Array() }],
      }),
    ];
    const withUnknown = create(ResourceSchema, { displayName: "d" });
    withUnknown.$unknown = [
      { no: 99, wireType: 2, data: new Uint8Array([2, 1, 2]) },
      { no: 98, wireType: 0, data: new Uint8Array([0xff, 0x01]) },
      { no: 97, wireType: 5, data: new Uint8Array([1, 2, 3, 4]) },
      { no: 96, wireType: 1, data: new Uint8Array(8).fill(9) },
    ];
    resources.push(withUnknown);
    const bytes = encoded(ResourceSchema, resources);
    // Concatenated encodings merge: scalars last-wins, nested messages and Struct fields merge, lists append.
    bytes.push(Buffer.concat([bytes[2]!, bytes[1]!, bytes[2]!, bytes[3]!]));
    expectSameAsFromBinary(ResourceSchema, bytes);

    const trait = create(UserTraitSchema, { accountType: -1 as never, emails: [{ address: "a", isPrimary: true }], profile: { x: 1 } });
    expectSameAsFromBinary(UserTraitSchema, [toBinary(UserTraitSchema, trait), Buffer.concat([toBinary(UserTraitSchema, trait), toBinary(UserTraitSchema, trait)])]);
    expectSameAsFromBinary(TimestampSchema, encoded(TimestampSchema, [create(TimestampSchema, { seconds: 253_402_300_799n, nanos: -1 }), create(TimestampSchema, { seconds: -1n })]));
    expectSameAsFromBinary(StructSchema, encoded(StructSchema, [create(StructSchema, { fields: { k: { kind: { case: "nullValue", value: 0 } }, e: {} } })]));
    expectSameAsFromBinary(ValueSchema, encoded(ValueSchema, [create(ValueSchema, { kind: { case: "numberValue", value: 0 } }), create(ValueSchema, { kind: { case: "stringValue", value: "" } })]));
    const rate = create(RateLimitDescriptionSchema, { status: RateLimitDescription_Status.OVERLIMIT, limit: 2n ** 63n - 1n, remaining: -5n, resetAt: { seconds: 5n } });
    expectSameAsFromBinary(RateLimitDescriptionSchema, [toBinary(RateLimitDescriptionSchema, rate)]);
    // Map entries missing their key or value, and a Value whose struct arrives twice.
    expectSameAsFromBinary(StructSchema, [new Uint8Array([0x0a, 0x00]), new Uint8Array([0x0a, 0x03, 0x0a, 0x01, 0x6b]), new Uint8Array([0x0a, 0x02, 0x12, 0x00])]);
    const struct = (key: string, value: number) => toBinary(ValueSchema, create(ValueSchema, { kind: { case: "structValue", value: { fields: { [key]: { kind: { case: "numberValue", value } } } } } }));
    expectSameAsFromBinary(ValueSchema, [Buffer.concat([struct("a", 1), struct("b", 2), struct("a", 3)])]);
  });

  it("rejects what fromBinary rejects: truncated input and invalid UTF-8", () => {
    const decode = messageDecoder(ResourceSchema);
    const whole = toBinary(ResourceSchema, create(ResourceSchema, { id: { resourceType: "user", resource: "u" }, displayName: "name", profile: { k: "v" } }));
    for (let cut = 1; cut < whole.length; cut++) {
      const part = whole.subarray(0, cut);
      expect(outcome(() => decode(part)), `cut at ${cut}`).toStrictEqual(outcome(() => fromBinary(ResourceSchema, part)));
    }
    const badUtf8 = new Uint8Array([0x22, 0x02, 0xc3, 0x28]); // display_name = invalid UTF-8
    expect(() => decode(badUtf8)).toThrow();
    expect(() => fromBinary(ResourceSchema, badUtf8)).toThrow();
  });
});
