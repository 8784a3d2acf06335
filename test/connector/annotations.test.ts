import { toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { annotation, findAnnotation, v1Identifier } from "../../src/connector/annotations.js";
import { V1IdentifierSchema } from "../../src/connector/c1.js";

describe("annotations", () => {
  it("v1Identifier encodes exactly what the generic annotation() does", () => {
    for (const id of ["user:alice@acme.example", "", "grant:namespace:ns.acme7:read:" + "x".repeat(300), "ünïcødé:☃"]) {
      const fast = v1Identifier(id);
      expect(toBinary(AnySchema, fast)).toEqual(toBinary(AnySchema, annotation(V1IdentifierSchema, { id })));
      expect(findAnnotation([fast], V1IdentifierSchema)?.id).toBe(id);
    }
  });
});
