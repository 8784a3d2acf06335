import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { anyIs, anyPack, anyUnpack, AnySchema, type Any } from "@bufbuild/protobuf/wkt";
import { V1IdentifierSchema } from "./c1.js";

/** annotation packs an annotation message into the google.protobuf.Any the protocol carries. */
export function annotation<S extends DescMessage>(schema: S, init?: MessageInitShape<S>): Any {
  return anyPack(schema, create(schema, init));
}

const V1_IDENTIFIER_URL = `type.googleapis.com/${V1IdentifierSchema.typeName}`;

/**
 * v1Identifier is annotation(V1IdentifierSchema, { id }) written directly: it goes on most
 * grants of a sync, and its one string field needs no reflection to encode.
 */
export function v1Identifier(id: string): Any {
  // proto3 leaves an empty string out, as toBinary would.
  const value = id === "" ? new Uint8Array(0) : new BinaryWriter().tag(1, WireType.LengthDelimited).string(id).finish();
  return create(AnySchema, { typeUrl: V1_IDENTIFIER_URL, value });
}

/** findAnnotation returns the first annotation of the given type, unpacked. */
export function findAnnotation<S extends DescMessage>(annotations: readonly Any[], schema: S): MessageShape<S> | undefined {
  const found = annotations.find((a) => anyIs(a, schema));
  return found && anyUnpack(found, schema);
}

/** hasAnnotation tells whether an annotation of the given type is present. */
export function hasAnnotation(annotations: readonly Any[], schema: DescMessage): boolean {
  return annotations.some((a) => anyIs(a, schema));
}
