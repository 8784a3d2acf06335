import {
  fromJson,
  ScalarType,
  type DescEnum,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type MessageShape,
} from "@bufbuild/protobuf";
import { invalidArgument } from "./api-error.js";

/** RequestParts are the places an HTTP request carries fields of its request message. */
export interface RequestParts {
  /** Path variables by JSON field name; they win over body fields of the same name. */
  params: Record<string, string>;
  /** Query string of a GET or DELETE: every non-path field. */
  query?: URLSearchParams;
  /** Parsed JSON body of a POST (`body: "*"`). */
  body?: unknown;
}

/**
 * parseRequest builds a request message the way grpc-gateway v2 does: path variables, then
 * query parameters (proto or JSON names, dotted paths for nested messages, enum names or
 * numbers; unknown keys ignored), or the JSON body (camelCase or snake_case, unknown fields
 * ignored). Values that do not parse are INVALID_ARGUMENT.
 */
export function parseRequest<Desc extends DescMessage>(schema: Desc, parts: RequestParts): MessageShape<Desc> {
  const json: JsonObject = {};
  const pathFields = new Set<DescField>();
  for (const name of Object.keys(parts.params)) {
    const field = findField(schema, name);
    if (field !== undefined) pathFields.add(field);
  }
  if (parts.body !== undefined && parts.body !== null) {
    if (typeof parts.body !== "object" || Array.isArray(parts.body)) {
      throw invalidArgument("request body must be a JSON object");
    }
    for (const [key, value] of Object.entries(parts.body as JsonObject)) {
      const field = findField(schema, key);
      if (field !== undefined && pathFields.has(field)) continue;
      json[key] = value;
    }
  }
  if (parts.query !== undefined) {
    for (const key of new Set(parts.query.keys())) {
      setQueryValue(schema, json, key.split("."), parts.query.getAll(key), pathFields);
    }
  }
  for (const [name, value] of Object.entries(parts.params)) json[name] = value;
  try {
    return fromJson(schema, json, { ignoreUnknownFields: true });
  } catch (error) {
    throw invalidArgument(`invalid request: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function findField(desc: DescMessage, name: string): DescField | undefined {
  return desc.fields.find((f) => f.name === name || f.jsonName === name);
}

function setQueryValue(
  desc: DescMessage,
  target: JsonObject,
  path: string[],
  values: string[],
  pathFields: ReadonlySet<DescField>,
): void {
  const [segment, ...rest] = path;
  if (segment === undefined) return;
  const field = findField(desc, segment);
  // Unknown query keys are silently ignored, as by the stock gateway (docs/temporal-cloud-api.md, "Query parameters").
  if (field === undefined || pathFields.has(field)) return;
  if (rest.length > 0) {
    if (field.fieldKind !== "message") return;
    const child = target[field.jsonName];
    const nested: JsonObject = typeof child === "object" && child !== null && !Array.isArray(child) ? child : {};
    target[field.jsonName] = nested;
    setQueryValue(field.message, nested, rest, values, new Set());
    return;
  }
  switch (field.fieldKind) {
    case "scalar":
      target[field.jsonName] = queryScalar(field, field.scalar, values.at(-1) ?? "");
      return;
    case "enum":
      target[field.jsonName] = queryEnum(field, field.enum, values.at(-1) ?? "");
      return;
    case "list":
      if (field.listKind === "scalar") {
        const scalar = field.scalar;
        target[field.jsonName] = values.map((v) => queryScalar(field, scalar, v));
      } else if (field.listKind === "enum") {
        const descEnum = field.enum;
        target[field.jsonName] = values.map((v) => queryEnum(field, descEnum, v));
      }
      return;
    case "message":
      // Like the gateway, a Timestamp is one query value in RFC 3339 (e.g. startTimeInclusive).
      if (field.message.typeName === "google.protobuf.Timestamp") target[field.jsonName] = values.at(-1) ?? "";
      return;
    default:
      // Maps and other messages cannot be written as one query value.
      return;
  }
}

function queryScalar(field: DescField, scalar: ScalarType, value: string): JsonValue {
  if (scalar === ScalarType.BOOL) {
    // Go's strconv.ParseBool, which the gateway uses.
    if (["1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
    if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
    throw invalidArgument(`invalid value for ${field.name}: ${JSON.stringify(value)}`);
  }
  return value;
}

function queryEnum(field: DescField, descEnum: DescEnum, value: string): JsonValue {
  if (/^-?\d+$/.test(value)) return Number(value);
  // fromJson would silently drop an unknown name (ignoreUnknownFields); the gateway refuses it.
  if (descEnum.values.some((v) => v.name === value)) return value;
  throw invalidArgument(`invalid value for ${field.name}: ${JSON.stringify(value)}`);
}
