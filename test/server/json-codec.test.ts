import { create, toJson, type DescMessage, type DescMethodUnary, type JsonValue, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_REGISTRY } from "../../src/connector/protocol-registry.js";
import { CONNECTOR_SERVICES } from "../../src/server/routes.js";
import { createMemoryStore, runSync, type ConnectorApi, type MemoryStore } from "../../src/sync/syncer.js";
import { startStack, type Stack } from "../helpers/stack.js";

/**
 * The JSON codec (issue 15). gRPC lets a client ask for `application/grpc+json`, and connect-es
 * and grpc-go clients can. List responses used to be encoded ahead and handed to connect-es as a
 * message whose fields read as empty, with the bytes riding as unknown fields: a JSON client got
 * `{}` for ListResources of `user`, no users and no error. Here a connect-es client speaking JSON
 * syncs the demo account and must find exactly what grpc-js, speaking protobuf, finds; and every
 * request the binary sync made, plus an empty request to every unary method, must get the same
 * answer (or the same error) in JSON as in binary.
 */

/** Call is one request the binary sync made, and what it got. */
interface Call {
  method: DescMethodUnary;
  request: MessageInitShape<DescMessage>;
  response: MessageShape<DescMessage>;
}

/** recording passes calls to an API and keeps each request with its response. */
function recording(api: ConnectorApi, calls: Call[]): ConnectorApi {
  return {
    async call(method, request, signal) {
      const response = await api.call(method, request, signal);
      calls.push({ method: method as unknown as DescMethodUnary, request: request as MessageInitShape<DescMessage>, response });
      return response;
    },
  };
}

/** jsonApi makes unary calls with connect-es's gRPC transport, in JSON. */
function jsonApi(transport: Transport): ConnectorApi {
  return {
    async call(method, request, signal) {
      const res = await transport.unary(method, signal, undefined, undefined, request);
      return res.message;
    },
  };
}

/**
 * json renders a message for comparison. Security insights carry the time of the sync that found
 * them (observed_at), which differs between the syncs compared here, and only that is left out.
 */
const json = (desc: DescMessage, message: MessageShape<DescMessage>): JsonValue =>
  JSON.parse(JSON.stringify(toJson(desc, message, { registry: PROTOCOL_REGISTRY }), (key, value: unknown) => (key === "observedAt" ? undefined : value))) as JsonValue;

/** storeJson renders everything a sync stored, in the order it was stored. */
function storeJson(store: MemoryStore): JsonValue {
  const of = (items: readonly MessageShape<DescMessage>[]) => items.map((m) => json(PROTOCOL_REGISTRY.getMessage(m.$typeName)!, m));
  return { types: of(store.resourceTypes), resources: of(store.resources), entitlements: of(store.entitlements), grants: of(store.grants) };
}

/** outcome is a call's answer as JSON, or its status code. */
async function outcome(call: () => Promise<MessageShape<DescMessage>>, output: DescMessage): Promise<JsonValue> {
  try {
    return { ok: json(output, await call()) };
  } catch (err) {
    if (err instanceof ConnectError) return { code: err.code };
    return { code: (err as ServiceError).code };
  }
}

describe("a client speaking the JSON codec (application/grpc+json)", () => {
  let stack: Stack;
  let transport: Transport;
  const calls: Call[] = [];
  let binary: MemoryStore;
  let overJson: MemoryStore;

  beforeAll(async () => {
    stack = await startStack();
    transport = createGrpcTransport({ baseUrl: `http://${stack.address}`, useBinaryFormat: false, jsonOptions: { registry: PROTOCOL_REGISTRY } });
    binary = createMemoryStore();
    await runSync({ api: recording(stack.client, calls), store: binary });
    overJson = createMemoryStore();
    await runSync({ api: jsonApi(transport), store: overJson });
  });
  afterAll(() => stack?.close());

  it("syncs exactly what a binary client syncs: every resource type, resource, entitlement and grant", () => {
    expect(overJson.resources.length).toBe(binary.resources.length);
    expect(overJson.grants.length).toBe(binary.grants.length);
    expect(overJson.resources.filter((r) => r.id?.resourceType === "user").length).toBeGreaterThan(0);
    expect(storeJson(overJson)).toEqual(storeJson(binary));
  });

  it("gets, for every request of the binary sync (every list method and page), the same response in JSON, never an empty one", async () => {
    const methods = new Set(calls.map((c) => `${c.method.parent.typeName}/${c.method.name}`));
    expect([...methods].sort()).toEqual(
      expect.arrayContaining([
        "c1.connector.v2.EntitlementsService/ListEntitlements",
        "c1.connector.v2.GrantsService/ListGrants",
        "c1.connector.v2.ResourceTypesService/ListResourceTypes",
        "c1.connector.v2.ResourcesService/ListResources",
      ]),
    );
    for (const { method, request, response } of calls) {
      const expected = json(method.output, response);
      const answer = await transport.unary(method, undefined, undefined, undefined, request);
      const got = json(method.output, answer.message);
      expect(got, `${method.name} ${JSON.stringify(request)}`).toEqual(expected);
      // A response that is empty in JSON must be empty in binary too (it is, when they are equal).
      if (JSON.stringify(got) === "{}") expect(JSON.stringify(expected)).toBe("{}");
    }
  });

  it("answers every unary method of every service the same in JSON as in binary", async () => {
    let compared = 0;
    for (const service of CONNECTOR_SERVICES) {
      for (const any of service.methods) {
        if (any.methodKind !== "unary") continue;
        const method = any as DescMethodUnary;
        const request = create(method.input);
        const viaBinary = await outcome(() => stack.client.call(method, request), method.output);
        const viaJson = await outcome(async () => (await transport.unary(method, undefined, undefined, undefined, request)).message, method.output);
        expect(viaJson, `${service.typeName}/${method.name}`).toEqual(viaBinary);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(30);
  });
});
