import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { anyIs, anyPack, anyUnpack, type Any } from "@bufbuild/protobuf/wkt";

/** annotation packs an annotation message into the google.protobuf.Any the protocol carries. */
export function annotation<S extends DescMessage>(schema: S, init?: MessageInitShape<S>): Any {
  return anyPack(schema, create(schema, init));
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
