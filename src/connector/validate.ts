import { fromBinary, getOption, hasOption, type DescField, type DescMessage, type DescOneof, type Message } from "@bufbuild/protobuf";
import type { Any, Duration } from "@bufbuild/protobuf/wkt";
import { required as oneofRequired, rules as fieldRules, type FieldRules } from "../gen/validate/validate_pb.js";
import type { ResourceId } from "./c1.js";
import { invalidArgument } from "./errors.js";
import { PROTOCOL_REGISTRY } from "./protocol-registry.js";

/**
 * validateMessage checks a request against the protoc-gen-validate rules written next to its
 * fields in proto/c1 (the same rules the Go SDK enforces), recursing into nested messages like
 * PGV does, and throws INVALID_ARGUMENT naming the first offending field by its path.
 */
export function validateMessage(schema: DescMessage, message: Message): void {
  const problem = checkMessage(schema, message as unknown as Record<string, unknown>, "");
  if (problem) throw invalidArgument(`invalid ${schema.name}: ${problem}`);
}

type Fields = Record<string, unknown>;

function checkMessage(desc: DescMessage, msg: Fields, path: string): string | undefined {
  if (desc.typeName === "google.protobuf.Any") return checkAny(msg as unknown as Any, path);
  // The other well-known types (Struct, Timestamp…) carry no rules.
  if (desc.file.proto.package === "google.protobuf") return undefined;
  if (desc.typeName === "c1.connector.v2.ResourceId") {
    const problem = checkResourceId(msg as unknown as ResourceId, path);
    if (problem) return problem;
  }
  for (const oneof of requiredOneofsOf(desc)) {
    const value = msg[oneof.localName] as { case?: string } | undefined;
    if (!value?.case) return `${path || "request"}: one of ${oneof.fields.map((f) => f.name).join(", ")} is required`;
  }
  for (const field of desc.fields) {
    const value = field.oneof ? oneofValue(msg[field.oneof.localName], field.localName) : msg[field.localName];
    // Like PGV, a oneof member's rules apply only when it is the member that is set: an unset
    // one has no value to check (KeyGenerationProfile.crv when rsa_modulus_bits is chosen).
    if (field.oneof && value === undefined) continue;
    const problem = checkField(field, value, path ? `${path}.${field.name}` : field.name);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * checkResourceId refuses the ids "." and "..": the connector puts resource ids into upstream
 * URL paths, where a URL parser reads them as "this folder" and "the parent folder" and the
 * request would reach another route (docs/security.md, "Ids in upstream paths"). No resource of
 * this connector has such an id; the empty id is refused by the protocol's own rule.
 */
function checkResourceId(id: ResourceId, path: string): string | undefined {
  if (id.resource === "." || id.resource === "..") return `${path || "resource_id"}.resource "${id.resource}" is not a resource id`;
  return undefined;
}

/**
 * checkAny refuses an Any the connector could not read. PGV treats Any payloads as opaque, but
 * the connector does not: it looks annotations up by type name and unpacks the ones it knows
 * (TypeScopedGrants, GrantImmutable, GroupTrait…). A type URL that names no type, or the value
 * of a protocol message that does not decode as that message, is malformed input; left to the
 * code that unpacks it, it would fail there as an internal error.
 */
function checkAny(any: Any, path: string): string | undefined {
  if (any.typeUrl === "") return undefined; // names nothing, so nothing reads it
  const name = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
  if (name === "") return `${path}.type_url "${clipToBytes(any.typeUrl)}" names no type`;
  const schema = PROTOCOL_REGISTRY.getMessage(name);
  if (!schema) return undefined; // not a protocol message: opaque, as for PGV
  try {
    fromBinary(schema, any.value);
  } catch (err) {
    return `${path}.value is not a valid ${name}: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

// Reading an option decodes it from the descriptor again each time, and a request visits the same
// fields over and over (a list of 100,000 items checks one field 100,000 times): read each once.
const fieldRulesCache = new WeakMap<DescField, FieldRules | null>();
const requiredOneofsCache = new WeakMap<DescMessage, readonly DescOneof[]>();

function rulesOf(field: DescField): FieldRules | undefined {
  let rules = fieldRulesCache.get(field);
  if (rules === undefined) fieldRulesCache.set(field, (rules = hasOption(field, fieldRules) ? getOption(field, fieldRules) : null));
  return rules ?? undefined;
}

function requiredOneofsOf(desc: DescMessage): readonly DescOneof[] {
  let oneofs = requiredOneofsCache.get(desc);
  if (!oneofs) requiredOneofsCache.set(desc, (oneofs = desc.oneofs.filter((o) => hasOption(o, oneofRequired) && getOption(o, oneofRequired))));
  return oneofs;
}

function oneofValue(oneof: unknown, localName: string): unknown {
  const o = oneof as { case?: string; value?: unknown } | undefined;
  return o?.case === localName ? o.value : undefined;
}

function checkField(field: DescField, value: unknown, path: string): string | undefined {
  const rules = rulesOf(field);
  switch (field.fieldKind) {
    case "list": {
      const list = value as unknown[];
      const problem = rules?.type.case === "repeated" ? checkRepeated(rules.type.value, list, path) : undefined;
      if (problem) return problem;
      const itemRules = rules?.type.case === "repeated" ? rules.type.value.items : undefined;
      for (let i = 0; i < list.length; i++) {
        const item = list[i];
        const itemPath = `${path}[${i}]`;
        const p =
          (itemRules ? checkScalar(itemRules, item, itemPath, field) : typeof item === "string" ? checkUnruledString(item, itemPath) : undefined) ||
          (field.listKind === "message" ? checkMessage(field.message, item as Fields, itemPath) : undefined);
        if (p) return p;
      }
      return undefined;
    }
    case "map": {
      if (field.mapKind !== "message") return undefined;
      for (const [key, item] of Object.entries(value as Fields)) {
        const p = checkMessage(field.message, item as Fields, `${path}["${key}"]`);
        if (p) return p;
      }
      return undefined;
    }
    case "message": {
      if (value === undefined) return rules?.message?.required ? `${path} is required` : undefined;
      if (rules?.type.case === "duration") {
        const p = checkDuration(rules.type.value, value as Duration, path);
        if (p) return p;
      }
      return checkMessage(field.message, value as Fields, path);
    }
    default:
      if (rules) return checkScalar(rules, value, path, field);
      return typeof value === "string" ? checkUnruledString(value, path) : undefined;
  }
}

/**
 * MAX_STRING_BYTES bounds every request string the protocol leaves unbounded (AccountInfo.login,
 * Entitlement.slug, ticket fields…): none means anything at this size, and the connector reads
 * some of them (an account's login is the address it invites).
 */
export const MAX_STRING_BYTES = 64 * 1024;

/** MAX_EMAIL_BYTES is the longest address RFC 5321 lets through (a path of 256 octets, less the angle brackets). */
export const MAX_EMAIL_BYTES = 254;

function checkUnruledString(s: string, path: string): string | undefined {
  // Only a long string can break the bound, and UTF-8 takes at least one byte per UTF-16 unit.
  if (s.length <= MAX_STRING_BYTES / 3) return undefined;
  const bytes = Buffer.byteLength(s, "utf8");
  return bytes > MAX_STRING_BYTES ? `${path} must be at most ${MAX_STRING_BYTES} bytes long, got ${bytes}` : undefined;
}

function checkRepeated(rules: NonNullable<Extract<FieldRules["type"], { case: "repeated" }>["value"]>, list: unknown[], path: string): string | undefined {
  if (rules.ignoreEmpty && list.length === 0) return undefined;
  if (rules.minItems !== undefined && list.length < rules.minItems) return `${path} must have at least ${rules.minItems} item(s), got ${list.length}`;
  if (rules.maxItems !== undefined && list.length > rules.maxItems) return `${path} must have at most ${rules.maxItems} items, got ${list.length}`;
  if (rules.unique && new Set(list.map((v) => (typeof v === "object" ? JSON.stringify(v) : v))).size !== list.length) {
    return `${path} must not contain duplicates`;
  }
  return undefined;
}

function checkScalar(rules: FieldRules, value: unknown, path: string, field: DescField): string | undefined {
  const r = rules.type;
  switch (r.case) {
    case "string": {
      const s = value as string;
      const rule = r.value;
      if (rule.ignoreEmpty && s === "") return undefined;
      // Every length bound comes first: the pattern, email and URI checks below only ever see a
      // string of bounded size (docs/security.md, "Patterns over input").
      const bytes = Buffer.byteLength(s, "utf8");
      if (rule.minBytes !== undefined && bytes < rule.minBytes) {
        return s === "" ? `${path} is required` : `${path} must be at least ${rule.minBytes} bytes long, got ${bytes}`;
      }
      if (rule.maxBytes !== undefined && bytes > rule.maxBytes) return `${path} must be at most ${rule.maxBytes} bytes long, got ${bytes}`;
      if (rule.len !== undefined || rule.minLen !== undefined || rule.maxLen !== undefined) {
        const chars = [...s].length;
        if (rule.len !== undefined && chars !== Number(rule.len)) return `${path} must be exactly ${rule.len} characters long, got ${chars}`;
        if (rule.minLen !== undefined && chars < rule.minLen) return s === "" ? `${path} is required` : `${path} must be at least ${rule.minLen} characters long, got ${chars}`;
        if (rule.maxLen !== undefined && chars > rule.maxLen) return `${path} must be at most ${rule.maxLen} characters long, got ${chars}`;
      }
      const emailRule = rule.wellKnown.case === "email" && rule.wellKnown.value;
      const limit = emailRule ? MAX_EMAIL_BYTES : MAX_STRING_BYTES;
      if (rule.maxBytes === undefined && bytes > limit) return `${path} must be at most ${limit} bytes long, got ${bytes}`;
      if (rule.prefix !== undefined && !s.startsWith(rule.prefix)) return `${path} must start with "${rule.prefix}"`;
      if (rule.pattern !== undefined && !patternOf(rule.pattern).test(s)) return `${path} must match ${rule.pattern}`;
      if (rule.in.length > 0 && !rule.in.includes(s)) return `${path} must be one of ${rule.in.join(", ")}`;
      if (emailRule && !isEmail(s)) return `${path} must be a valid email address, got "${clipToBytes(s)}"`;
      if (rule.wellKnown.case === "uri" && rule.wellKnown.value && !isAbsoluteUri(s)) return `${path} must be an absolute URI`;
      return undefined;
    }
    case "bytes": {
      const b = value as Uint8Array;
      if (r.value.ignoreEmpty && b.length === 0) return undefined;
      if (r.value.len !== undefined && BigInt(b.length) !== BigInt(r.value.len)) return `${path} must be exactly ${r.value.len} bytes, got ${b.length}`;
      if (r.value.minLen !== undefined && b.length < r.value.minLen) return `${path} must be at least ${r.value.minLen} bytes, got ${b.length}`;
      if (r.value.maxLen !== undefined && b.length > r.value.maxLen) return `${path} must be at most ${r.value.maxLen} bytes, got ${b.length}`;
      return undefined;
    }
    case "int32":
    case "int64":
    case "uint32":
    case "uint64": {
      const n = BigInt(value as number | bigint);
      const rule = r.value;
      if (rule.ignoreEmpty && n === 0n) return undefined;
      if (rule.lt !== undefined && !(n < BigInt(rule.lt))) return `${path} must be less than ${rule.lt}, got ${n}`;
      if (rule.lte !== undefined && !(n <= BigInt(rule.lte))) return `${path} must be at most ${rule.lte}, got ${n}`;
      if (rule.gt !== undefined && !(n > BigInt(rule.gt))) return `${path} must be greater than ${rule.gt}, got ${n}`;
      if (rule.gte !== undefined && !(n >= BigInt(rule.gte))) return `${path} must be at least ${rule.gte}, got ${n}`;
      return undefined;
    }
    case "enum": {
      const e = field.fieldKind === "enum" ? field.enum : field.fieldKind === "list" && field.listKind === "enum" ? field.enum : undefined;
      if (r.value.definedOnly && e && !e.values.some((v) => v.number === value)) return `${path} has undefined enum value ${String(value)}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

function checkDuration(rule: NonNullable<Extract<FieldRules["type"], { case: "duration" }>["value"]>, d: Duration, path: string): string | undefined {
  const ns = (x: Duration) => x.seconds * 1_000_000_000n + BigInt(x.nanos);
  if (rule.gte && ns(d) < ns(rule.gte)) return `${path} must be at least ${rule.gte.seconds}s`;
  if (rule.lte && ns(d) > ns(rule.lte)) return `${path} must be at most ${rule.lte.seconds}s`;
  return undefined;
}

// Patterns are the protocol's own (proto/c1): compiled once. They run only on strings already
// held to their max_bytes, or to MAX_STRING_BYTES when a field has none.
const patterns = new Map<string, RegExp>();

function patternOf(source: string): RegExp {
  let pattern = patterns.get(source);
  if (!pattern) patterns.set(source, (pattern = new RegExp(source, "u")));
  return pattern;
}

// PGV's email rule: an addr-spec without display name, a local part of at most 64 bytes and a
// hostname domain. The caller has bounded the length; each pattern is one character class
// repeated, anchored, so it runs in linear time.
function isEmail(s: string): boolean {
  if (s.length > MAX_EMAIL_BYTES) return false;
  const at = s.lastIndexOf("@");
  if (at <= 0 || at > 64) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local) && !local.startsWith(".") && !local.endsWith(".") && !local.includes("..") && isHostname(domain);
}

function isHostname(s: string): boolean {
  const host = s.endsWith(".") ? s.slice(0, -1) : s;
  if (host.length === 0 || host.length > 253) return false;
  return host.split(".").every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

function isAbsoluteUri(s: string): boolean {
  try {
    return new URL(s).protocol.length > 1;
  } catch {
    return false;
  }
}

function clipToBytes(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
