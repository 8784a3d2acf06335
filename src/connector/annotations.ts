import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { anyUnpack, AnySchema, type Any } from "@bufbuild/protobuf/wkt";
import { V1IdentifierSchema } from "./c1.js";
import { encodeInit } from "../codec/codecs.js";

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
  const found = annotations.find((a) => isOfType(a, schema));
  return found && anyUnpack(found, schema);
}

/** hasAnnotation tells whether an annotation of the given type is present. */
export function hasAnnotation(annotations: readonly Any[], schema: DescMessage): boolean {
  return annotations.some((a) => isOfType(a, schema));
}

/**
 * isOfType is anyIs (the type name is what follows the type URL's last "/"), without cutting a
 * new string out of the URL: a sync checks the annotations of every resource and grant it reads.
 * A URL ending in "/", on which anyIs throws, is of no type.
 */
function isOfType(annotation: Any, schema: DescMessage): boolean {
  const url = annotation.typeUrl;
  const name = schema.typeName;
  if (url === name) return true;
  const slash = url.length - name.length - 1;
  return slash >= 0 && url.charCodeAt(slash) === SLASH && url.endsWith(name);
}
const SLASH = 0x2f;
