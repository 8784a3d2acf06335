import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { anyIs, anyUnpack, AnySchema, type Any } from "@bufbuild/protobuf/wkt";
import { V1IdentifierSchema } from "./c1.js";
import { encodeInit } from "./message-encoder.js";

/**
 * annotation packs an annotation message into the google.protobuf.Any the protocol carries:
 * anyPack's result, without creating either message first (traits and ids go on every resource
 * and grant of a sync).
 */
export function annotation<S extends DescMessage>(schema: S, init: MessageInitShape<S> = {} as MessageInitShape<S>): Any {
  let typeUrl = typeUrls.get(schema);
  if (typeUrl === undefined) typeUrls.set(schema, (typeUrl = `type.googleapis.com/${schema.typeName}`));
  return { $typeName: AnySchema.typeName, typeUrl, value: encodeInit(schema, init) };
}
// One string per annotation type, not a new one per annotation (tens of thousands per sync).
const typeUrls = new WeakMap<DescMessage, string>();

/** v1Identifier is the legacy id the official connector put on resources and grants. */
export function v1Identifier(id: string): Any {
  return annotation(V1IdentifierSchema, { id });
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
