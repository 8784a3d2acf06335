import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ResourceIdSchema } from "../../src/connector/c1.js";

describe("protobuf strings through Node's Buffer (src/connector/text-encoding.ts)", () => {
  it("round-trips any well-formed text", () => {
    const id = create(ResourceIdSchema, { resourceType: "user", resource: "zoë-😀-用户" });
    expect(fromBinary(ResourceIdSchema, toBinary(ResourceIdSchema, id))).toEqual(id);
  });

  it("writes a lone surrogate as U+FFFD, as TextEncoder does", () => {
    const bytes = toBinary(ResourceIdSchema, create(ResourceIdSchema, { resource: "a\ud800b" }));
    expect(fromBinary(ResourceIdSchema, bytes).resource).toBe("a\ufffdb");
  });

  it("still refuses invalid UTF-8 in a message it reads", () => {
    // Field 2 (resource), length 2, bytes 0xc3 0x28: an invalid two-byte sequence.
    expect(() => fromBinary(ResourceIdSchema, new Uint8Array([0x12, 0x02, 0xc3, 0x28]))).toThrow(/utf-8/i);
  });
});
