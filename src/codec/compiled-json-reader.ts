import { fromJson, ScalarType, type DescField, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";

/**
 * readJson is protobuf-es's fromJson (with ignoreUnknownFields) for the shapes the Cloud Ops API
 * sends, compiled per message type. A sync parses every user, service account, group and member of
 * the account, and fromJson goes through its reflection API for each field of each of them. This
 * reader handles the common, well-formed case (strings, integers, booleans, enums by name,
 * RFC 3339 timestamps, nested messages, lists, string-keyed maps, oneofs) and hands anything else
 * (another JSON form of a value, a type with other field kinds, a malformed document) to fromJson
 * itself, so the result, or the error, is always fromJson's. The tests compare the two on every
 * object the simulator serves.
 */
export function readJson<Desc extends DescMessage>(desc: Desc, json: JsonValue): MessageShape<Desc> {
  const type = compile(desc);
  if (type && isObject(json)) {
    try {
      return type.read(json, undefined) as MessageShape<Desc>; // unknown fields are ignored
    } catch (err) {
      if (err !== UNSUPPORTED) throw err;
    }
  }
  return fromJson(desc, json, { ignoreUnknownFields: true });
}

type Message = Record<string, unknown>;
type Json = Record<string, JsonValue>;
/** Reads one field's (non-null) JSON value into a message; throws UNSUPPORTED to hand over to fromJson. */
type ReadField = (message: Message, value: JsonValue) => void;

interface Compiled {
  /** Reads a JSON object into `into` or a new message. */
  read: (json: Json, into: Message | undefined) => Message;
}

/** UNSUPPORTED stops the fast path: fromJson reads the document instead. */
const UNSUPPORTED = new Error("unsupported by the compiled JSON reader");
const compiled = new WeakMap<DescMessage, Compiled | null>();
const PROTO3 = 999;
const IMPLICIT = 2;
const TIMESTAMP = "google.protobuf.Timestamp";

/**
 * compile builds (once) a type's reader as generated source: a new message is an object literal
 * of the type's zero values, and each JSON name has its own case calling its own field reader, so
 * every call site sees one function. Names come from descriptors and the readers are passed in:
 * keys read from a document are only compared with them, never put in the source.
 */
function compile(desc: DescMessage): Compiled | null {
  if (compiled.has(desc)) return compiled.get(desc)!;
  if (desc.file.edition !== PROTO3 || (desc.typeName.startsWith("google.protobuf.") && desc.typeName !== TIMESTAMP)) {
    compiled.set(desc, null);
    return null;
  }
  // Recursive types find their entry while it is filled in; readers look it up when they run.
  const type: Compiled = { read: () => { throw UNSUPPORTED; } };
  compiled.set(desc, type);
  const deps: unknown[] = [UNSUPPORTED];
  const dep = (value: unknown) => `d[${deps.push(value) - 1}]`;
  const zero: string[] = [`$typeName: ${JSON.stringify(desc.typeName)}`];
  for (const member of desc.members) {
    const name = JSON.stringify(member.localName);
    if (member.kind === "oneof") zero.push(`${name}: { case: undefined }`);
    else if (member.presence !== IMPLICIT) continue;
    else if (member.fieldKind === "list") zero.push(`${name}: []`);
    else if (member.fieldKind === "map") zero.push(`${name}: {}`);
    else if (member.fieldKind === "enum") zero.push(`${name}: ${member.enum.values[0]!.number}`);
    else if (member.fieldKind === "scalar") zero.push(`${name}: ${member.scalar === ScalarType.STRING ? '""' : member.scalar === ScalarType.BOOL ? "false" : "0"}`);
  }
  const cases: string[] = [];
  for (const field of desc.fields) {
    const read = fieldReader(field);
    if (!read) {
      compiled.set(desc, null);
      return null;
    }
    let body = `if (value !== null) ${dep(read)}(m, value);`; // null means the default, which a new message has
    if (field.oneof) {
      // Two members of one oneof: fromJson says why. A null counts as setting it, unless the member is a scalar.
      const check = `if (oneofs?.has(${JSON.stringify(field.oneof.localName)})) throw d[0]; (oneofs ??= new Set()).add(${JSON.stringify(field.oneof.localName)});`;
      body = `${field.fieldKind !== "scalar" ? check : `if (value !== null) { ${check} }`} ${body}`;
    }
    cases.push(`case ${JSON.stringify(field.jsonName)}: { ${body} break; }`);
    // The proto name (snake_case) is left to fromJson, which rejects a field set twice.
    if (field.name !== field.jsonName) cases.push(`case ${JSON.stringify(field.name)}: throw d[0];`);
  }
  const source = `return function read(json, into) {
    const m = into ?? { ${zero.join(", ")} };
    let oneofs;
    for (const key in json) {
      const value = json[key];
      switch (key) {
        ${cases.join("\n        ")}
      }
    }
    return m;
  };`;
  type.read = new Function("d", source)(deps) as Compiled["read"];
  return type;
}

function fieldReader(field: DescField): ReadField | null {
  const name = field.localName;
  const oneof = field.oneof?.localName;
  const store = oneof ? (message: Message, value: unknown) => void (message[oneof] = { case: name, value }) : (message: Message, value: unknown) => void (message[name] = value);
  switch (field.fieldKind) {
    case "scalar": {
      const read = scalarReader(field.scalar, field.longAsString);
      return read && ((message, value) => store(message, read(value)));
    }
    case "enum": {
      const read = enumReader(field.enum.values);
      return (message, value) => {
        const number = read(value);
        if (number !== undefined) store(message, number);
      };
    }
    case "message": {
      const read = messageReader(field.message);
      if (!read) return null;
      return (message, value) => {
        const current = oneof ? (message[oneof] as { case?: string; value?: Message }) : undefined;
        const existing = oneof ? (current!.case === name ? current!.value : undefined) : (message[name] as Message | undefined);
        store(message, read(value, existing));
      };
    }
    case "list": {
      const item = elementReader(field.listKind === "message" ? field.message : undefined, field.listKind === "enum" ? field.enum.values : undefined, field.scalar, field.listKind === "scalar" && field.longAsString);
      if (!item) return null;
      return (message, value) => {
        if (!Array.isArray(value)) throw UNSUPPORTED;
        const list = message[name] as unknown[];
        for (const v of value) {
          if (v === null) throw UNSUPPORTED;
          const converted = item(v);
          if (converted !== SKIP) list.push(converted);
        }
      };
    }
    case "map": {
      if (field.mapKey !== ScalarType.STRING) return null;
      const entry = elementReader(field.mapKind === "message" ? field.message : undefined, field.mapKind === "enum" ? field.enum.values : undefined, field.scalar, false);
      if (!entry) return null;
      return (message, value) => {
        if (!isObject(value)) throw UNSUPPORTED;
        const map = message[name] as Message;
        for (const key in value) {
          const v = value[key];
          if (v === null || v === undefined) throw UNSUPPORTED;
          const converted = entry(v);
          if (converted !== SKIP) map[key] = converted;
        }
      };
    }
  }
}

/** SKIP marks an enum value fromJson ignores (a name newer than our API subset). */
const SKIP = Symbol("skip");

/** elementReader reads a list item or a map value: a message, an enum (SKIP when ignored) or a scalar. */
function elementReader(
  message: DescMessage | undefined,
  enumValues: readonly { name: string; number: number }[] | undefined,
  scalar: ScalarType | undefined,
  longAsString: boolean,
): ((value: JsonValue) => unknown) | null {
  if (message) {
    const read = messageReader(message);
    return read && ((value) => read(value, undefined));
  }
  if (enumValues) {
    const read = enumReader(enumValues);
    return (value) => read(value) ?? SKIP;
  }
  return scalar === undefined ? null : scalarReader(scalar, longAsString);
}

function messageReader(desc: DescMessage): ((value: JsonValue, into: Message | undefined) => Message) | null {
  if (desc.typeName === TIMESTAMP) return (value) => readTimestamp(value);
  if (!compile(desc)) return null;
  return (value, into) => {
    if (!isObject(value)) throw UNSUPPORTED;
    return compile(desc)!.read(value, into);
  };
}

function scalarReader(scalar: ScalarType, longAsString: boolean): ((value: JsonValue) => unknown) | null {
  switch (scalar) {
    case ScalarType.STRING:
      return (value) => {
        if (typeof value !== "string") throw UNSUPPORTED;
        return value;
      };
    case ScalarType.BOOL:
      return (value) => {
        if (typeof value !== "boolean") throw UNSUPPORTED;
        return value;
      };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return (value) => {
        if (typeof value !== "number" || !Number.isInteger(value) || value > 0x7fffffff || value < -0x80000000) throw UNSUPPORTED;
        return value;
      };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return (value) => {
        if (typeof value !== "number" || !Number.isInteger(value) || value > 0xffffffff || value < 0) throw UNSUPPORTED;
        return value;
      };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return (value) => {
        if (typeof value !== "string" || !/^-?[0-9]{1,18}$/.test(value)) throw UNSUPPORTED;
        return longAsString ? value : BigInt(value);
      };
    default:
      return null; // floating point, bytes and unsigned 64-bit have JSON forms left to fromJson
  }
}

function enumReader(values: readonly { name: string; number: number }[]): (value: JsonValue) => number | undefined {
  const byName = new Map(values.map((v) => [v.name, v.number]));
  return (value) => {
    if (typeof value === "string") return byName.get(value); // unknown names are ignored, as fromJson does here
    if (typeof value === "number" && Number.isInteger(value)) return value;
    throw UNSUPPORTED;
  };
}

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?Z$/;
const MIN_MS = Date.parse("0001-01-01T00:00:00Z");
const MAX_MS = Date.parse("9999-12-31T23:59:59Z");

/** readTimestamp reads an RFC 3339 UTC timestamp as fromJson does; offsets and anything odd go to fromJson. */
function readTimestamp(value: JsonValue): Message {
  if (typeof value !== "string") throw UNSUPPORTED;
  const m = RFC3339.exec(value);
  if (!m) throw UNSUPPORTED;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  if (Number.isNaN(ms) || ms < MIN_MS || ms > MAX_MS) throw UNSUPPORTED;
  const fraction = m[7];
  return { $typeName: TIMESTAMP, seconds: BigInt(ms / 1000), nanos: fraction ? Number(fraction.padEnd(9, "0")) : 0 };
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
