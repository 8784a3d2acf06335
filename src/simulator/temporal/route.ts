import { create, toJson, type DescMessage, type JsonValue, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { ApiKey, ServiceAccount, User } from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { invalidArgument, notFound } from "./api-error.js";
import type { AsyncOperations } from "./async-operations.js";
import type { AuditLog } from "./audit-log.js";
import { parseRequest } from "./parse-request.js";
import type { SimulatorStore } from "./simulator-store.js";

/** HttpMethod is an HTTP method the Cloud Ops API routes use. */
export type HttpMethod = "GET" | "POST" | "DELETE";

/**
 * Caller is the authenticated principal of a request: the owner of the presented API key.
 */
export type Caller = { readonly apiKey: ApiKey } & (
  | { readonly kind: "user"; readonly user: User }
  | { readonly kind: "serviceAccount"; readonly serviceAccount: ServiceAccount }
);

/**
 * RouteContext is everything a route handler sees of one request.
 */
export interface RouteContext {
  readonly method: HttpMethod;
  readonly store: SimulatorStore;
  readonly operations: AsyncOperations;
  readonly audit: AuditLog;
  readonly caller: Caller;
  /**
   * The request's API version has projects (v0.18.0 or later, or no version header, which means
   * the latest): below it, project access is neither shown nor honoured (api-version.ts).
   */
  readonly projects: boolean;
  /** Path variables by the JSON name of the request field they bind. */
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  /** Parsed JSON body (POST only). */
  readonly body: unknown;
}

/**
 * Route is one Cloud Ops API method: an HTTP method, a path template whose `{variables}` are
 * JSON field names of the request message, the RPC name, and a handler returning the JSON body.
 */
export interface Route {
  readonly method: HttpMethod;
  readonly path: string;
  readonly name: string;
  /**
   * The response depends on the account's data and the caller only (not on the clock or on
   * pending operations), so a read cache may serve it again until the next write.
   */
  readonly cacheable?: boolean;
  handle(ctx: RouteContext): JsonValue;
}

/**
 * parse builds the request message of a route from its path variables and its query string
 * (GET, DELETE) or JSON body (POST).
 */
export function parse<Desc extends DescMessage>(ctx: RouteContext, schema: Desc): MessageShape<Desc> {
  return ctx.method === "POST"
    ? parseRequest(schema, { params: ctx.params, body: ctx.body ?? {} })
    : parseRequest(schema, { params: ctx.params, query: ctx.query });
}

/**
 * respond serializes a response message to proto3 JSON as the API does: lowerCamelCase
 * names, enum names, default values omitted.
 */
export function respond<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): JsonValue {
  return toJson(schema, create(schema, init));
}

/**
 * found returns `resource`, or throws NOT_FOUND naming what was looked for.
 */
export function found<T>(resource: T | undefined, what: string, id: string): T {
  if (resource === undefined) throw notFound(`${what} not found: ${id}`);
  return resource;
}

/**
 * requireVersion throws INVALID_ARGUMENT "resource version mismatch" unless the request
 * carries the resource's current version. A missing version is a mismatch too (docs/temporal-cloud-api.md, "resourceVersion").
 */
export function requireVersion(resource: { resourceVersion: string }, requested: string): void {
  // (uncertain, docs/temporal-cloud-api.md, "resourceVersion") the exact code for a stale version is unknown; INVALID_ARGUMENT as suggested.
  if (requested !== resource.resourceVersion) {
    throw invalidArgument(
      requested === ""
        ? "resource version mismatch: resourceVersion is required"
        : `resource version mismatch: expected ${resource.resourceVersion}, got ${requested}`,
    );
  }
}

/** nothingToChange is the INVALID_ARGUMENT error for an update that would change nothing (docs/temporal-cloud-api.md, "Refused mutations"). */
export function nothingToChange(): Error {
  return invalidArgument("nothing to change");
}

/** callerId returns the id of the calling user or service account. */
export function callerId(caller: Caller): string {
  return caller.kind === "user" ? caller.user.id : caller.serviceAccount.id;
}
