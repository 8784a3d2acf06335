import { isUtf8 } from "node:buffer";
import { fromBinary, ScalarType, type DescField, type DescMessage, type JsonObject, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

/**
 * A protobuf binary decoder compiled per message type, for the benchmark's stand-in for the Go
 * syncer only. The bench measures the connector; the stand-in shares its two cores, and the Go
 * syncer it stands in for decodes in compiled code. With protobuf-es's fromBinary, which goes
 * through its reflection API for every field, the stand-in cost more CPU than the connector
 * spent serving the sync and became what the subset figures measured (+17% at 10,000 users,
 * +20% at 100,000). The product's own client (sync -f) uses fromBinary: there this decoder saved
 * only 8% of the command (src/sync/grpc-client.ts). This one reads straight into
 * protobuf-es's message representation and produces what fromBinary produces: zero values for
 * implicit fields, oneofs as {case, value}, Struct fields as JSON objects, unwrapped wrappers,
 * repeated occurrences of a message field merged, unknown fields kept in $unknown, invalid UTF-8
 * in a string field rejected. The tests compare the two on every object of full syncs; a type
 * with anything it does not handle (proto2, groups, non-string map keys) is read by fromBinary.
 */
export type MessageDecoder<Desc extends DescMessage> = (bytes: Uint8Array) => MessageShape<Desc>;

type Message = Record<string, unknown>;
/** Reads one occurrence of a field (after its tag) into message. */
type ReadField = (input: Input, message: Message, wireType: number) => void;

interface Compiled {
  typeName: string;
  /** Reads a message of `length` bytes at the input's position, into `into` (a merge) or a new one. */
  read: (input: Input, length: number, into: Message | undefined) => Message;
}

const compiled = new WeakMap<DescMessage, Compiled | null>();
const PROTO3 = 999;
const IMPLICIT = 2;
const MAX_DEPTH = 100;

/** messageDecoder returns the compiled decoder of a message type (fromBinary when it cannot compile one). */
export function messageDecoder<Desc extends DescMessage>(desc: Desc): MessageDecoder<Desc> {
  const type = compile(desc);
  if (!type) return (bytes) => fromBinary(desc, bytes);
  return (bytes) => {
    const input = new Input(bytes);
    const message = type.read(input, bytes.length, undefined);
    return message as MessageShape<Desc>;
  };
}

/**
 * compile builds (once) a message type's reader as generated source: a new message is an object
 * literal of the type's zero values, and each field number has its own case calling its own
 * reader, so every call site sees one function. With a shared field table and a copied template,
 * each call went through one megamorphic site. Names and numbers come from descriptors and the
 * readers are passed in, so nothing read from the wire reaches the source.
 */
function compile(desc: DescMessage): Compiled | null {
  if (compiled.has(desc)) return compiled.get(desc)!;
  if (desc.file.edition !== PROTO3) {
    compiled.set(desc, null);
    return null;
  }
  // Recursive types find their entry while it is being filled in; readers look it up when they run.
  const type: Compiled = { typeName: desc.typeName, read: () => { throw new Error(`${desc.typeName} is still compiling`); } };
  compiled.set(desc, type);
  const deps: unknown[] = [];
  const dep = (value: unknown) => `d[${deps.push(value) - 1}]`;
  const zero: string[] = [`$typeName: ${JSON.stringify(desc.typeName)}`];
  for (const member of desc.members) {
    if (member.kind === "oneof") zero.push(`${JSON.stringify(member.localName)}: { case: undefined }`);
    else if (member.presence === IMPLICIT) zero.push(`${JSON.stringify(member.localName)}: ${zeroSource(member)}`);
  }
  const cases: string[] = [];
  for (const field of desc.fields) {
    const read = fieldReader(field);
    if (!read || field.number > 10_000) {
      compiled.set(desc, null);
      return null;
    }
    cases.push(`case ${field.number}: ${dep(read)}(input, m, tag & 7); break;`);
  }
  const source = `return function read(input, length, into) {
    if (++input.depth > ${MAX_DEPTH}) throw new Error(${JSON.stringify(`cannot decode ${desc.typeName} from binary: maximum recursion depth of ${MAX_DEPTH} reached`)});
    const end = input.pos + length;
    if (end > input.end) throw new RangeError("premature EOF");
    const m = into ?? { ${zero.join(", ")} };
    while (input.pos < end) {
      const tag = input.uint32();
      switch (tag >>> 3) {
        ${cases.join("\n        ")}
        default: {
          const no = tag >>> 3, wireType = tag & 7;
          const data = input.skip(no, wireType);
          (m.$unknown ??= []).push({ no, wireType, data });
        }
      }
    }
    if (input.pos !== end) throw new RangeError("premature EOF");
    input.depth--;
    return m;
  };`;
  type.read = new Function("d", source)(deps) as Compiled["read"];
  return type;
}

/** zeroSource is the source of an implicit-presence field's zero value, made afresh for each message. */
function zeroSource(field: DescField): string {
  switch (field.fieldKind) {
    case "list":
      return "[]";
    case "map":
      return "{}";
    case "enum":
      return String(field.enum.values[0]!.number);
    case "scalar": {
      if (field.scalar === ScalarType.BYTES) return "new Uint8Array(0)";
      const zero = scalarZero(field.scalar, field.longAsString);
      return typeof zero === "bigint" ? `${zero}n` : JSON.stringify(zero);
    }
    default:
      return "undefined";
  }
}

function zeroOf(field: DescField): () => unknown {
  switch (field.fieldKind) {
    case "list":
      return () => [];
    case "map":
      return () => ({});
    case "enum":
      return () => field.enum.values[0]!.number;
    case "scalar": {
      const zero = scalarZero(field.scalar, field.longAsString);
      return () => (field.scalar === ScalarType.BYTES ? new Uint8Array(0) : zero);
    }
    default:
      return () => undefined;
  }
}

function fieldReader(field: DescField): ReadField | null {
  // Groups (delimited messages) do not occur in proto3.
  if ((field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")) && field.delimitedEncoding) return null;
  const name = field.localName;
  const oneof = field.oneof?.localName;
  const store = oneof
    ? (message: Message, value: unknown) => void (message[oneof] = { case: name, value })
    : (message: Message, value: unknown) => void (message[name] = value);
  switch (field.fieldKind) {
    case "enum":
      return (input, message) => store(message, input.int32());
    case "scalar": {
      const read = scalarReader(field.scalar, field.longAsString);
      return (input, message) => store(message, read(input));
    }
    case "message": {
      if (isJsonStruct(field)) {
        // protobuf-es holds a Struct field as a JSON object; in a oneof it is left to fromBinary.
        if (oneof) return null;
        return (input, message) => {
          message[name] = readJsonStruct(input, input.uint32(), (message[name] as JsonObject | undefined) ?? {});
        };
      }
      if (isWrapperDesc(field.message) && !oneof) {
        // A wrapper in a singular field is its plain value; repeated occurrences merge, the last value winning.
        const inner = field.message.fields[0]!;
        const read = scalarReader(inner.scalar!, inner.longAsString);
        const zero = zeroOf(inner);
        return (input, message) => {
          const end = input.uint32() + input.pos;
          let value = message[name] ?? zero();
          while (input.pos < end) {
            const tag = input.uint32();
            if (tag >>> 3 === 1) value = read(input);
            else input.skip(tag >>> 3, tag & 7);
          }
          message[name] = value;
        };
      }
      const nested = field.message;
      return (input, message) => {
        const type = compile(nested)!;
        const current = oneof ? (message[oneof] as { case?: string; value?: Message }) : undefined;
        const existing = oneof ? (current!.case === name ? current!.value : undefined) : (message[name] as Message | undefined);
        store(message, type.read(input, input.uint32(), existing));
      };
    }
    case "list": {
      if (field.listKind === "message") {
        const nested = field.message;
        if (isJsonStruct(field) || isWrapperDesc(nested)) return null;
        return (input, message) => void (message[name] as unknown[]).push(compile(nested)!.read(input, input.uint32(), undefined));
      }
      const scalar = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      const read = scalarReader(scalar, field.listKind === "scalar" && field.longAsString);
      const packable = scalar !== ScalarType.STRING && scalar !== ScalarType.BYTES;
      return (input, message, wireType) => {
        const list = message[name] as unknown[];
        if (packable && wireType === 2) {
          const end = input.uint32() + input.pos;
          while (input.pos < end) list.push(read(input));
        } else {
          list.push(read(input));
        }
      };
    }
    case "map": {
      if (field.mapKey !== ScalarType.STRING) return null;
      const readKey = scalarReader(ScalarType.STRING, false);
      let readValue: (input: Input) => unknown;
      let zeroValue: () => unknown;
      if (field.mapKind === "message") {
        const nested = field.message;
        if (isJsonStruct(field) || isWrapperDesc(nested)) return null;
        readValue = (input) => compile(nested)!.read(input, input.uint32(), undefined);
        zeroValue = () => compile(nested)!.read(new Input(new Uint8Array(0)), 0, undefined);
        if (!compile(nested)) return null;
      } else if (field.mapKind === "enum") {
        readValue = (input) => input.int32();
        zeroValue = () => field.enum.values[0]!.number;
      } else {
        readValue = scalarReader(field.scalar, false);
        const zero = scalarZero(field.scalar, false);
        zeroValue = () => (field.scalar === ScalarType.BYTES ? new Uint8Array(0) : zero);
      }
      return (input, message) => {
        const end = input.uint32() + input.pos;
        let key: string | undefined;
        let value: unknown;
        while (input.pos < end) {
          const tag = input.uint32();
          if (tag >>> 3 === 1) key = readKey(input) as string;
          else if (tag >>> 3 === 2) value = readValue(input);
          else input.skip(tag >>> 3, tag & 7);
        }
        (message[name] as Message)[key ?? ""] = value === undefined ? zeroValue() : value;
      };
    }
  }
}

/** isJsonStruct tells whether protobuf-es holds a field's Struct as a JSON object (not inside Value). */
function isJsonStruct(field: DescField & { message?: DescMessage }): boolean {
  return field.message?.typeName === "google.protobuf.Struct" && field.parent.typeName !== "google.protobuf.Value";
}

/** readJsonStruct reads google.protobuf.Struct (map<string, Value> fields = 1) into a JSON object. */
function readJsonStruct(input: Input, length: number, into: JsonObject): JsonObject {
  if (++input.depth > MAX_DEPTH) throw new Error(`cannot decode google.protobuf.Struct from binary: maximum recursion depth of ${MAX_DEPTH} reached`);
  const end = input.pos + length;
  while (input.pos < end) {
    const tag = input.uint32();
    if (tag !== ((1 << 3) | 2)) {
      input.skip(tag >>> 3, tag & 7);
      continue;
    }
    const entryEnd = input.uint32() + input.pos;
    let key = "";
    let value: JsonValue = null;
    while (input.pos < entryEnd) {
      const entryTag = input.uint32();
      if (entryTag === ((1 << 3) | 2)) key = input.string();
      else if (entryTag === ((2 << 3) | 2)) value = readJsonValue(input, input.uint32());
      else input.skip(entryTag >>> 3, entryTag & 7);
    }
    into[key] = value;
  }
  input.depth--;
  return into;
}

/** readJsonValue reads google.protobuf.Value (the `kind` oneof; the last case present wins). */
function readJsonValue(input: Input, length: number): JsonValue {
  if (++input.depth > MAX_DEPTH) throw new Error(`cannot decode google.protobuf.Value from binary: maximum recursion depth of ${MAX_DEPTH} reached`);
  const end = input.pos + length;
  let value: JsonValue = null;
  while (input.pos < end) {
    const tag = input.uint32();
    switch (tag) {
      case (1 << 3) | 0:
        input.uint32();
        value = null;
        break;
      case (2 << 3) | 1:
        value = input.double();
        break;
      case (3 << 3) | 2:
        value = input.string();
        break;
      case (4 << 3) | 0:
        value = input.varint64() !== 0n;
        break;
      case (5 << 3) | 2:
        // Like fromBinary, a second struct_value merges into the first.
        value = readJsonStruct(input, input.uint32(), value !== null && typeof value === "object" && !Array.isArray(value) ? value : {});
        break;
      case (6 << 3) | 2: {
        const listEnd = input.uint32() + input.pos;
        const list: JsonValue[] = Array.isArray(value) ? value : [];
        while (input.pos < listEnd) {
          const itemTag = input.uint32();
          if (itemTag === ((1 << 3) | 2)) list.push(readJsonValue(input, input.uint32()));
          else input.skip(itemTag >>> 3, itemTag & 7);
        }
        value = list;
        break;
      }
      default:
        input.skip(tag >>> 3, tag & 7);
    }
  }
  input.depth--;
  return value;
}

function scalarZero(scalar: ScalarType, longAsString: boolean): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return longAsString ? "0" : 0n;
    default:
      return 0;
  }
}

function scalarReader(scalar: ScalarType, longAsString: boolean): (input: Input) => unknown {
  const long = (read: (input: Input) => bigint) => (longAsString ? (input: Input) => read(input).toString() : read);
  switch (scalar) {
    case ScalarType.STRING:
      return (input) => input.string();
    case ScalarType.BYTES:
      return (input) => input.bytes();
    case ScalarType.BOOL:
      return (input) => input.varint64() !== 0n;
    case ScalarType.INT32:
      return (input) => input.int32();
    case ScalarType.UINT32:
      return (input) => input.uint32();
    case ScalarType.SINT32:
      return (input) => {
        const v = input.uint32();
        return (v >>> 1) ^ -(v & 1);
      };
    case ScalarType.FIXED32:
      return (input) => input.fixed32();
    case ScalarType.SFIXED32:
      return (input) => input.fixed32() | 0;
    case ScalarType.FLOAT:
      return (input) => input.float();
    case ScalarType.DOUBLE:
      return (input) => input.double();
    case ScalarType.INT64:
      return long((input) => BigInt.asIntN(64, input.varint64()));
    case ScalarType.UINT64:
      return long((input) => input.varint64());
    case ScalarType.SINT64:
      return long((input) => {
        const v = input.varint64();
        return (v >> 1n) ^ -(v & 1n);
      });
    case ScalarType.FIXED64:
      return long((input) => input.fixed64());
    case ScalarType.SFIXED64:
      return long((input) => BigInt.asIntN(64, input.fixed64()));
  }
}

/** Input reads protobuf primitives from a byte array. */
class Input {
  pos = 0;
  depth = 0;
  readonly end: number;
  private readonly buf: Buffer;

  /** bytes fields and unknown fields are views of `source` (a Buffer's are Buffers, as with fromBinary). */
  constructor(private readonly source: Uint8Array) {
    this.buf = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    this.end = source.byteLength;
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.end) throw new RangeError("premature EOF");
  }

  /** uint32 reads a varint, keeping its low 32 bits (the rule for tags, lengths and 32-bit fields). */
  uint32(): number {
    const buf = this.buf;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new RangeError("premature EOF");
      const byte = buf[this.pos++]!;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result >>> 0;
    }
    throw new Error("invalid varint");
  }

  int32(): number {
    return this.uint32() | 0;
  }

  varint64(): bigint {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new RangeError("premature EOF");
      const byte = this.buf[this.pos++]!;
      if (shift < 28) lo |= (byte & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (byte & 0x0f) << 28;
        hi |= (byte & 0x7f) >>> 4;
      } else hi |= (byte & 0x7f) << (shift - 32);
      if (byte < 0x80) return hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    }
    throw new Error("invalid varint");
  }

  fixed32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  fixed64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(): Uint8Array {
    const length = this.uint32();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return this.source.subarray(start, this.pos);
  }

  /** string reads UTF-8 text, rejecting invalid UTF-8 as fromBinary does for proto3 strings. */
  string(): string {
    const length = this.uint32();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    const text = this.buf.toString("utf8", start, this.pos);
    // Invalid input decodes to U+FFFD; only then is it worth checking the bytes.
    if (text.includes("\uFFFD") && !isUtf8(this.buf.subarray(start, this.pos))) throw new TypeError("invalid UTF-8 in a string field");
    return text;
  }

  /** skip passes over a field's data and returns it (as fromBinary keeps it for unknown fields). */
  skip(no: number, wireType: number): Uint8Array {
    const start = this.pos;
    switch (wireType) {
      case 0:
        this.varint64();
        break;
      case 1:
        this.need(8);
        this.pos += 8;
        break;
      case 2: {
        const length = this.uint32();
        this.need(length);
        this.pos += length;
        break;
      }
      case 3:
        for (;;) {
          const tag = this.uint32();
          if ((tag & 7) === 4) {
            if (tag >>> 3 !== no) throw new Error("invalid end group tag");
            break;
          }
          this.skip(tag >>> 3, tag & 7);
        }
        break;
      case 5:
        this.need(4);
        this.pos += 4;
        break;
      default:
        throw new Error(`cannot skip wire type ${wireType}`);
    }
    return this.source.subarray(start, this.pos);
  }
}
