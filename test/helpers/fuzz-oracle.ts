import { createRegistry, fromBinary, getOption, hasOption, type DescField, type DescFile, type DescMessage, type DescOneof } from "@bufbuild/protobuf";
import * as c1 from "../../src/connector/c1.js";
import { required as oneofRequired, rules as fieldRules, type FieldRules } from "../../src/gen/validate/validate_pb.js";

/** The protocol's messages: annotations in an Any are read by the connector, so they must decode. */
const protocol = createRegistry(...Object.entries(c1).flatMap(([name, value]) => (name.startsWith("file_") ? [value as DescFile] : [])));

/**
 * ruleViolation is an independent second reading of the protoc-gen-validate rules in proto/c1:
 * it checks only the plain, unambiguous ones (byte lengths, item counts, required messages and
 * oneofs, defined enum values, integer bounds) and returns the path of one that a decoded
 * request breaks, or undefined. It shares no code with src/connector/validate.ts on purpose: a
 * request it flags must be refused by the server's validator, whatever that validator does.
 * Rules it does not model (patterns, emails, URIs, uniqueness…) are simply not checked, so
 * "undefined" means "not known to be invalid", never "valid". One rule is the connector's own
 * rather than PGV's: an Any must name a type, and an Any of a protocol message must decode.
 */
export function ruleViolation(desc: DescMessage, message: Record<string, unknown>, path = ""): string | undefined {
  if (desc.typeName === "google.protobuf.Any") return anyViolation(message as { typeUrl: string; value: Uint8Array }, path);
  if (desc.file.proto.package === "google.protobuf") return undefined;
  for (const oneof of requiredOneofsOf(desc)) {
    if (!(message[oneof.localName] as { case?: string } | undefined)?.case) {
      return `${path || "request"}: oneof ${oneof.name} unset`;
    }
  }
  for (const field of desc.fields) {
    const at = path ? `${path}.${field.name}` : field.name;
    const value = field.oneof ? oneofMember(message[field.oneof.localName], field.localName) : message[field.localName];
    // A oneof member's rules apply only when it is the member that is set.
    if (value === undefined && field.oneof) continue;
    const rules = rulesOf(field);
    const problem = fieldViolation(field, rules, value, at);
    if (problem) return problem;
  }
  return undefined;
}

function anyViolation(any: { typeUrl: string; value: Uint8Array }, at: string): string | undefined {
  if (any.typeUrl === "") return undefined;
  const name = any.typeUrl.split("/").pop()!;
  if (name === "") return `${at}: type URL without a type name`;
  const schema = protocol.getMessage(name);
  if (!schema) return undefined;
  try {
    fromBinary(schema, any.value);
    return undefined;
  } catch {
    return `${at}: value is not a ${name}`;
  }
}

// Reading an option parses the extension each time: remember them per descriptor.
const fieldRuleCache = new Map<DescField, FieldRules | undefined>();
const requiredOneofs = new Map<DescMessage, readonly DescOneof[]>();

function rulesOf(field: DescField): FieldRules | undefined {
  if (!fieldRuleCache.has(field)) fieldRuleCache.set(field, hasOption(field, fieldRules) ? getOption(field, fieldRules) : undefined);
  return fieldRuleCache.get(field);
}

function requiredOneofsOf(desc: DescMessage): readonly DescOneof[] {
  let found = requiredOneofs.get(desc);
  if (!found) requiredOneofs.set(desc, (found = desc.oneofs.filter((o) => hasOption(o, oneofRequired) && getOption(o, oneofRequired))));
  return found;
}

function oneofMember(oneof: unknown, localName: string): unknown {
  const o = oneof as { case?: string; value?: unknown } | undefined;
  return o?.case === localName ? o.value : undefined;
}

function fieldViolation(field: DescField, rules: FieldRules | undefined, value: unknown, at: string): string | undefined {
  if (field.fieldKind === "list") {
    const list = value as unknown[];
    if (rules?.type.case === "repeated") {
      const r = rules.type.value;
      if (!(r.ignoreEmpty && list.length === 0)) {
        if (r.minItems !== undefined && list.length < Number(r.minItems)) return `${at}: ${list.length} < min_items ${r.minItems}`;
        if (r.maxItems !== undefined && list.length > Number(r.maxItems)) return `${at}: ${list.length} > max_items ${r.maxItems}`;
      }
      if (r.items) {
        for (let i = 0; i < list.length; i++) {
          const p = scalarViolation(field, r.items, list[i], `${at}[${i}]`);
          if (p) return p;
        }
      }
    }
    if (field.listKind === "message") {
      for (let i = 0; i < list.length; i++) {
        const p = ruleViolation(field.message, list[i] as Record<string, unknown>, `${at}[${i}]`);
        if (p) return p;
      }
    }
    return undefined;
  }
  if (field.fieldKind === "map") {
    if (field.mapKind !== "message") return undefined;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const p = ruleViolation(field.message, item as Record<string, unknown>, `${at}[${key}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (field.fieldKind === "message") {
    if (value === undefined) return rules?.message?.required ? `${at}: required message unset` : undefined;
    return ruleViolation(field.message, value as Record<string, unknown>, at);
  }
  return rules ? scalarViolation(field, rules, value, at) : undefined;
}

function scalarViolation(field: DescField, rules: FieldRules, value: unknown, at: string): string | undefined {
  const r = rules.type;
  switch (r.case) {
    case "string": {
      const s = value as string;
      if (r.value.ignoreEmpty && s === "") return undefined;
      const bytes = Buffer.byteLength(s, "utf8");
      if (r.value.minBytes !== undefined && bytes < Number(r.value.minBytes)) return `${at}: ${bytes} bytes < min_bytes ${r.value.minBytes}`;
      if (r.value.maxBytes !== undefined && bytes > Number(r.value.maxBytes)) return `${at}: ${bytes} bytes > max_bytes ${r.value.maxBytes}`;
      return undefined;
    }
    case "int32":
    case "int64":
    case "uint32":
    case "uint64": {
      const n = BigInt(value as number | bigint);
      const b = r.value as { lt?: number | bigint; lte?: number | bigint; gt?: number | bigint; gte?: number | bigint; ignoreEmpty?: boolean };
      if (b.ignoreEmpty && n === 0n) return undefined;
      if (b.lt !== undefined && !(n < BigInt(b.lt))) return `${at}: ${n} not < ${b.lt}`;
      if (b.lte !== undefined && !(n <= BigInt(b.lte))) return `${at}: ${n} not <= ${b.lte}`;
      if (b.gt !== undefined && !(n > BigInt(b.gt))) return `${at}: ${n} not > ${b.gt}`;
      if (b.gte !== undefined && !(n >= BigInt(b.gte))) return `${at}: ${n} not >= ${b.gte}`;
      return undefined;
    }
    case "enum": {
      const e = field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum") ? field.enum : undefined;
      if (r.value.definedOnly && e && !e.values.some((v) => v.number === value)) return `${at}: undefined enum value ${String(value)}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * limitedStringFields lists, by reflection over the rules, the string fields reachable from a
 * request (through singular message fields) that have a max_bytes limit, as localName paths:
 * where class-3 requests push a value just past the limit.
 */
export function limitedStringFields(desc: DescMessage, seen: readonly string[] = []): { path: string[]; maxBytes: number; names: string }[] {
  const out: { path: string[]; maxBytes: number; names: string }[] = [];
  if (desc.file.proto.package === "google.protobuf") return out;
  for (const field of desc.fields) {
    if (field.oneof) continue;
    if (field.fieldKind === "scalar") {
      const rules = hasOption(field, fieldRules) ? getOption(field, fieldRules) : undefined;
      if (rules?.type.case === "string" && rules.type.value.maxBytes !== undefined) {
        out.push({ path: [field.localName], maxBytes: Number(rules.type.value.maxBytes), names: field.name });
      }
    } else if (field.fieldKind === "message" && !seen.includes(field.message.typeName)) {
      for (const inner of limitedStringFields(field.message, [...seen, desc.typeName])) {
        out.push({ path: [field.localName, ...inner.path], maxBytes: inner.maxBytes, names: `${field.name}.${inner.names}` });
      }
    }
  }
  return out;
}
