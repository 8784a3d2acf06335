import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { AnySchema, anyPack } from "@bufbuild/protobuf/wkt";
import { GrantImmutableSchema, GrantSourcesSchema } from "../connector/c1.js";

// The field numbers of c1.connector.v2.Grant (proto/c1/connector/v2/grant.proto).
export const ENTITLEMENT = 1;
const PRINCIPAL = 2;
const ID = 3;
const ANNOTATIONS = 4;
const SOURCES = 5;

/** GRANT_IMMUTABLE is the one annotation of a derived grant: Any(GrantImmutable{}). */
const GRANT_IMMUTABLE = toBinary(AnySchema, anyPack(GrantImmutableSchema, create(GrantImmutableSchema)));

/** GrantParts is what expansion reads of a stored grant: its principal field (as encoded) and its sources. */
export interface GrantParts {
  /** The grant's principal field, tag and length included: a derived grant embeds it as it is. */
  principalField: Uint8Array;
  sources: Map<string, boolean>;
}

/**
 * readGrantParts reads the principal and the sources of an encoded Grant without decoding the
 * rest (its entitlement is most of its bytes, and expansion reads every grant of its sources).
 */
export function readGrantParts(data: Uint8Array): GrantParts {
  const reader = new BinaryReader(data);
  let principalField: Uint8Array = new Uint8Array(0);
  let sources = EMPTY;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [field, wireType] = reader.tag();
    if (field === PRINCIPAL && wireType === WireType.LengthDelimited) {
      reader.skip(wireType);
      principalField = data.subarray(start, reader.pos);
    } else if (field === SOURCES && wireType === WireType.LengthDelimited) {
      // Merged like protobuf: a repeated sources field adds to the map.
      const parsed = fromBinary(GrantSourcesSchema, reader.bytes());
      if (sources === EMPTY) sources = new Map();
      for (const [k, v] of Object.entries(parsed.sources)) sources.set(k, v.isDirect);
    } else reader.skip(wireType);
  }
  return { principalField, sources };
}
const EMPTY: Map<string, boolean> = new Map();

/** lengthDelimited encodes one length-delimited field: its tag, the length and the bytes. */
export function lengthDelimited(field: number, bytes: Uint8Array): Uint8Array {
  const head = new BinaryWriter().tag(field, WireType.LengthDelimited).uint32(bytes.length).finish();
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

const GRANT_IMMUTABLE_FIELD = lengthDelimited(ANNOTATIONS, GRANT_IMMUTABLE);
const utf8 = new TextEncoder();

/**
 * DerivedGrantEncoder encodes the grants expansion derives. A derived grant is
 * Grant{entitlement, principal, id, annotations: [GrantImmutable], sources}: its entitlement is
 * the same for every grant of a destination and its principal the one its source grant embeds,
 * so it is put together from fields already encoded (the entitlement field once per entitlement,
 * the sources field once per distinct set of sources) — the bytes toBinary gives for the same
 * message (test/c1z/grant-rows.test.ts), at a fraction of the cost of building and encoding
 * 160,000 messages.
 */
export function createDerivedGrantEncoder(): (parts: { entitlementField: Uint8Array; principalField: Uint8Array; id: string; sources: ReadonlyMap<string, boolean> }) => Uint8Array {
  const sourcesFields = new Map<string, Uint8Array>();
  const sourcesField = (sources: ReadonlyMap<string, boolean>) => {
    let key = "";
    for (const [id, isDirect] of sources) key += `${id}\u0000${isDirect ? 1 : 0}\u0000`;
    let field = sourcesFields.get(key);
    if (!field) {
      if (sourcesFields.size > 10_000) sourcesFields.clear();
      const writer = new BinaryWriter();
      for (const [entitlementId, isDirect] of sources) {
        writer.tag(1, WireType.LengthDelimited).fork();
        writer.tag(1, WireType.LengthDelimited).string(entitlementId);
        writer.tag(2, WireType.LengthDelimited).fork();
        if (isDirect) writer.tag(1, WireType.Varint).bool(true);
        writer.join();
        writer.join();
      }
      sourcesFields.set(key, (field = lengthDelimited(SOURCES, writer.finish())));
    }
    return field;
  };
  return ({ entitlementField, principalField, id, sources }) => {
    const idField = lengthDelimited(ID, utf8.encode(id));
    const sourcesBytes = sourcesField(sources);
    const out = Buffer.allocUnsafe(entitlementField.length + principalField.length + idField.length + GRANT_IMMUTABLE_FIELD.length + sourcesBytes.length);
    let at = 0;
    for (const part of [entitlementField, principalField, idField, GRANT_IMMUTABLE_FIELD, sourcesBytes]) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  };
}
