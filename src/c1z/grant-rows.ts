import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { AnySchema, anyPack } from "@bufbuild/protobuf/wkt";
import { GrantImmutableSchema, GrantSourcesSchema } from "../connector/c1.js";

// The field numbers of c1.connector.v2.Grant (proto/c1/connector/v2/grant.proto).
const ENTITLEMENT = 1;
const PRINCIPAL = 2;
const ID = 3;
const ANNOTATIONS = 4;
const SOURCES = 5;

/** GRANT_IMMUTABLE is the one annotation of a derived grant: Any(GrantImmutable{}). */
const GRANT_IMMUTABLE = toBinary(AnySchema, anyPack(GrantImmutableSchema, create(GrantImmutableSchema)));

/** GrantParts is what expansion reads of a stored grant: its principal (as encoded) and its sources. */
export interface GrantParts {
  principal: Uint8Array;
  sources: Map<string, boolean>;
}

/**
 * readGrantParts reads the principal and the sources of an encoded Grant without decoding the
 * rest (its entitlement is most of its bytes, and expansion reads every grant of its sources).
 */
export function readGrantParts(data: Uint8Array): GrantParts {
  const reader = new BinaryReader(data);
  let principal: Uint8Array = new Uint8Array(0);
  let sources = new Map<string, boolean>();
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === PRINCIPAL && wireType === WireType.LengthDelimited) principal = reader.bytes();
    else if (field === SOURCES && wireType === WireType.LengthDelimited) {
      // Merged like protobuf: a repeated sources field adds to the map.
      const parsed = fromBinary(GrantSourcesSchema, reader.bytes());
      for (const [k, v] of Object.entries(parsed.sources)) sources.set(k, v.isDirect);
    } else reader.skip(wireType);
  }
  if (sources.size === 0) sources = EMPTY;
  return { principal, sources };
}
const EMPTY = new Map<string, boolean>();

/** DerivedGrantParts are what a derived grant is made of, its sub-messages already encoded. */
export interface DerivedGrantParts {
  entitlement: Uint8Array;
  principal: Uint8Array;
  id: string;
  /** Sorted by entitlement id. */
  sources: ReadonlyMap<string, boolean>;
}

/**
 * encodeDerivedGrant encodes Grant{entitlement, principal, id, annotations: [GrantImmutable],
 * sources} from parts already encoded: the bytes toBinary gives for the same message (fields in
 * number order, map entries as key and value), without decoding the entitlement and principal
 * only to encode them again (test/c1z/grant-rows.test.ts).
 */
export function encodeDerivedGrant(parts: DerivedGrantParts): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(ENTITLEMENT, WireType.LengthDelimited).bytes(parts.entitlement);
  writer.tag(PRINCIPAL, WireType.LengthDelimited).bytes(parts.principal);
  writer.tag(ID, WireType.LengthDelimited).string(parts.id);
  writer.tag(ANNOTATIONS, WireType.LengthDelimited).bytes(GRANT_IMMUTABLE);
  writer.tag(SOURCES, WireType.LengthDelimited).fork();
  for (const [entitlementId, isDirect] of parts.sources) {
    writer.tag(1, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string(entitlementId);
    writer.tag(2, WireType.LengthDelimited).fork();
    if (isDirect) writer.tag(1, WireType.Varint).bool(true);
    writer.join();
    writer.join();
  }
  writer.join();
  return writer.finish();
}
