import { create, ScalarType, toBinary, type DescField, type DescMessage, type JsonObject, type JsonValue, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

/**
 * A protobuf binary encoder compiled per message type, for what a sync produces in bulk (list
 * responses, annotations, c1z rows). protobuf-es's toBinary walks each message through its
 * reflection API and allocates a buffer per nested message; at tens of thousands of objects per
 * sync that was a third of the connector's CPU. This one writes into one growing Buffer and
 * patches each nested message's length in place. It produces exactly toBinary's bytes (fields in
 * number order, unknown fields last) from protobuf-es's message representation (oneofs as
 * {case, value}, Struct fields as JSON objects), which the tests check on every object of full
 * syncs, so a protobuf-es upgrade that changed either shows there; a type using anything it does
 * not handle is encoded by toBinary instead.
 */
export type MessageEncoder<Desc extends DescMessage> = (message: MessageShape<Desc>) => Uint8Array;

type Write = (out: Output, message: Record<string, unknown>) => void;

const compiled = new WeakMap<DescMessage, Write | null>();

/** messageEncoder returns the compiled encoder of a message type (toBinary when it cannot compile one). */
export function messageEncoder<Desc extends DescMessage>(desc: Desc): MessageEncoder<Desc> {
  const write = writerOf(desc);
  if (!write) return (message) => toBinary(desc, message);
  return (message) => {
    // One scratch buffer serves every call (encoding is synchronous); the result is a copy.
    scratch.reset();
    write(scratch, message as Record<string, unknown>);
    return scratch.finish();
  };
}

/**
 * encodeInit encodes a message given in its init shape (plain objects, as passed to create)
 * without creating it first: what create would add are empty values, which are not written.
 * For small messages made only to be encoded (annotations), creating them cost more than
 * encoding them.
 */
export function encodeInit<Desc extends DescMessage>(desc: Desc, init: MessageInitShape<Desc>): Uint8Array {
  const write = writerOf(desc);
  if (!write) return toBinary(desc, create(desc, init));
  scratch.reset();
  write(scratch, init as Record<string, unknown>);
  return scratch.finish();
}

/**
 * preEncoded creates a message whose binary form is `bytes`, for code that will hand it to
 * toBinary (connect-es serializing a binary response): the bytes ride as the message's unknown
 * fields, which toBinary copies verbatim, so the wire is the same as encoding the message itself.
 * Such a message is only for toBinary: its fields read as empty, so toJson would send `{}`.
 * Only codecs.ts calls it, and only for a binary response.
 */
export function preEncoded<Desc extends DescMessage>(desc: Desc, bytes: Uint8Array): MessageShape<Desc> {
  const message = create(desc);
  if (bytes.length === 0) return message;
  // toBinary writes an unknown field as its tag, then its data: the first tag here, then the rest.
  const reader = new BinaryReader(bytes);
  const [no, wireType] = reader.tag();
  message.$unknown = [{ no, wireType, data: bytes.subarray(reader.pos) }];
  return message;
}

/** ListItems is the start of a list response: as many items as fitted, encoded. */
export interface ListItems<Desc extends DescMessage> {
  /** How many items were encoded. */
  count: number;
  /** Whether items were left over because the budget was reached. */
  more: boolean;
  /** finish adds the response's other fields and returns the response's bytes. */
  finish(rest: Omit<MessageInitShape<Desc>, "list">): Uint8Array;
}

/**
 * encodeListItems starts a list response (`repeated … list = 1`, its other fields after it) with
 * the items an iterable makes, encoding each as it comes: when `items` makes them lazily, a page's
 * items are never all alive at once (at 2,500 grants a page, every scavenge copied them). Items
 * are taken while the encoding stays within `budget` bytes, and at least one.
 */
export function encodeListItems<Desc extends DescMessage>(response: Desc, items: Iterable<unknown>, budget: number): ListItems<Desc> {
  const list = response.fields.find((f) => f.localName === "list");
  if (list?.number !== 1 || list.fieldKind !== "list" || list.listKind !== "message") {
    throw new TypeError(`${response.typeName} is not a list response (repeated message list = 1, then its other fields)`);
  }
  const write = writerOf(list.message);
  const writeResponse = writerOf(response);
  // Not the shared scratch: making an item may encode annotations with it.
  const out = spareListOutput ?? new Output();
  spareListOutput = undefined;
  out.reset();
  let count = 0;
  let more = false;
  for (const item of items) {
    const start = out.position;
    out.varint32((1 << 3) | LENGTH_DELIMITED);
    if (write) {
      const at = out.fork();
      write(out, item as Record<string, unknown>);
      out.join(at);
    } else {
      out.bytes(toBinary(list.message, item as MessageShape<DescMessage>));
    }
    if (out.position > budget && count > 0) {
      out.truncate(start);
      more = true;
      break;
    }
    count++;
  }
  return {
    count,
    more,
    finish(rest) {
      // The list field is left out of `rest`, and every other field comes after it on the wire.
      if (writeResponse) writeResponse(out, rest as Record<string, unknown>);
      else out.raw(toBinary(response, create(response, rest as MessageInitShape<Desc>)));
      const bytes = out.copy();
      spareListOutput = out;
      return bytes;
    },
  };
}

/**
 * A list output kept from one page to the next: grown to a page's size once, it is not grown
 * again for every page. A page whose finish is never called keeps its own, and the next makes one.
 */
let spareListOutput: Output | undefined;

/**
 * writerOf compiles (once) a message type's writer, or returns null when a field is unsupported.
 * The writer is generated source with one statement per field, in number order: with a closure
 * per field, every field was a megamorphic call. Field names and numbers come from descriptors
 * and nested writers are passed in, so nothing from a message's data reaches the source.
 */
function writerOf(desc: DescMessage): Write | null {
  if (compiled.has(desc)) return compiled.get(desc)!;
  // Recursive types see the placeholder while compiling and call through it.
  let self: Write | null = null;
  compiled.set(desc, (out, message) => self!(out, message));
  const deps: unknown[] = [];
  const dep = (value: unknown) => `d[${deps.push(value) - 1}]`;
  const lines: string[] = [];
  for (const field of [...desc.fields].sort((a, b) => a.number - b.number)) {
    const code = fieldSource(field, dep);
    if (code === null) {
      compiled.set(desc, null);
      return null;
    }
    lines.push(code);
  }
  lines.push(`v = m.$unknown; if (v) for (const u of v) { o.varint32((u.no << 3) | u.wireType); o.raw(u.data); }`);
  self = new Function("d", `return function write(o, m) {\n  let v;\n  ${lines.join("\n  ")}\n};`)(deps) as Write;
  compiled.set(desc, self);
  return self;
}

const LENGTH_DELIMITED = 2;

/** fieldSource is the statement writing one field of message `m` to output `o`, or null when unsupported. */
function fieldSource(field: DescField, dep: (value: unknown) => string): string | null {
  const name = JSON.stringify(field.localName);
  const tag = (wireType: number) => (field.number << 3) | wireType;
  // A oneof member is written when it is the case that is set, whatever its value.
  // Absent values (undefined, or null in an init shape) are not written.
  const read = field.oneof
    ? `v = m[${JSON.stringify(field.oneof.localName)}]; v = v != null && v.case === ${name} ? v.value : undefined;`
    : `v = m[${name}];`;
  const explicit = field.oneof !== undefined || field.presence === 1; // EXPLICIT
  const nested = (message: DescMessage, value: string, tagValue: number) => {
    const write = writerOf(message);
    if (!write || isUnboxed(message)) return null;
    return `{ o.varint32(${tagValue}); const at = o.fork(); ${dep(write)}(o, ${value}); o.join(at); }`;
  };
  switch (field.fieldKind) {
    case "scalar":
    case "enum": {
      const scalar = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
      const write = scalarSource(scalar, "v");
      if (!write) return null;
      const present = explicit ? "v != null" : `v != null && !${dep(isZero)}(v)`;
      return `${read} if (${present}) { o.varint32(${tag(wireTypeOf(scalar))}); ${write} }`;
    }
    case "message": {
      if (isJsonStruct(field)) {
        return `${read} if (v != null) { o.varint32(${tag(LENGTH_DELIMITED)}); const at = o.fork(); ${dep(writeJsonStruct)}(o, v); o.join(at); }`;
      }
      const write = nested(field.message, "v", tag(LENGTH_DELIMITED));
      return write && `${read} if (v != null) ${write}`;
    }
    case "list": {
      if (field.listKind === "message") {
        const write = nested(field.message, "v[i]", tag(LENGTH_DELIMITED));
        return write && `${read} if (v != null) for (let i = 0; i < v.length; i++) ${write}`;
      }
      const scalar = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      const write = scalarSource(scalar, "v[i]");
      if (!write) return null;
      if (field.packed) {
        return `${read} if (v != null && v.length > 0) { o.varint32(${tag(LENGTH_DELIMITED)}); const at = o.fork(); for (let i = 0; i < v.length; i++) { ${write} } o.join(at); }`;
      }
      return `${read} if (v != null) for (let i = 0; i < v.length; i++) { o.varint32(${tag(wireTypeOf(scalar))}); ${write} }`;
    }
    case "map": {
      if (field.mapKey !== ScalarType.STRING) return null;
      let value: string | null;
      if (field.mapKind === "message") {
        // A map entry always carries its value, even an empty message.
        value = nested(field.message, "v[k]", (2 << 3) | LENGTH_DELIMITED);
      } else {
        const scalar = field.mapKind === "enum" ? ScalarType.INT32 : field.scalar;
        const write = scalarSource(scalar, "v[k]");
        value = write && `{ o.varint32(${(2 << 3) | wireTypeOf(scalar)}); ${write} }`;
      }
      if (!value) return null;
      return `${read} if (v != null) for (const k of Object.keys(v)) { o.varint32(${tag(LENGTH_DELIMITED)}); const entry = o.fork(); o.varint32(${(1 << 3) | LENGTH_DELIMITED}); o.string(k); ${value} o.join(entry); }`;
    }
  }
}

/**
 * protobuf-es represents wrapper types as plain values and Struct as a JSON object in most
 * fields; singular Struct fields (Resource.profile) are handled, the rest fall back to toBinary.
 */
function isUnboxed(desc: DescMessage): boolean {
  return isWrapperDesc(desc) || desc.typeName === "google.protobuf.Struct";
}

/** isJsonStruct tells whether a field holds a Struct as a JsonObject (protobuf-es's reflect rules). */
function isJsonStruct(field: DescField): boolean {
  return field.fieldKind === "message" && field.message.typeName === "google.protobuf.Struct" && field.parent.typeName !== "google.protobuf.Value";
}

/** writeJsonStruct writes a JSON object as google.protobuf.Struct's fields (map<string, Value> = 1). */
function writeJsonStruct(out: Output, object: JsonObject): void {
  for (const key of Object.keys(object)) {
    const entry = out.tag(1, LENGTH_DELIMITED).fork();
    out.tag(1, LENGTH_DELIMITED).string(key);
    const value = out.tag(2, LENGTH_DELIMITED).fork();
    writeJsonValue(out, object[key]);
    out.join(value);
    out.join(entry);
  }
}

/** writeJsonValue writes a JSON value as google.protobuf.Value's fields (the `kind` oneof). */
function writeJsonValue(out: Output, value: JsonValue | undefined): void {
  switch (typeof value) {
    case "number":
      out.tag(2, 1).double(value);
      return;
    case "string":
      out.tag(3, LENGTH_DELIMITED).string(value);
      return;
    case "boolean":
      out.tag(4, 0).varint32(value ? 1 : 0);
      return;
    case "object": {
      if (value === null) {
        out.tag(1, 0).varint32(0);
        return;
      }
      const start = out.tag(Array.isArray(value) ? 6 : 5, LENGTH_DELIMITED).fork();
      if (Array.isArray(value)) {
        for (const item of value) {
          const at = out.tag(1, LENGTH_DELIMITED).fork();
          writeJsonValue(out, item);
          out.join(at);
        }
      } else {
        writeJsonStruct(out, value);
      }
      out.join(start);
      return;
    }
  }
}

function isZero(v: unknown): boolean {
  return v === 0 || v === "" || v === false || v === 0n || (v instanceof Uint8Array && v.length === 0);
}

function wireTypeOf(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LENGTH_DELIMITED;
    case ScalarType.DOUBLE:
      return 1;
    default:
      return 0;
  }
}

/** scalarSource is the statement writing `value` without its tag; null for the scalar types our messages do not use. */
function scalarSource(scalar: ScalarType, value: string): string | null {
  switch (scalar) {
    case ScalarType.STRING:
      return `o.string(${value});`;
    case ScalarType.BYTES:
      return `o.bytes(${value});`;
    case ScalarType.BOOL:
      return `o.varint32(${value} ? 1 : 0);`;
    case ScalarType.INT32:
      return `o.int32(${value});`;
    case ScalarType.UINT32:
      return `o.varint32(${value});`;
    case ScalarType.INT64:
    case ScalarType.UINT64:
      return `o.varint64(BigInt(${value}));`;
    case ScalarType.DOUBLE:
      return `o.double(${value});`;
    default:
      return null;
  }
}

/** Output is a growable buffer with protobuf primitives. */
class Output {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  reset(): void {
    this.pos = 0;
  }

  get position(): number {
    return this.pos;
  }

  /** truncate drops what was written after `position`. */
  truncate(position: number): void {
    this.pos = position;
  }

  /** copy returns a copy of what was written. */
  copy(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos).slice();
  }

  /**
   * finish returns a copy of what was written, as a plain Uint8Array like toBinary's. Small ones
   * (annotations, two or three per object of a sync) are carved out of a shared slab, as Buffer
   * does for its small allocations: a new ArrayBuffer each cost more than encoding them.
   */
  finish(): Uint8Array {
    const length = this.pos;
    if (length > SLAB_ITEM_MAX) return this.copy();
    if (slabUsed + length > SLAB_SIZE) {
      slab = new ArrayBuffer(SLAB_SIZE);
      slabUsed = 0;
    }
    const out = new Uint8Array(slab, slabUsed, length);
    this.buf.copy(out, 0, 0, length);
    slabUsed = (slabUsed + length + 7) & ~7;
    return out;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  tag(no: number, wireType: number): this {
    this.varint32((no << 3) | wireType);
    return this;
  }

  varint32(v: number): void {
    this.ensure(5);
    v >>>= 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  int32(v: number): void {
    // Negative int32 values are sign-extended to 64 bits: ten bytes on the wire.
    if (v < 0) this.varint64(BigInt(v));
    else this.varint32(v);
  }

  varint64(v: bigint): void {
    this.ensure(10);
    if (v >= 0n && v <= MAX_SAFE) {
      // Timestamps' seconds, mostly: number arithmetic instead of a BigInt per 7 bits.
      let n = Number(v);
      while (n > 0x7f) {
        this.buf[this.pos++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
      this.buf[this.pos++] = n;
      return;
    }
    let u = BigInt.asUintN(64, v);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  string(s: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes. The length is patched in afterwards, like a
    // nested message's, so the string is converted once and never measured first.
    this.ensure(5 + s.length * 3);
    if (s.length < 0x80 && this.ascii(s)) return;
    const start = this.fork();
    this.pos += this.buf.write(s, this.pos, "utf8");
    this.join(start);
  }

  /**
   * ascii writes a short string (length < 128, so a one-byte length) when it is all ASCII, as
   * ids and names mostly are: a loop here is several times cheaper than a call to Buffer.write.
   */
  private ascii(s: string): boolean {
    const buf = this.buf;
    let at = this.pos + 1;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[at++] = c;
    }
    buf[this.pos] = s.length;
    this.pos = at;
    return true;
  }

  bytes(b: Uint8Array): void {
    this.varint32(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** fork reserves one byte for a nested message's length; join writes it, moving the body when it needs more. */
  fork(): number {
    this.ensure(1);
    return this.pos++;
  }

  join(start: number): void {
    const length = this.pos - start - 1;
    if (length < 0x80) {
      this.buf[start] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buf.copyWithin(start + 1 + extra, start + 1, this.pos);
    this.pos += extra;
    let v = length;
    let at = start;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
  }
}

const scratch = new Output();
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const SLAB_SIZE = 64 * 1024;
const SLAB_ITEM_MAX = 4 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/** varintSize is how many bytes a protobuf varint of v (a uint32) takes. */
export function varintSize(v: number): number {
  let size = 1;
  while (v > 0x7f) {
    v >>>= 7;
    size++;
  }
  return size;
}
