import { create, fromBinary, fromJson, isMessage, toBinary } from "@bufbuild/protobuf";
import { getTextEncoding } from "@bufbuild/protobuf/wire";
import { afterEach, describe, expect, it } from "vitest";
import { codecMode, encodeInit, encodeListItems, encoder, messageMaker, readJson, toSend, useCodecs } from "../../src/codec/codecs.js";
import { ResourceSchema, ResourcesServiceListResourcesResponseSchema } from "../../src/connector/c1.js";
import { fastPathsFromEnv, fastPathsOn, useFastPaths } from "../../src/codec/fast-paths.js";
import { GetUsersResponseSchema } from "../../src/gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";

const users = Array.from({ length: 4 }, (_, i) =>
  create(ResourceSchema, { id: { resourceType: "user", resource: `u${i}` }, displayName: `User ${i} ☃`, profile: { email: `u${i}@example.com` } }),
);
const Response = ResourcesServiceListResourcesResponseSchema;

describe("the codec boundary (src/codec/codecs.ts)", () => {
  const initial = fastPathsOn();
  afterEach(() => useFastPaths(initial));

  it("follows the fast-paths switch: compiled codecs unless TEMPORALCLOUD_CONNECTOR_FAST_PATHS=off", () => {
    expect(fastPathsFromEnv({})).toBe(true);
    expect(fastPathsFromEnv({ TEMPORALCLOUD_CONNECTOR_FAST_PATHS: "off" })).toBe(false);
    expect(fastPathsFromEnv({ TEMPORALCLOUD_CONNECTOR_FAST_PATHS: "anything else" })).toBe(true);
    useFastPaths(false);
    expect([fastPathsOn(), codecMode()]).toEqual([false, "library"]);
    useFastPaths(true);
    expect([fastPathsOn(), codecMode()]).toEqual([true, "compiled"]);
  });

  it("sets protobuf-es's text encoding when the mode is chosen, and puts its own back in library mode", () => {
    useCodecs("library");
    const library = getTextEncoding();
    useCodecs("compiled");
    expect(getTextEncoding()).not.toBe(library);
    useCodecs("library");
    expect(getTextEncoding()).toBe(library);
  });

  for (const mode of ["compiled", "library"] as const) {
    it(`keeps every promise in ${mode} mode: toBinary's bytes, fromJson's and create()'s messages`, () => {
      useCodecs(mode);
      expect(codecMode()).toBe(mode);
      const encode = encoder(ResourceSchema);
      for (const user of users) expect(encode(user)).toEqual(toBinary(ResourceSchema, user));
      expect(encodeInit(ResourceSchema, { displayName: "x" })).toEqual(toBinary(ResourceSchema, create(ResourceSchema, { displayName: "x" })));
      const make = messageMaker(ResourceSchema);
      expect(make({ displayName: "y", id: users[0]!.id })).toEqual(create(ResourceSchema, { displayName: "y", id: users[0]!.id }));
      const json = { users: [{ id: "u1", spec: { email: "a@b.c" }, unknownField: 1 }], nextPageToken: "t" };
      expect(readJson(GetUsersResponseSchema, json)).toEqual(fromJson(GetUsersResponseSchema, json, { ignoreUnknownFields: true }));
      expect(readJson(GetUsersResponseSchema, json).users[0]!.spec!.email).toBe("a@b.c");
    });

    it(`encodes a list response within its budget in ${mode} mode, as toBinary would, and sends it whole to either codec`, () => {
      useCodecs(mode);
      const expected = (n: number, nextPageToken: string) => toBinary(Response, create(Response, { list: users.slice(0, n), nextPageToken }));
      const all = encodeListItems(Response, users, 1 << 20);
      expect([all.count, all.more]).toEqual([4, false]);
      const encoded = all.finish({ nextPageToken: "next" });
      expect(encoded.bytes).toEqual(expected(4, "next"));

      const budget = expected(2, "").length;
      const two = encodeListItems(Response, users, budget);
      expect([two.count, two.more]).toEqual([2, true]);
      expect(two.finish({}).bytes).toEqual(expected(2, ""));
      expect(encodeListItems(Response, users, 0).count).toBe(1); // at least one

      // JSON callers get the real message, whatever the mode.
      const forJson = toSend(encoded, "json");
      expect(forJson.list.map((r) => r.displayName)).toEqual(users.map((u) => u.displayName));
      expect(forJson.nextPageToken).toBe("next");
      // Binary callers get a message toBinary writes as exactly the encoded bytes.
      const forBinary = toSend(encoded, "binary");
      expect(isMessage(forBinary, Response)).toBe(true);
      expect(toBinary(Response, forBinary)).toEqual(encoded.bytes);
      expect(fromBinary(Response, toBinary(Response, forBinary))).toEqual(fromBinary(Response, encoded.bytes));
    });
  }
});
