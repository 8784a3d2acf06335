import { create, ScalarType, toBinary, type DescField, type DescMessage, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { Prng } from "../../src/simulator/temporal/prng.js";

/**
 * FuzzDictionary is what random values are drawn from: strings that mean something to the
 * connector (type ids, real resource and entitlement ids, emails, tokens) mixed with strings
 * that tend to break things (empty, NUL, unicode, path tricks, sizes around the limits).
 */
export interface FuzzDictionary {
  strings: readonly string[];
  /** Type URLs for google.protobuf.Any, with the message each names when it is a known type. */
  anyTypes: readonly { typeUrl: string; schema?: DescMessage }[];
}

/** GenOptions bounds one generated message. */
export interface GenOptions {
  /** Message nesting depth below the request (default 4). */
  maxDepth?: number;
  /** Probability that an optional field is set at all (default 0.5). */
  fieldChance?: number;
  /**
   * Values generated, at most, over the whole message (default 300): a cap that keeps nested
   * lists of messages from multiplying into millions of nodes. Shared and decremented as we go.
   */
  budget?: { nodes: number };
  /** Per field name (proto name), a generator that replaces the random value. */
  overrides?: Record<string, (prng: Prng) => unknown>;
  /** No long strings: for items repeated many times (the count is being tested, not the size). */
  short?: boolean;
}

// Sizes around the protocol's limits (docs/baton-protocol.md, "Field limits"): 1024-byte ids, 2048/4096-byte
// descriptions, the 1 MiB page token, and whole messages near gRPC's 4 MiB default.
const LONG_SIZES = [255, 1023, 1024, 1025, 2048, 2049, 4096, 4097, 65_536, 1_048_576, 1_048_577, 1_500_000, 2_000_000];
const LONGEST = 5 * 1024 * 1024;
const longBases = new Map<string, string>();

/**
 * long returns a string of exactly `bytes` UTF-8 bytes made of `unit`: a slice of one cached
 * 5 MiB string per unit (slices share it), so any number of sizes costs no memory that stays.
 */
export function long(bytes: number, unit = "x"): string {
  let base = longBases.get(unit);
  if (base === undefined) longBases.set(unit, (base = unit.repeat(Math.ceil(LONGEST / Buffer.byteLength(unit)))));
  const unitBytes = Buffer.byteLength(unit);
  const units = Math.floor(bytes / unitBytes);
  return base.slice(0, units * unit.length) + "x".repeat(bytes % unitBytes);
}

/** randomBytes returns n bytes from the PRNG. */
export function randomBytes(prng: Prng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const word = prng.int(4_294_967_296);
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return out;
}

/** skewedLength favours small sizes: most draws are tiny, a few reach max. */
export function skewedLength(prng: Prng, max: number): number {
  const r = prng.next();
  return Math.min(max, Math.floor(Math.pow(r, 3) * (max + 1)));
}

/**
 * fuzzString draws from the dictionary, a long string, or random unicode. Long strings are
 * mostly around the 1 KiB limits; megabytes come rarely (each costs milliseconds to encode,
 * decode and validate) and never when `short` (items of long lists).
 */
export function fuzzString(prng: Prng, dict: FuzzDictionary, short = false): string {
  const r = prng.next();
  if (r < 0.82) return short ? prng.pick(dict.strings).slice(0, 64) : prng.pick(dict.strings);
  if (r < 0.86 && !short) {
    const size = prng.chance(0.98) ? prng.pick(LONG_SIZES.slice(0, 8)) : prng.pick(LONG_SIZES);
    return long(size, prng.pick(["x", "é", "😀", "\u0000"]));
  }
  if (r < 0.93) return prng.pick(dict.strings) + prng.pick(["", "\u0000", " ", ":", "/", "..", "%", "\uFFFD", "é"]) + prng.pick(dict.strings);
  let s = "";
  const n = skewedLength(prng, 64);
  for (let i = 0; i < n; i++) s += String.fromCodePoint(prng.chance(0.7) ? prng.between(0x20, 0x7e) : prng.between(0, 0x10ffff) & ~0x800 /* no lone surrogates */);
  return s;
}

const INT32 = [0, 1, -1, 2, 250, 251, 1000, 2_147_483_647, -2_147_483_648];
const UINT32 = [0, 1, 2, 250, 251, 1000, 4_294_967_295];
const INT64 = [0n, 1n, -1n, 251n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n];
const UINT64 = [0n, 1n, 251n, 18_446_744_073_709_551_615n];
const DOUBLE = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e308, 5e-324];

function scalarValue(prng: Prng, type: ScalarType, dict: FuzzDictionary, short = false): unknown {
  switch (type) {
    case ScalarType.STRING:
      return fuzzString(prng, dict, short);
    case ScalarType.BYTES:
      return randomBytes(prng, skewedLength(prng, 256));
    case ScalarType.BOOL:
      return prng.chance(0.5);
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return prng.chance(0.7) ? prng.pick(INT32) : prng.between(-2_147_483_648, 2_147_483_647);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return prng.chance(0.7) ? prng.pick(UINT32) : prng.int(4_294_967_296);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return prng.chance(0.7) ? prng.pick(INT64) : BigInt(prng.between(-2_147_483_648, 2_147_483_647)) * BigInt(prng.int(4_294_967_296));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return prng.chance(0.7) ? prng.pick(UINT64) : BigInt(prng.int(4_294_967_296)) * BigInt(prng.int(4_294_967_296));
    case ScalarType.FLOAT:
      return prng.chance(0.5) ? prng.pick([0, -1, NaN, Infinity, 3.4e38]) : Math.fround((prng.next() - 0.5) * 1e6);
    case ScalarType.DOUBLE:
      return prng.chance(0.5) ? prng.pick(DOUBLE) : (prng.next() - 0.5) * 1e12;
  }
}

function enumValue(prng: Prng, field: { enum: { values: readonly { number: number }[] } }): number {
  if (prng.chance(0.85)) return prng.pick(field.enum.values).number;
  return prng.pick([-1, 99, 2_147_483_647, -2_147_483_648]); // values the enum does not define
}

/** listLength: mostly none or a few; sometimes many (scalars only get the huge counts). */
function listLength(prng: Prng, cheap: boolean): number {
  const r = prng.next();
  if (r < 0.45) return 0;
  if (r < 0.75) return 1;
  if (r < 0.93) return prng.between(2, 5);
  if (r < 0.985) return prng.between(10, 100);
  return cheap ? prng.pick([1000, 10_000]) : prng.between(200, 500);
}

/** jsonValue makes a random google.protobuf.Value (as JSON) of limited depth and size. */
export function jsonValue(prng: Prng, dict: FuzzDictionary, depth: number, budget = { nodes: 500 }, short = false): JsonValue {
  const r = prng.next();
  if (depth <= 0 || r < 0.5 || budget.nodes-- <= 0) {
    const k = prng.int(4);
    if (k === 0) return fuzzString(prng, dict, short);
    if (k === 1) return prng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1]);
    if (k === 2) return prng.chance(0.5);
    return null;
  }
  if (r < 0.75) return jsonObject(prng, dict, depth - 1, budget, short);
  return Array.from({ length: Math.min(listLength(prng, false), Math.max(0, budget.nodes)) }, () => jsonValue(prng, dict, depth - 1, budget, short));
}

/** jsonObject makes a random google.protobuf.Struct (as JSON); keys include ones the connector reads. */
export function jsonObject(prng: Prng, dict: FuzzDictionary, depth: number, budget = { nodes: 500 }, short = false): JsonObject {
  const out: JsonObject = {};
  const n = Math.min(listLength(prng, false), Math.max(0, budget.nodes));
  for (let i = 0; i < n; i++) {
    const key = prng.chance(0.5) ? prng.pick(["email", "reason", "login", "name", "", "__proto__", "constructor"]) : fuzzString(prng, dict, short || n > 20);
    out[key] = jsonValue(prng, dict, depth, budget, short || n > 20);
  }
  return out;
}

/**
 * randomInit builds a random init object for a message by reflection over its descriptor: every
 * field kind (scalars, enums with undefined values, oneofs with a random case, lists and maps of
 * random length, nested messages to a random depth), with the well-known types the way
 * protobuf-es represents them (Struct as JSON, wrappers unwrapped, Any packed from a dictionary
 * type URL with a valid or garbage payload).
 */
export function randomInit(prng: Prng, desc: DescMessage, dict: FuzzDictionary, options: GenOptions = {}, depth = 0): Record<string, unknown> {
  const maxDepth = options.maxDepth ?? 4;
  const chance = options.fieldChance ?? 0.5;
  options.budget ??= { nodes: 300 };
  if (desc.typeName === "google.protobuf.Any") return randomAny(prng, dict, options, depth);
  const init: Record<string, unknown> = {};
  for (const oneof of desc.oneofs) {
    if (!prng.chance(chance)) continue;
    const field = prng.pick(oneof.fields);
    const value = fieldValue(prng, field, dict, options, depth, maxDepth);
    if (value !== undefined) init[oneof.localName] = { case: field.localName, value };
  }
  for (const field of desc.fields) {
    if (field.oneof || !prng.chance(chance)) continue;
    const value = fieldValue(prng, field, dict, options, depth, maxDepth);
    if (value !== undefined) init[field.localName] = value;
  }
  return init;
}

function fieldValue(prng: Prng, field: DescField, dict: FuzzDictionary, options: GenOptions, depth: number, maxDepth: number): unknown {
  const budget = options.budget!;
  if (budget.nodes-- <= 0) return undefined;
  const override = options.overrides?.[field.name];
  if (override) return override(prng);
  switch (field.fieldKind) {
    case "scalar":
      return scalarValue(prng, field.scalar, dict, options.short);
    case "enum":
      return enumValue(prng, field);
    case "message":
      return messageValue(prng, field.message, field, dict, options, depth, maxDepth);
    case "list": {
      const n = Math.min(listLength(prng, field.listKind !== "message"), field.listKind === "message" ? Math.max(0, budget.nodes) : Infinity);
      if (n > 0 && field.listKind === "message" && depth >= maxDepth) return undefined;
      const itemOptions = n > 20 ? { ...options, short: true } : options;
      const item = () =>
        field.listKind === "scalar"
          ? scalarValue(prng, field.scalar, dict, itemOptions.short)
          : field.listKind === "enum"
            ? enumValue(prng, field)
            : create(field.message, randomInit(prng, field.message, dict, itemOptions, depth + 1) as never);
      // Long lists repeat one item: the count is what is being tested, not the variety.
      if (n > 20) return new Array(n).fill(item());
      return Array.from({ length: n }, item);
    }
    case "map": {
      const n = Math.min(listLength(prng, false), Math.max(0, budget.nodes));
      if (field.mapKind === "message" && depth >= maxDepth) return undefined;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const short = options.short || n > 20;
        const key = field.mapKey === ScalarType.STRING ? fuzzString(prng, dict, short) : field.mapKey === ScalarType.BOOL ? String(prng.chance(0.5)) : String(prng.int(1000));
        out[key] =
          field.mapKind === "scalar"
            ? scalarValue(prng, field.scalar, dict, short)
            : field.mapKind === "enum"
              ? enumValue(prng, field)
              : create(field.message, randomInit(prng, field.message, dict, { ...options, short }, depth + 1) as never);
      }
      return out;
    }
  }
}

function messageValue(prng: Prng, message: DescMessage, field: DescField, dict: FuzzDictionary, options: GenOptions, depth: number, maxDepth: number): unknown {
  if (!field.oneof && isWrapperDesc(message)) return scalarValue(prng, (message.fields[0] as DescField & { scalar: ScalarType }).scalar, dict);
  if (message.typeName === "google.protobuf.Struct" && field.parent.typeName !== "google.protobuf.Value") return jsonObject(prng, dict, Math.max(0, maxDepth - depth), options.budget, options.short);
  if (depth >= maxDepth) return prng.chance(0.5) ? create(message) : undefined;
  return create(message, randomInit(prng, message, dict, options, depth + 1) as never);
}

function randomAny(prng: Prng, dict: FuzzDictionary, options: GenOptions, depth: number): Record<string, unknown> {
  const type = prng.pick(dict.anyTypes);
  let value: Uint8Array;
  const r = prng.next();
  if (type.schema && r < 0.6 && depth < (options.maxDepth ?? 4)) {
    value = safeBinary(type.schema, randomInit(prng, type.schema, dict, options, depth + 1)) ?? new Uint8Array();
  } else if (r < 0.8) {
    value = randomBytes(prng, skewedLength(prng, 64));
  } else {
    value = new Uint8Array();
  }
  return { typeUrl: type.typeUrl, value };
}

/** safeBinary encodes an init object, or returns undefined when protobuf-es refuses it. */
export function safeBinary(desc: DescMessage, init: Record<string, unknown>): Uint8Array | undefined {
  try {
    return toBinary(desc, create(desc, init as never));
  } catch {
    return undefined;
  }
}

/** mutateBytes damages an encoding: flipped bits, cut tail, inserted junk or a duplicated span. */
export function mutateBytes(prng: Prng, bytes: Uint8Array): Uint8Array {
  const out = Buffer.from(bytes);
  const kind = prng.int(5);
  if (out.length === 0 || kind === 0) return Buffer.concat([out, randomBytes(prng, prng.between(1, 16))]);
  if (kind === 1) {
    for (let i = 0, n = prng.between(1, 4); i < n; i++) out[prng.int(out.length)] ^= 1 << prng.int(8);
    return out;
  }
  if (kind === 2) return out.subarray(0, prng.int(out.length));
  if (kind === 3) {
    const at = prng.int(out.length);
    return Buffer.concat([out.subarray(0, at), randomBytes(prng, prng.between(1, 8)), out.subarray(at)]);
  }
  const from = prng.int(out.length);
  return Buffer.concat([out, out.subarray(from, from + prng.between(1, 32))]);
}

/**
 * junkBytes is a random body that is mostly not protobuf: pure noise, a varint that never ends,
 * a length prefix promising more than follows, a field number 0, an invalid wire type, an
 * unterminated group.
 */
export function junkBytes(prng: Prng): Uint8Array {
  switch (prng.int(7)) {
    case 0:
      return randomBytes(prng, skewedLength(prng, 4096));
    case 1:
      return Buffer.from([0x08, ...new Array(prng.between(10, 12)).fill(0xff)]); // varint overflow
    case 2:
      return Buffer.concat([Buffer.from([0x0a]), varint(prng.between(10, 1_000_000)), randomBytes(prng, prng.int(10))]); // truncated
    case 3:
      return Buffer.from([0x00, prng.int(256)]); // field 0
    case 4:
      return Buffer.from([(prng.between(1, 15) << 3) | prng.pick([6, 7]), 0x01]); // wire types 6 and 7 do not exist
    case 5:
      return Buffer.from([(prng.between(1, 15) << 3) | WireType.StartGroup, 0x08, 0x01]); // group never closed
    default:
      return Buffer.concat([Buffer.from([0x0a]), varint(0xffffffff)]); // 4 GiB length
  }
}

/** varint encodes an unsigned varint. */
export function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/**
 * nestLengthDelimited wraps `inner` in `levels` nested length-delimited fields, where level i
 * uses the field numbers `pattern[i % pattern.length]`. It computes the lengths from the inside
 * out and writes once, so a million levels cost a megabyte, not a terabyte of copying.
 */
export function nestLengthDelimited(inner: Uint8Array, levels: number, pattern: readonly number[]): Buffer {
  const key = `${levels}:${pattern.join(",")}:${Buffer.from(inner).toString("hex")}`;
  let cached = nestCache.get(key);
  if (!cached) nestCache.set(key, (cached = buildNested(inner, levels, pattern)));
  return cached;
}

const nestCache = new Map<string, Buffer>();

function buildNested(inner: Uint8Array, levels: number, pattern: readonly number[]): Buffer {
  const lengths = new Array<number>(levels + 1);
  lengths[levels] = inner.length;
  const tags = pattern.map((n) => varint((n << 3) | WireType.LengthDelimited));
  const tagOf = (i: number) => tags[i % tags.length]!;
  for (let i = levels - 1; i >= 0; i--) lengths[i] = tagOf(i).length + varint(lengths[i + 1]!).length + lengths[i + 1]!;
  const out = Buffer.alloc(lengths[0]!);
  let pos = 0;
  for (let i = 0; i < levels; i++) {
    pos += tagOf(i).copy(out, pos);
    pos += varint(lengths[i + 1]!).copy(out, pos);
  }
  Buffer.from(inner).copy(out, pos);
  return out;
}

/** nestGroups opens `levels` groups inside each other (and closes them, when `close`). */
export function nestGroups(levels: number, fieldNo: number, close: boolean): Buffer {
  const start = varint((fieldNo << 3) | WireType.StartGroup);
  const end = varint((fieldNo << 3) | WireType.EndGroup);
  return Buffer.concat([Buffer.alloc(levels * start.length, start), close ? Buffer.alloc(levels * end.length, end) : Buffer.alloc(0)]);
}

/**
 * fieldPathsTo finds the field-number paths from a message to every field of type `target`
 * (e.g. google.protobuf.Struct), without entering a type twice on one path.
 */
export function fieldPathsTo(desc: DescMessage, target: string, seen: readonly string[] = []): number[][] {
  const paths: number[][] = [];
  for (const field of desc.fields) {
    const message = field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") ? field.message : undefined;
    if (!message) continue;
    if (message.typeName === target) paths.push([field.number]);
    else if (!seen.includes(message.typeName) && message.file.proto.package !== "google.protobuf") {
      for (const rest of fieldPathsTo(message, target, [...seen, desc.typeName])) paths.push([field.number, ...rest]);
    }
  }
  return paths;
}

/** wrapPath encodes `inner` as the value of the field path (each step a length-delimited field). */
export function wrapPath(inner: Uint8Array, path: readonly number[]): Buffer {
  let out = Buffer.from(inner);
  for (let i = path.length - 1; i >= 0; i--) out = Buffer.concat([varint((path[i]! << 3) | WireType.LengthDelimited), varint(out.length), out]);
  return out;
}

/**
 * deepStruct encodes a google.protobuf.Struct nested `levels` deep: {"k": {"k": … }} through
 * Value.struct_value, or [[[…]]] through Value.list_value.
 */
export function deepStruct(levels: number, viaList: boolean): Buffer {
  const key = `${levels}:${viaList}`;
  let cached = deepCache.get(key);
  if (!cached) deepCache.set(key, (cached = buildDeepStruct(levels, viaList)));
  return cached;
}

const deepCache = new Map<string, Buffer>();

function buildDeepStruct(levels: number, viaList: boolean): Buffer {
  // Struct.fields(1) = entry{key(1)="k", value(2)=Value{struct_value(5)=Struct}}
  // ListValue.values(1) = Value{list_value(6)=ListValue}
  if (viaList) {
    const innermost = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new BinaryWriter().tag(3, WireType.LengthDelimited).string("leaf").finish()).finish();
    const lists = nestLengthDelimited(innermost, levels * 2, [1, 6]); // ListValue.values → Value.list_value → …
    // The Struct holds {"k": <Value with list_value>}.
    const value = wrapPath(lists, [6]);
    return Buffer.from(new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new BinaryWriter().tag(1, WireType.LengthDelimited).string("k").tag(2, WireType.LengthDelimited).bytes(value).finish()).finish());
  }
  // Each Struct level: fields(1){ key(1)="k"(3 bytes) value(2){ struct_value(5){ … } } }: the
  // key sits before the nested value, so it is not a pure nesting; build it level by level.
  const key = Buffer.from([0x0a, 0x01, 0x6b]);
  const chunks: Buffer[] = [];
  // Lengths from the inside out, then one forward write.
  const sizes: number[] = new Array(levels + 1);
  sizes[levels] = 0;
  for (let i = levels - 1; i >= 0; i--) {
    const structLen = sizes[i + 1]!;
    const valueLen = 1 + varint(structLen).length + structLen; // struct_value
    const entryLen = key.length + 1 + varint(valueLen).length + valueLen;
    sizes[i] = 1 + varint(entryLen).length + entryLen; // fields entry inside this Struct
  }
  for (let i = 0; i < levels; i++) {
    const structLen = sizes[i + 1]!;
    const valueLen = 1 + varint(structLen).length + structLen;
    const entryLen = key.length + 1 + varint(valueLen).length + valueLen;
    chunks.push(Buffer.from([0x0a]), varint(entryLen), key, Buffer.from([0x12]), varint(valueLen), Buffer.from([0x2a]), varint(structLen));
  }
  return Buffer.concat(chunks);
}
