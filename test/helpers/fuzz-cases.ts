import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { create, createRegistry, ScalarType, fromBinary, toBinary, toJsonString, type DescMessage, type DescMethod, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { status as Code } from "@grpc/grpc-js";
import {
  EntitlementsService,
  GrantManagerService,
  GrantsService,
  ResourceDeleterService,
  ResourceGetterService,
  ResourceManagerService,
  ResourcesService,
  ResourceTypesService,
  AccountManagerService,
  TypeScopedEntitlementsSchema,
  TypeScopedGrantsSchema,
  type Entitlement,
  type Grant,
  type Resource,
} from "../../src/connector/c1.js";
import { encodePageToken, type Cursor, type PageScope } from "../../src/connector/page-token.js";
import { createTokenSealer, SEAL_CHARS } from "../../src/connector/token-seal.js";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../src/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../src/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { PROTOCOL_FILES } from "../../src/connector/protocol-registry.js";
import { CONNECTOR_SERVICES } from "../../src/server/routes.js";
import { MAX_MESSAGE_BYTES } from "../../src/server/server.js";
import type { Prng } from "../../src/simulator/temporal/prng.js";
import { frame, type FuzzRequest } from "./fuzz-h2.js";
import {
  deepStruct,
  fieldPathsTo,
  fuzzString,
  junkBytes,
  long,
  mutateBytes,
  nestGroups,
  nestLengthDelimited,
  randomBytes,
  randomInit,
  wrapPath,
  type FuzzDictionary,
} from "./fuzz-gen.js";
import { limitedStringFields, ruleViolation } from "./fuzz-oracle.js";

/** InputClass names the seven kinds of malformed input of issue 7 (plus well-formed templates). */
export type InputClass = "bytes" | "random" | "template" | "oversized" | "deep" | "token" | "unknown-type" | "framing";

/** FuzzMethod is one method the server registers. */
export interface FuzzMethod {
  desc: DescMethod;
  /** Service/Method, for tallies. */
  name: string;
  path: string;
}

/**
 * Expect is what a request must get:
 * - codes: exactly one of these gRPC codes (and, when set, a message starting with prefix);
 * - handler: the request decodes and breaks no rule we can check, so the method's own answers
 *   (HANDLER_CODES) are all acceptable;
 * - http: an HTTP status without a gRPC status (415 for a content type nobody serves).
 */
export type Expect = { kind: "codes"; codes: readonly number[]; prefix?: string; why: string } | { kind: "handler"; why: string } | { kind: "http"; status: number; why: string };

/** FuzzCase is one generated request and what it must get. */
export interface FuzzCase {
  method: FuzzMethod;
  klass: InputClass;
  request: FuzzRequest;
  expect: Expect;
}

/** HarvestedToken is a real next_page_token and the request that produced it. */
export interface HarvestedToken {
  method: DescMethod;
  /** The request (without page_token) whose response carried the token. */
  request: Record<string, unknown>;
  token: string;
  /** The list it belongs to, as the connector scopes it. */
  scope: PageScope;
  /** Handed out by another connector, with another API key: its seal never opens here. */
  foreign?: boolean;
}

/** FuzzCorpus is real data from the account, for requests that reach deep into the connector. */
export interface FuzzCorpus {
  dict: FuzzDictionary;
  resources: Resource[];
  entitlements: Entitlement[];
  grants: Grant[];
  tokens: HarvestedToken[];
  /** Resource types whose resources have no entitlements or grants lists (SkipEntitlementsAndGrants). */
  listless: ReadonlySet<string>;
  emails: readonly string[];
  syncIds: readonly string[];
  /** Ids no provisioning request may touch: the connector's own identity and credential. */
  protectedIds: readonly string[];
  /** The connector's API key: forged tokens sealed with it test the bounds checked when a token is used. */
  sealSecret: string;
  registry: Registry;
}

const { OK, DEADLINE_EXCEEDED, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED, UNIMPLEMENTED, UNKNOWN, RESOURCE_EXHAUSTED } = Code;
const PROVISIONING = [OK, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED, UNIMPLEMENTED];

/**
 * HANDLER_CODES are the answers each method may give to a request that decodes and passes the
 * rules: what its implementation in src/server/routes.ts and src/connector can legitimately say.
 * Anything else (INTERNAL, UNAVAILABLE from a healthy upstream, CANCELED nobody asked for…) is a
 * finding. UNKNOWN is allowed only for the documented "ticketing is not enabled".
 */
export const HANDLER_CODES: Record<string, readonly number[]> = {
  "ConnectorService/GetMetadata": [OK],
  "ConnectorService/Validate": [OK],
  "ConnectorService/Cleanup": [OK, INVALID_ARGUMENT],
  "ResourceTypesService/ListResourceTypes": [OK, INVALID_ARGUMENT],
  "ResourcesService/ListResources": [OK, INVALID_ARGUMENT],
  "ResourceGetterService/GetResource": [OK, INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED],
  "EntitlementsService/ListEntitlements": [OK, INVALID_ARGUMENT, NOT_FOUND],
  "EntitlementsService/ListStaticEntitlements": [OK, INVALID_ARGUMENT],
  "GrantsService/ListGrants": [OK, INVALID_ARGUMENT, NOT_FOUND],
  "GrantManagerService/Grant": PROVISIONING,
  "GrantManagerService/Revoke": PROVISIONING,
  "ResourceManagerService/CreateResource": [INVALID_ARGUMENT, UNIMPLEMENTED],
  "ResourceManagerService/DeleteResource": PROVISIONING,
  "ResourceDeleterService/DeleteResourceV2": PROVISIONING,
  "AccountManagerService/CreateAccount": PROVISIONING,
  "CredentialManagerService/RotateCredential": [INVALID_ARGUMENT, UNIMPLEMENTED],
  "CredentialManagerService/IssueCredential": [INVALID_ARGUMENT, UNIMPLEMENTED],
  "EventService/ListEvents": [OK, INVALID_ARGUMENT, NOT_FOUND],
  "EventService/ListEventFeeds": [OK, INVALID_ARGUMENT],
  "ActionService/InvokeAction": [INVALID_ARGUMENT, NOT_FOUND],
  "ActionService/GetActionStatus": [INVALID_ARGUMENT, NOT_FOUND],
  "ActionService/GetActionSchema": [INVALID_ARGUMENT, NOT_FOUND],
  "ActionService/ListActionSchemas": [OK, INVALID_ARGUMENT],
  "AssetService/GetAsset": [OK, INVALID_ARGUMENT],
  "TicketsService/CreateTicket": [INVALID_ARGUMENT, UNKNOWN],
  "TicketsService/GetTicket": [INVALID_ARGUMENT, UNKNOWN],
  "TicketsService/ListTicketSchemas": [INVALID_ARGUMENT, UNKNOWN],
  "TicketsService/GetTicketSchema": [INVALID_ARGUMENT, UNKNOWN],
  "TicketsService/BulkCreateTickets": [INVALID_ARGUMENT, UNKNOWN],
  "TicketsService/BulkGetTickets": [INVALID_ARGUMENT, UNKNOWN],
  "RateLimiterService/Do": [OK, INVALID_ARGUMENT],
  "RateLimiterService/Report": [OK, INVALID_ARGUMENT],
  "Health/Check": [OK, NOT_FOUND],
  "Health/List": [OK],
  // Watch of a known service streams until the deadline the fuzz sets (see withDeadline).
  "Health/Watch": [OK, DEADLINE_EXCEEDED],
  "ServerReflection/ServerReflectionInfo": [OK],
};

/**
 * MAX_STATUS_MESSAGE_BYTES bounds a grpc-message header as sent (percent-encoded): room for the
 * longest ids the protocol allows (1 KiB, tripled by percent-encoding, twice over), not for an
 * echo of a request's unbounded field.
 */
export const MAX_STATUS_MESSAGE_BYTES = 16 * 1024;

/** TICKETING_OFF is the one UNKNOWN the protocol documents (the Go SDK's answer). */
export const TICKETING_OFF = "ticketing is not enabled";

/** FUZZ_SERVICES are every service the server registers (src/server/routes.ts). */
export const FUZZ_SERVICES = [...CONNECTOR_SERVICES, Health, ReflectionV1, ReflectionV1alpha];

/**
 * CorpusData is a FuzzCorpus in the form that crosses a worker boundary: messages are plain
 * objects, but descriptors are not, so methods travel as paths and Any types as type URLs.
 */
export interface CorpusData {
  strings: string[];
  anyTypeUrls: string[];
  resources: Resource[];
  entitlements: Entitlement[];
  grants: Grant[];
  tokens: { path: string; request: Record<string, unknown>; token: string; scope: PageScope; foreign?: boolean }[];
  listless: string[];
  emails: string[];
  syncIds: string[];
  protectedIds: string[];
  sealSecret: string;
}

/** corpusFromData rebuilds a FuzzCorpus (descriptors and all) from CorpusData. */
export function corpusFromData(data: CorpusData, methods: readonly FuzzMethod[]): FuzzCorpus {
  const registry = createRegistry(...PROTOCOL_FILES);
  const byPath = new Map(methods.map((m) => [m.path, m.desc]));
  return {
    dict: {
      strings: data.strings,
      anyTypes: data.anyTypeUrls.map((typeUrl) => ({ typeUrl, schema: registry.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1)) })),
    },
    resources: data.resources,
    entitlements: data.entitlements,
    grants: data.grants,
    tokens: data.tokens.map((t) => ({ method: byPath.get(t.path)!, request: t.request, token: t.token, scope: t.scope, foreign: t.foreign })),
    listless: new Set(data.listless),
    emails: data.emails,
    syncIds: data.syncIds,
    protectedIds: data.protectedIds,
    sealSecret: data.sealSecret,
    registry,
  };
}

/** fuzzMethods lists every method of the given services. */
export function fuzzMethods(services: readonly { typeName: string; name: string; methods: readonly DescMethod[] }[]): FuzzMethod[] {
  // Short names, but reflection v1 and v1alpha share theirs: those keep their package.
  const shared = new Set(services.map((s) => s.name).filter((name, i, all) => all.indexOf(name) !== i));
  return services.flatMap((s) => s.methods.map((m) => ({ desc: m, name: `${shared.has(s.name) ? s.typeName : s.name}/${m.name}`, path: `/${s.typeName}/${m.name}` })));
}

/** answersOf lists what a method may answer to a request that breaks no rule (HANDLER_CODES). */
function answersOf(method: FuzzMethod): readonly number[] {
  return HANDLER_CODES[`${method.desc.parent.name}/${method.desc.name}`] ?? [OK, INVALID_ARGUMENT];
}

/** judge compares an answer with what the case expected; it returns the violation, if any. */
export function judge(c: FuzzCase, outcome: { kind: string; code?: number; message?: string; messageBytes?: number; httpStatus?: number; error?: string }): string | undefined {
  const e = c.expect;
  if (outcome.kind === "timeout") return "no answer (hang)";
  if (outcome.kind === "reset") return `no status: ${outcome.error ?? "reset"}`;
  if (outcome.kind === "http") return e.kind === "http" && e.status === outcome.httpStatus ? undefined : `HTTP ${outcome.httpStatus} without gRPC status`;
  // The status message travels as an HTTP/2 header: an echo of megabytes of input breaks the
  // client (grpc-js refuses metadata over 8 KiB; larger header blocks fail the connection).
  if ((outcome.messageBytes ?? 0) > MAX_STATUS_MESSAGE_BYTES) return `status message of ${outcome.messageBytes} bytes`;
  const code = outcome.code!;
  if (e.kind === "http") return `expected HTTP ${e.status}, got ${Code[code]}`;
  if (code === Code.INTERNAL) return "INTERNAL";
  if (code === UNKNOWN && outcome.message !== TICKETING_OFF) return "UNKNOWN";
  if (e.kind === "codes") {
    if (!e.codes.includes(code)) return `expected ${e.codes.map((x) => Code[x]).join("|")} (${e.why})`;
    if (e.prefix && code === INVALID_ARGUMENT && !outcome.message?.startsWith(e.prefix)) return `expected a validator message "${e.prefix}…" (${e.why})`;
    return undefined;
  }
  if (!answersOf(c.method).includes(code)) return `${Code[code]} is not an answer of ${c.method.name}`;
  if (code === UNKNOWN && c.method.desc.parent.name !== "TicketsService") return "UNKNOWN";
  return undefined;
}

/**
 * expectFor works out what a gRPC binary body must get, by decoding it the way the server does:
 * over the size limit → RESOURCE_EXHAUSTED; undecodable → INVALID_ARGUMENT; decodable but
 * breaking a rule → INVALID_ARGUMENT from the validator; otherwise the method's own answers.
 */
export function expectFor(method: FuzzMethod, payload: Uint8Array, encodedFrom?: MessageShape<DescMessage>): Expect {
  if (payload.length > MAX_MESSAGE_BYTES) return { kind: "codes", codes: [RESOURCE_EXHAUSTED], why: "message over 4 MiB" };
  // A payload we encoded from a message decodes back to that message: no need to decode it.
  let decoded: MessageShape<DescMessage>;
  try {
    decoded = encodedFrom ?? fromBinary(method.desc.input, payload);
  } catch (err) {
    return { kind: "codes", codes: [INVALID_ARGUMENT], why: `undecodable: ${err instanceof Error ? err.message.slice(0, 80) : "?"}` };
  }
  const violation = ruleViolation(method.desc.input, decoded as unknown as Record<string, unknown>);
  if (violation) return { kind: "codes", codes: [INVALID_ARGUMENT], prefix: `invalid ${method.desc.input.name}: `, why: `breaks ${violation}` };
  return { kind: "handler", why: "decodes, no rule broken" };
}

/** grpcCase frames a payload as one gRPC message and works out the expectation. */
function grpcCase(method: FuzzMethod, klass: InputClass, payload: Uint8Array, encodedFrom?: MessageShape<DescMessage>): FuzzCase {
  return { method, klass, request: { path: method.path, body: frame(payload) }, expect: expectFor(method, payload, encodedFrom) };
}

/** encode turns an init object into bytes, falling back to an empty message. */
function encode(method: FuzzMethod, init: Record<string, unknown>): Uint8Array {
  return encodeMessage(method, init).payload;
}

/** encodeMessage is encode, also returning the message the bytes encode (when there is one). */
function encodeMessage(method: FuzzMethod, init: Record<string, unknown>): { payload: Uint8Array; message?: MessageShape<DescMessage> } {
  try {
    const message = create(method.desc.input, init as never);
    return { payload: toBinary(method.desc.input, message), message };
  } catch {
    return { payload: new Uint8Array() }; // protobuf-es refused a value (out of range…)
  }
}

/** CaseFactory makes the i-th case of a class for a method. */
export interface CaseFactory {
  make(klass: InputClass, method: FuzzMethod, prng: Prng): FuzzCase;
  /** Methods a class applies to (token and unknown-type need list or typed methods). */
  methodsFor(klass: InputClass): readonly FuzzMethod[];
}

/** createCaseFactory builds requests of every class from a corpus of real account data. */
export function createCaseFactory(methods: readonly FuzzMethod[], corpus: FuzzCorpus): CaseFactory {
  const byDesc = new Map(methods.map((m) => [m.desc, m]));
  const method = (d: DescMethod) => byDesc.get(d)!;
  const dict = corpus.dict;
  const principals = corpus.resources.filter((r) => ["user", "service-account", "group"].includes(r.id!.resourceType));
  const typed = [
    ResourcesService.method.listResources,
    EntitlementsService.method.listStaticEntitlements,
    ResourceGetterService.method.getResource,
    EntitlementsService.method.listEntitlements,
    GrantsService.method.listGrants,
    GrantManagerService.method.grant,
    GrantManagerService.method.revoke,
    ResourceManagerService.method.deleteResource,
    ResourceDeleterService.method.deleteResourceV2,
    AccountManagerService.method.createAccount,
  ].map(method);
  const structPaths = new Map(methods.map((m) => [m, fieldPathsTo(m.desc.input, "google.protobuf.Struct")]));
  const limited = new Map(methods.map((m) => [m, limitedStringFields(m.desc.input)]));

  // Sync ids come mostly from a small set: each new one makes the connector read the whole
  // account into a fresh snapshot, which is the point of a sync but slow in bulk.
  const syncId = (prng: Prng) => (prng.chance(0.95) ? prng.pick(corpus.syncIds) : fuzzString(prng, dict));
  const overrides = { active_sync_id: syncId };
  const pageSize = (prng: Prng) => prng.pick([0, 0, 1, 50, 250, 251, 1000]);
  // Templates share the corpus's objects: makers that change nested fields clone first.
  const someResource = (prng: Prng) => prng.pick(corpus.resources);
  const resourceTypes = [...new Set(corpus.resources.map((r) => r.id!.resourceType))];
  const someEmail = (prng: Prng) => prng.pick(corpus.emails);

  /**
   * template builds a request a real client would send (real ids, real entitlements and grants,
   * real sync ids), so that requests pass the rules and reach the resource types, the simulator
   * and the provisioning paths; tweak then perturbs it now and then.
   */
  function template(m: FuzzMethod, prng: Prng): Record<string, unknown> {
    const d = m.desc;
    const resource = someResource(prng);
    switch (d) {
      case ResourcesService.method.listResources:
        return {
          resourceTypeId: prng.chance(0.9) ? prng.pick(resourceTypes) : fuzzString(prng, dict),
          parentResourceId: prng.chance(0.2) ? resource.id : undefined,
          pageSize: pageSize(prng),
          activeSyncId: syncId(prng),
        };
      case ResourceGetterService.method.getResource:
        return { resourceId: prng.chance(0.8) ? resource.id : { resourceType: resource.id!.resourceType, resource: fuzzString(prng, dict) }, activeSyncId: syncId(prng) };
      case EntitlementsService.method.listEntitlements:
      case GrantsService.method.listGrants:
        return { resource, pageSize: pageSize(prng), activeSyncId: syncId(prng) };
      case EntitlementsService.method.listStaticEntitlements:
        return { resourceTypeId: resource.id!.resourceType, activeSyncId: syncId(prng) };
      case GrantManagerService.method.grant: {
        return { entitlement: prng.pick(corpus.entitlements), principal: prng.pick(principals) };
      }
      case GrantManagerService.method.revoke: {
        if (prng.chance(0.7)) return { grant: prng.pick(corpus.grants) };
        const entitlement = prng.pick(corpus.entitlements);
        const principal = prng.pick(principals);
        return { grant: { id: `${entitlement.id}:${principal.id!.resourceType}:${principal.id!.resource}`, entitlement, principal } };
      }
      case ResourceManagerService.method.deleteResource:
      case ResourceDeleterService.method.deleteResourceV2:
        return { resourceId: resource.id };
      case AccountManagerService.method.createAccount: {
        const address = someEmail(prng);
        const r = prng.int(4);
        const accountInfo =
          r === 0
            ? { emails: [{ address, isPrimary: true }] }
            : r === 1
              ? { login: prng.chance(0.7) ? address : fuzzString(prng, dict) }
              : r === 2
                ? { profile: { email: prng.chance(0.7) ? address : fuzzString(prng, dict) } }
                : { emails: [{ address, isPrimary: false }, { address: someEmail(prng), isPrimary: prng.chance(0.5) }] };
        return { accountInfo, resourceTypeId: prng.pick(["", "", "user", "group", "service-account"]) };
      }
      default:
        return randomInit(prng, d.input, dict, { maxDepth: 3, overrides });
    }
  }

  /** tweak perturbs one top-level field of a template with a random value of its type. */
  function tweak(m: FuzzMethod, init: Record<string, unknown>, prng: Prng): Record<string, unknown> {
    if (!prng.chance(0.3)) return init;
    const random = randomInit(prng, m.desc.input, dict, { maxDepth: 3, fieldChance: 0.3, overrides });
    const keys = Object.keys(random);
    if (keys.length === 0) return init;
    const key = prng.pick(keys);
    return { ...init, [key]: random[key] };
  }

  /** protect swaps a request touching the connector's own identity for a harmless one. */
  function guard(m: FuzzMethod, payload: Uint8Array): Uint8Array {
    const writes = [GrantManagerService.method.grant, GrantManagerService.method.revoke, ResourceManagerService.method.deleteResource, ResourceDeleterService.method.deleteResourceV2];
    if (!writes.includes(m.desc as never)) return payload;
    const text = Buffer.from(payload).toString("latin1");
    return corpus.protectedIds.some((id) => text.includes(id)) ? new Uint8Array() : payload;
  }

  /** guardedCase encodes a message as a request, unless it touches the connector's own identity. */
  function guardedCase(m: FuzzMethod, klass: InputClass, init: Record<string, unknown>): FuzzCase {
    const { payload, message } = encodeMessage(m, init);
    const guarded = guard(m, payload);
    return grpcCase(m, klass, guarded, guarded === payload ? message : undefined);
  }

  const makers: Record<InputClass, (m: FuzzMethod, prng: Prng) => FuzzCase> = {
    bytes(m, prng) {
      const payload = prng.chance(0.5) ? junkBytes(prng) : mutateBytes(prng, guard(m, encode(m, tweak(m, template(m, prng), prng))));
      return grpcCase(m, "bytes", guard(m, payload));
    },
    random(m, prng) {
      return guardedCase(m, "random", randomInit(prng, m.desc.input, dict, { maxDepth: prng.between(1, 6), overrides }));
    },
    template(m, prng) {
      return guardedCase(m, "template", tweak(m, template(m, prng), prng));
    },
    oversized(m, prng) {
      const r = prng.next();
      const fields = limited.get(m)!;
      if (r < 0.6 && fields.length > 0) {
        // One limited string just past (or exactly at) its limit; the rest a normal request.
        // Fields limited to a megabyte (page tokens) cost milliseconds each: one draw in twenty.
        const small = fields.filter((f) => f.maxBytes < 65_536);
        const field = prng.pick(small.length > 0 && prng.chance(0.95) ? small : fields);
        const init = structuredClone(template(m, prng));
        const over = prng.chance(0.85);
        const unit = prng.pick(["x", "é", "😀"]);
        const size = over ? field.maxBytes + prng.pick([1, 2, 3, 4, 1000]) : field.maxBytes;
        setPath(init, field.path, long(size, unit));
        return grpcCase(m, "oversized", guard(m, encode(m, init)));
      }
      if (r < 0.75) {
        // A repeated field with very many items: one item encoded once and repeated, which is
        // what the wire format of a repeated field is (cheap to build, however many).
        const base = encode(m, template(m, prng));
        const lists = m.desc.input.fields.filter((f) => f.fieldKind === "list");
        if (lists.length === 0) return grpcCase(m, "oversized", guard(m, base));
        const f = prng.pick(lists);
        const item =
          f.fieldKind === "list" && f.listKind === "message"
            ? create(f.message, randomInit(prng, f.message, dict, { maxDepth: 1, fieldChance: 0.3, overrides, short: true }) as never)
            : f.fieldKind === "list" && f.listKind === "enum"
              ? prng.pick(f.enum.values).number
              : f.fieldKind === "list" && f.listKind === "scalar" && f.scalar === ScalarType.STRING
                ? prng.pick(dict.strings).slice(0, 64)
                : 0;
        const once = encode(m, { [f.localName]: [item] });
        // Mostly a few hundred kilobytes (the many items are the point), now and then up to or
        // past the 4 MiB limit.
        const budget = prng.chance(0.9) ? 256 * 1024 : prng.chance(0.8) ? MAX_MESSAGE_BYTES - base.length : MAX_MESSAGE_BYTES * 1.2;
        const room = Math.floor(budget / Math.max(1, once.length));
        const n = Math.min(room, prng.chance(0.9) ? 1000 : prng.chance(0.9) ? 10_000 : 100_000);
        const payload = guard(m, Buffer.concat([base, once.length > 0 ? Buffer.alloc(once.length * n, once) : once]));
        // What the server decodes is the base request with n more items: build that message
        // instead of decoding megabytes a second time.
        const decoded = fromBinary(m.desc.input, base) as unknown as Record<string, unknown>;
        const oneItem = (fromBinary(m.desc.input, once) as unknown as Record<string, unknown[]>)[f.localName]!;
        if (oneItem.length === 1) decoded[f.localName] = [...(decoded[f.localName] as unknown[]), ...new Array<unknown>(n).fill(oneItem[0])];
        return grpcCase(m, "oversized", payload, oneItem.length === 1 && payload.length > 0 ? (decoded as never) : undefined);
      }
      if (r < 0.97) {
        // A header declaring more than 4 MiB, with only a little of it sent.
        return { method: m, klass: "oversized", request: { path: m.path, body: frame(randomBytes(prng, 64), { declaredLength: MAX_MESSAGE_BYTES + prng.between(1, 100_000_000) }) }, expect: { kind: "codes", codes: [RESOURCE_EXHAUSTED], why: "declared length over 4 MiB" } };
      }
      // A whole message over 4 MiB (rare: they are slow).
      const strings = m.desc.input.fields.filter((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING && !f.oneof);
      const init = template(m, prng);
      if (strings.length > 0) init[prng.pick(strings).localName] = long(MAX_MESSAGE_BYTES + prng.between(1, 512 * 1024));
      const payload = encode(m, init);
      if (payload.length > MAX_MESSAGE_BYTES) return grpcCase(m, "oversized", payload);
      // No string field at top level: pad with an unknown field instead.
      return grpcCase(m, "oversized", Buffer.concat([payload, wrapPath(Buffer.alloc(MAX_MESSAGE_BYTES), [9999])]));
    },
    deep(m, prng) {
      const levels = prng.chance(0.98) ? prng.pick([50, 99, 100, 101, 200, 1000, 10_000]) : 100_000;
      const base = guard(m, encode(m, template(m, prng)));
      const paths = structPaths.get(m)!;
      const r = prng.next();
      let extra: Uint8Array;
      if (paths.length > 0 && r < 0.5) extra = wrapPath(deepStruct(levels, prng.chance(0.5)), prng.pick(paths));
      else if (r < 0.65) extra = nestGroups(levels, prng.between(100, 200), prng.chance(0.8));
      else if (r < 0.85) extra = nestLengthDelimited(new Uint8Array(), levels, [prng.pick([1000, 1999, 536_870_911])]); // unknown field, nested
      else {
        // Known fields nested into each other: field 1 and 2 (ids, resources, parents…), any type.
        extra = nestLengthDelimited(Buffer.from("x"), levels, prng.pick([[1], [2], [1, 2], [2, 1], [9]]));
      }
      return grpcCase(m, "deep", guard(m, Buffer.concat([base, extra])));
    },
    token(_m, prng) {
      return tokenCase(prng);
    },
    "unknown-type"(m, prng) {
      const init = structuredClone(template(m, prng));
      const unknown = prng.pick(["repository", "User", "users", " user", "user ", "namespace\u0000", "*", "api_key", "../user", long(300), "ACCOUNT-ROLE", "grоup" /* Cyrillic о */]);
      const d = m.desc;
      if (d === ResourcesService.method.listResources || d === EntitlementsService.method.listStaticEntitlements || d === AccountManagerService.method.createAccount) init.resourceTypeId = unknown;
      else if (d === ResourceGetterService.method.getResource || d === ResourceManagerService.method.deleteResource || d === ResourceDeleterService.method.deleteResourceV2) init.resourceId = { resourceType: unknown, resource: prng.pick(corpus.resources).id!.resource };
      else if (d === EntitlementsService.method.listEntitlements || d === GrantsService.method.listGrants) (init.resource as Resource).id!.resourceType = unknown;
      else if (d === GrantManagerService.method.grant) (init.entitlement as Entitlement).resource!.id!.resourceType = unknown;
      else if (d === GrantManagerService.method.revoke) (init.grant as Grant).entitlement!.resource!.id!.resourceType = unknown;
      const payload = guard(m, encode(m, init));
      const e = expectFor(m, payload);
      return { method: m, klass: "unknown-type", request: { path: m.path, body: frame(payload) }, expect: e.kind === "handler" ? { kind: "codes", codes: [INVALID_ARGUMENT], why: `unknown resource type "${unknown.slice(0, 20)}"` } : e };
    },
    framing(m, prng) {
      return framingCase(m, prng);
    },
  };

  /** tokenCase replays, tampers with, transplants or forges page tokens. */
  const sealer = createTokenSealer({ secret: () => corpus.sealSecret });
  function tokenCase(prng: Prng): FuzzCase {
    const harvested = prng.pick(corpus.tokens);
    const target = method(harvested.method);
    const r = prng.next();
    // A per-resource list of a type without entitlements or grants answers an empty page at once,
    // without reading the token; every other list checks the token's scope first.
    const tokenUnread = (req: Record<string, unknown>, d: DescMethod) =>
      (d === EntitlementsService.method.listEntitlements || d === GrantsService.method.listGrants) &&
      !typeScopedRequest(req) &&
      corpus.listless.has((req.resource as Resource | undefined)?.id?.resourceType ?? "");
    const refused = (why: string, req: Record<string, unknown>, d: DescMethod): Expect => ({ kind: "codes", codes: tokenUnread(req, d) ? [OK, INVALID_ARGUMENT] : [INVALID_ARGUMENT], why });
    /** scoped expects acceptance when the token belongs to the request's list, refusal otherwise. */
    const scoped = (d: DescMethod, req: Record<string, unknown>, scope: PageScope, why: string): Expect =>
      sameScope(scopeOf(d, req), scope) ? { kind: "handler", why: `${why} (same list)` } : refused(why, req, d);
    const build = (mm: FuzzMethod, init: Record<string, unknown>, expect: Expect): FuzzCase => {
      const payload = encode(mm, init);
      const e = expectFor(mm, payload);
      return { method: mm, klass: "token", request: { path: mm.path, body: frame(payload) }, expect: e.kind === "handler" ? expect : e };
    };
    if (harvested.foreign) {
      // Another connector's token (another key, another account), on the list it came from: never opened.
      return build(target, { ...harvested.request, pageToken: harvested.token }, refused("token sealed by another connector", harvested.request, harvested.method));
    }
    if (r < 0.2) {
      // The genuine token on its own list: it must be accepted.
      return build(target, { ...harvested.request, pageToken: harvested.token }, { kind: "handler", why: "genuine token" });
    }
    if (r < 0.5) {
      const tampered = tamper(prng, harvested.token);
      if (tampered === "" || corpus.tokens.some((t) => t.token === tampered)) return build(target, { ...harvested.request, pageToken: tampered }, { kind: "handler", why: "tampering left a valid token" });
      return build(target, { ...harvested.request, pageToken: tampered }, refused("tampered token", harvested.request, harvested.method));
    }
    if (r < 0.75) {
      // Another list's token: another method, type, resource or parent.
      const other = prng.pick(corpus.tokens);
      if (prng.chance(0.5) && other.method !== ResourceTypesService.method.listResourceTypes) {
        return build(method(other.method), { ...other.request, pageToken: harvested.token }, scoped(other.method, other.request, harvested.scope, "token of another list"));
      }
      // The same token on the same method, for another resource of the corpus.
      const req = structuredClone(harvested.request);
      retarget(req, prng);
      return build(target, { ...req, pageToken: harvested.token }, scoped(harvested.method, req, harvested.scope, "token of another resource"));
    }
    if (r < 0.85) {
      // Forged as anyone could: the checksum tokens carried before they were sealed, around a cursor of any shape.
      const payload = Buffer.from(JSON.stringify({ v: prng.pick([1, 2]), s: [harvested.scope.op, harvested.scope.resourceType, harvested.scope.resource ?? ""].join("\u0000"), c: { c: randomCursor(prng) } })).toString("base64url");
      const sum = createHash("sha256").update("temporalcloud-connector/page-token\n").update(payload).digest("base64url").slice(0, prng.pick([16, SEAL_CHARS]));
      return build(target, { ...harvested.request, pageToken: `${payload}.${sum}` }, refused("forged token with a checksum, not a seal", harvested.request, harvested.method));
    }
    if (r < 0.98) {
      // Forged by someone who holds the key: sealed around a cursor of any shape, for the right
      // list or not. Only the bounds checked when a token is used stand in its way.
      const cursor = randomCursor(prng);
      const scope: PageScope = prng.chance(0.6)
        ? harvested.scope
        : {
            resourceType: harvested.scope.resourceType,
            // Now and then a scope as long as a token allows: the refusal names the scope it saw.
            resource: prng.chance(0.5) ? (prng.chance(0.1) ? long(prng.between(10_000, 600_000)) : fuzzString(prng, dict).slice(0, 100)) : undefined,
            op: prng.pick(["resources", "entitlements", "grants", "type-entitlements", "type-grants"]),
          };
      const token = encodePageToken(sealer, scope, prng.chance(0.5) ? { c: cursor } : { c: cursor, s: prng.pick([1, 2, 999, 2 ** 53, -1, 0, 1.5]) });
      return build(target, { ...harvested.request, pageToken: token }, scoped(harvested.method, harvested.request, scope, "forged token"));
    }
    // Beyond the 1 MiB page-token limit.
    const over = harvested.token + long(1_048_576 - harvested.token.length + prng.between(1, 100));
    return build(target, { ...harvested.request, pageToken: over }, { kind: "codes", codes: [INVALID_ARGUMENT], prefix: `invalid ${target.desc.input.name}: `, why: "page token over 1 MiB" });
  }

  /** retarget points a list request at another resource (or parent) of the corpus. */
  function retarget(req: Record<string, unknown>, prng: Prng): boolean {
    const other = prng.pick(corpus.resources);
    if (req.resource) {
      const before = JSON.stringify((req.resource as Resource).id);
      req.resource = structuredClone(other);
      return JSON.stringify(other.id) !== before;
    }
    if (req.resourceTypeId !== undefined) {
      const before = `${String(req.resourceTypeId)}|${JSON.stringify(req.parentResourceId)}`;
      if (prng.chance(0.5)) req.resourceTypeId = other.id!.resourceType;
      else req.parentResourceId = other.id;
      return `${String(req.resourceTypeId)}|${JSON.stringify(req.parentResourceId)}` !== before;
    }
    return false;
  }

  function randomCursor(prng: Prng): Cursor {
    switch (prng.int(8)) {
      case 0:
        return fuzzString(prng, dict).slice(0, 2000);
      case 1:
        return prng.pick([0, -1, 1e308, 2 ** 53, 1.5]);
      case 2:
        return { phase: prng.pick([0, 1, 2, 3, 4, -1, 0.5, 1e9]), token: prng.chance(0.5) ? "" : fuzzString(prng, dict).slice(0, 200) };
      case 3:
        return prng.chance(0.5) ? null : true;
      case 4:
        return Array.from({ length: prng.between(0, 5) }, () => fuzzString(prng, dict).slice(0, 50));
      case 5: {
        // Deeply nested arrays: JSON that takes recursion to read back.
        let c: Cursor = "x";
        for (let i = 0, n = prng.pick([10, 500, 2000]); i < n; i++) c = [c];
        return c;
      }
      case 6:
        return { c: "x", s: 1, __proto__: { polluted: true } } as unknown as Cursor;
      default:
        return prng.pick(corpus.tokens).token; // a token inside a token
    }
  }

  /** framingCase: wrong content types, compression flags and lengths that do not match. */
  function framingCase(m: FuzzMethod, prng: Prng): FuzzCase {
    const payload = guard(m, encode(m, tweak(m, template(m, prng), prng)));
    const valid = expectFor(m, payload);
    const streaming = m.desc.methodKind !== "unary";
    const fc = (request: Omit<FuzzRequest, "path">, expect: Expect): FuzzCase => ({ method: m, klass: "framing", request: { path: m.path, ...request }, expect });
    const codes = (why: string, ...list: number[]): Expect => ({ kind: "codes", codes: list, why });
    // The Connect and gRPC-web protocols are not served: only gRPC is.
    const otherProtocol = (body: Uint8Array, contentType: string): FuzzCase =>
      fc({ body, contentType }, { kind: "http", status: 415, why: `${contentType} is not gRPC` });
    // A framed body of junk: its first five bytes are read as a frame header, so the declared
    // length may exceed the limit, promise more than follows, or frame nothing at all.
    const framedJunk = (why: string): Expect => codes(why, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNIMPLEMENTED, ...(streaming ? [OK] : []));
    /** plus widens an expectation to more codes (and drops its validator message: another error may come first). */
    const plus = (e: Expect, ...more: number[]): Expect =>
      e.kind === "codes" ? codes(e.why, ...e.codes, ...more) : codes(e.why, ...answersOf(m), ...more);
    switch (prng.int(15)) {
      case 0:
        return fc({ body: frame(payload), contentType: prng.pick(["text/plain", "application/xml", "application/grpc+xml", "multipart/form-data", "application/octet-stream"]) }, { kind: "http", status: 415, why: "content type nobody serves" });
      case 1: {
        const junk = randomBytes(prng, skewedSmall(prng));
        return prng.chance(0.5) ? otherProtocol(junk, "application/json") : fc({ body: junk, contentType: "application/grpc+json" }, framedJunk("gRPC-JSON junk"));
      }
      case 2: {
        // Valid JSON of a well-formed message: the JSON codec reaches the same handlers.
        const json = jsonOf(m, payload);
        const same: Expect = valid.kind === "codes" && valid.codes.includes(RESOURCE_EXHAUSTED) ? valid : { kind: "handler", why: "valid JSON" };
        if (json === undefined) return fc({ body: frame(Buffer.from("{")), contentType: "application/grpc+json" }, codes("truncated JSON", INVALID_ARGUMENT));
        return prng.chance(0.5) ? fc({ body: frame(Buffer.from(json)), contentType: "application/grpc+json" }, same) : otherProtocol(Buffer.from(json), "application/json");
      }
      case 3: {
        const junk = prng.chance(0.5) ? randomBytes(prng, skewedSmall(prng)) : junkBytes(prng);
        // Connect unary binary: the body is the message itself.
        if (prng.chance(0.5)) return otherProtocol(junk, "application/proto");
        return otherProtocol(junk, prng.pick(["application/grpc-web+proto", "application/grpc-web"]));
      }
      case 4:
        // Compressed flag without grpc-encoding: the body cannot be read.
        return fc({ body: frame(payload, { flags: 1 }) }, codes("compressed flag without grpc-encoding", INVALID_ARGUMENT));
      case 5:
        // gzip, correctly compressed: like the plain message.
        return fc({ body: frame(gzipSync(payload), { flags: 1 }), headers: { "grpc-encoding": "gzip" } }, valid);
      case 6: {
        // gzip announced, the bytes are not gzip (or a cut gzip stream).
        const gz = gzipSync(payload.length > 0 ? payload : Buffer.from("x"));
        const body = prng.chance(0.5) ? randomBytes(prng, prng.between(1, 200)) : gz.subarray(0, prng.between(1, gz.length - 1));
        return fc({ body: frame(body, { flags: 1 }), headers: { "grpc-encoding": "gzip" } }, codes("gzip flag, not gzip", INVALID_ARGUMENT));
      }
      case 7:
        // Encodings the server does not have (it has gzip and br).
        return fc({ body: frame(payload, { flags: 1 }), headers: { "grpc-encoding": prng.pick(["snappy", "zstd", "deflate", "x-unknown"]) } }, codes("unsupported grpc-encoding", UNIMPLEMENTED));
      case 8: {
        // A length prefix promising more than the body holds (under the size limit).
        const body = payload.length > 0 ? payload : Buffer.from([0]);
        return fc({ body: frame(body, { declaredLength: body.length + prng.between(1, 10_000) }) }, codes("length prefix longer than the body", INVALID_ARGUMENT));
      }
      case 9: {
        const r = prng.int(3);
        if (r === 0) return fc({ body: frame(payload).subarray(0, prng.between(1, 4)) }, codes("incomplete frame header", INVALID_ARGUMENT));
        if (r === 1) return fc({ body: new Uint8Array() }, missingMessage(m));
        // A frame header and nothing after it: connect-es drops such a dangling header, so this
        // reads as no message at all.
        return fc({ body: frame(new Uint8Array(), { declaredLength: prng.between(1, 10_000) }) }, plus(missingMessage(m), INVALID_ARGUMENT));
      }
      case 10: {
        // Two (or more) messages for a method that takes one.
        const body = Buffer.concat(new Array(prng.between(2, 4)).fill(frame(payload)));
        if (m.desc.methodKind === "bidi_streaming") return fc({ body }, valid);
        if (valid.kind === "codes" && valid.codes.includes(RESOURCE_EXHAUSTED)) return fc({ body }, valid);
        return fc({ body }, codes("extra messages for a single-message method", INVALID_ARGUMENT, UNIMPLEMENTED));
      }
      case 11: {
        // Trailing junk after a complete frame: never a whole second header.
        const body = Buffer.concat([frame(payload), randomBytes(prng, prng.between(1, 4))]);
        if (valid.kind === "codes" && valid.codes.includes(RESOURCE_EXHAUSTED)) return fc({ body }, valid);
        return fc({ body }, m.desc.methodKind === "bidi_streaming" ? plus(valid, INVALID_ARGUMENT) : codes("incomplete trailing frame", INVALID_ARGUMENT));
      }
      case 12:
        return fc({ body: frame(payload), headers: { "grpc-timeout": prng.pick(["abc", "-1S", "1X", "999999999H", "1.5S"]) } }, codes("malformed grpc-timeout", INVALID_ARGUMENT));
      case 13:
        // Unused flag bits: gRPC defines only bit 0.
        return fc({ body: frame(payload, { flags: prng.pick([0x02, 0x80, 0xfe]) }) }, plus(valid, INVALID_ARGUMENT));
      default:
        // Connect and gRPC-web framings of the well-formed message.
        if (prng.chance(0.5)) return otherProtocol(payload, "application/proto");
        return otherProtocol(frame(payload), "application/grpc-web+proto");
    }
  }

  function missingMessage(m: FuzzMethod): Expect {
    if (m.desc.methodKind === "bidi_streaming" || m.desc.methodKind === "client_streaming") return { kind: "handler", why: "a stream may be empty" };
    return { kind: "codes", codes: [INVALID_ARGUMENT, UNIMPLEMENTED], why: "no message for a single-message method" };
  }

  function jsonOf(m: FuzzMethod, payload: Uint8Array): string | undefined {
    try {
      return toJsonString(m.desc.input, fromBinary(m.desc.input, payload), { registry: corpus.registry });
    } catch {
      return undefined;
    }
  }

  const tokenMethods = [...new Set(corpus.tokens.map((t) => method(t.method)))];
  /**
   * withDeadline gives Health/Watch calls a short grpc-timeout: a watch of a known service
   * streams until the client leaves, and leaving by RST_STREAM thousands of times would trip
   * node's rapid-reset protection, which closes the whole connection.
   */
  function withDeadline(c: FuzzCase): FuzzCase {
    if (c.method.desc !== Health.method.watch || c.request.headers?.["grpc-timeout"] !== undefined) return c;
    return { ...c, request: { ...c.request, headers: { ...c.request.headers, "grpc-timeout": "20m" } } };
  }

  return {
    make: (klass, m, prng) => withDeadline(makers[klass](m, prng)),
    methodsFor: (klass) => (klass === "token" ? tokenMethods : klass === "unknown-type" ? typed : methods),
  };
}

function skewedSmall(prng: Prng): number {
  return prng.pick([0, 1, 2, 10, 100, 1000]);
}

/** tamper damages a page token: a flipped character, a cut, an extension, a changed checksum. */
function tamper(prng: Prng, token: string): string {
  const i = prng.int(Math.max(1, token.length));
  switch (prng.int(6)) {
    case 0:
      return token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ 1) + token.slice(i + 1);
    case 1:
      return token.slice(0, i);
    case 2:
      return `${token}${prng.pick(["A", "=", ".", "%00", "\u0000"])}`;
    case 3:
      return token.replace(/\.[^.]*$/, `.${"A".repeat(16)}`);
    case 4:
      return token.toUpperCase();
    default:
      return Buffer.from(token).toString("base64url");
  }
}

function setPath(init: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = init;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    at[key] = next && typeof next === "object" ? next : {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
}

/** typeScopedRequest tells a type-level entitlements or grants listing (baton's TypeScoped annotations). */
function typeScopedRequest(request: Record<string, unknown>): "type-entitlements" | "type-grants" | undefined {
  const annotations = (request.annotations as { typeUrl: string }[] | undefined) ?? [];
  if (annotations.some((a) => a.typeUrl.endsWith(`/${TypeScopedEntitlementsSchema.typeName}`))) return "type-entitlements";
  if (annotations.some((a) => a.typeUrl.endsWith(`/${TypeScopedGrantsSchema.typeName}`))) return "type-grants";
  return undefined;
}

/**
 * scopeOf names the list a request reads, the way the connector scopes its page tokens
 * (src/connector/connector.ts): resources of a type under a parent, entitlements or grants of a
 * resource, or of a whole type when the request carries a TypeScoped annotation.
 */
export function scopeOf(method: DescMethod, request: Record<string, unknown>): PageScope {
  if (method.name === "ListResources") {
    const parent = request.parentResourceId as { resourceType: string; resource: string } | undefined;
    return { op: "resources", resourceType: String(request.resourceTypeId), resource: parent ? `${parent.resourceType}:${parent.resource}` : undefined };
  }
  const resource = request.resource as Resource | undefined;
  const entitlements = method.name === "ListEntitlements";
  const typeScoped = typeScopedRequest(request);
  // The connector checks the annotation that matches the method; the other one is ignored.
  if (typeScoped === (entitlements ? "type-entitlements" : "type-grants")) return { op: typeScoped, resourceType: resource?.id?.resourceType ?? "" };
  return { op: entitlements ? "entitlements" : "grants", resourceType: resource?.id?.resourceType ?? "", resource: resource?.id?.resource };
}

function sameScope(a: PageScope, b: PageScope): boolean {
  return a.op === b.op && a.resourceType === b.resourceType && (a.resource ?? "") === (b.resource ?? "");
}
