import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, createFileRegistry, fromBinary, type FileRegistry, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerReflection as ServerReflectionV1, type ServerReflectionRequestSchema, type ServerReflectionResponse } from "../../src/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../src/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { CONNECTOR_SERVICES } from "../../src/server/routes.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { bufCurl } from "../helpers/buf-curl.js";
import { createTlsMaterial, type TlsMaterial } from "../helpers/certs.js";
import { openBidiStream, type BidiStream } from "../helpers/grpc-streams.js";
import { startStack, type Stack } from "../helpers/stack.js";

type ReflectionRequest = MessageInitShape<typeof ServerReflectionRequestSchema>;

const VERSIONS = [
  { version: "v1", method: ServerReflectionV1.method.serverReflectionInfo },
  // v1alpha has the same messages in another package; the cast only renames the type.
  { version: "v1alpha", method: ServerReflectionV1alpha.method.serverReflectionInfo as unknown as typeof ServerReflectionV1.method.serverReflectionInfo },
] as const;

/** descriptorsOf decodes a file_descriptor_response and checks that it is self-contained. */
function descriptorsOf(res: ServerReflectionResponse): { names: string[]; registry: FileRegistry } {
  if (res.messageResponse.case !== "fileDescriptorResponse") throw new Error(`expected descriptors, got ${JSON.stringify(res.messageResponse)}`);
  const files = res.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  // createFileRegistry throws unless every import of every file is in the set: a client with no
  // .proto files at all must be able to build the schema from this one answer.
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: files }));
  return { names: files.map((f) => f.name), registry };
}

describe.each(VERSIONS)("gRPC server reflection $version", ({ method }) => {
  let stack: Stack;
  let client: grpc.Client;
  let stream: BidiStream<ReflectionRequest, ServerReflectionResponse>;
  const ask = async (messageRequest: ReflectionRequest["messageRequest"]) => {
    stream.send({ host: "", messageRequest });
    return stream.next();
  };

  beforeAll(async () => {
    stack = await startStack();
    client = new grpc.Client(stack.address, grpc.credentials.createInsecure());
    // One stream for every question, as grpcurl and buf curl use it.
    stream = openBidiStream(client, method);
  });
  afterAll(async () => {
    stream.end();
    expect((await stream.ended).code).toBe(grpc.status.OK);
    client.close();
    await stack.close();
  });

  it("lists every connector service and the health service", async () => {
    const res = await ask({ case: "listServices", value: "" });
    if (res.messageResponse.case !== "listServicesResponse") throw new Error(res.messageResponse.case);
    const names = res.messageResponse.value.service.map((s) => s.name);
    expect(names.sort()).toEqual([...CONNECTOR_SERVICES.map((s) => s.typeName), "grpc.health.v1.Health"].sort());
  });

  it.each([
    // [what, symbol asked for, file expected, the type that declares the symbol]
    ["a service", "c1.connector.v2.ResourcesService", "c1/connector/v2/resource.proto", "c1.connector.v2.ResourcesService"],
    ["a method", "c1.connector.v2.ResourcesService.ListResources", "c1/connector/v2/resource.proto", "c1.connector.v2.ResourcesService"],
    ["a message", "c1.connector.v2.Resource", "c1/connector/v2/resource.proto", "c1.connector.v2.Resource"],
    ["a field", "c1.connector.v2.Resource.display_name", "c1/connector/v2/resource.proto", "c1.connector.v2.Resource"],
    ["an annotation no service imports", "c1.connector.v2.UserTrait", "c1/connector/v2/annotation_trait.proto", "c1.connector.v2.UserTrait"],
    ["the health service", "grpc.health.v1.Health", "grpc/health/v1/health.proto", "grpc.health.v1.Health"],
    ["a rate limiter method", "c1.ratelimit.v1.RateLimiterService.Do", "c1/ratelimit/v1/ratelimit.proto", "c1.ratelimit.v1.RateLimiterService"],
  ])("answers file_containing_symbol for %s (%s) with its file and every import", async (_what, symbol, file, declaredBy) => {
    const { names, registry } = descriptorsOf(await ask({ case: "fileContainingSymbol", value: symbol }));
    expect(names).toContain(file);
    expect(registry.get(declaredBy)?.file.proto.name).toBe(file);
  });

  it("answers file_by_filename with the file and its imports", async () => {
    const { names, registry } = descriptorsOf(await ask({ case: "fileByFilename", value: "c1/connector/v2/grant.proto" }));
    expect(names).toContain("c1/connector/v2/grant.proto");
    expect(names).toContain("google/protobuf/any.proto");
    expect(registry.getService("c1.connector.v2.GrantsService")?.methods.map((m) => [m.name, m.input.typeName, m.output.typeName])).toEqual([
      ["ListGrants", "c1.connector.v2.GrantsServiceListGrantsRequest", "c1.connector.v2.GrantsServiceListGrantsResponse"],
    ]);
  });

  it("finds the validate.rules extension by containing type and number", async () => {
    const { names } = descriptorsOf(await ask({ case: "fileContainingExtension", value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 1071 } }));
    expect(names).toContain("validate/validate.proto");
    const res = await ask({ case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" });
    expect(res.messageResponse).toMatchObject({ case: "allExtensionNumbersResponse", value: { baseTypeName: "google.protobuf.FieldOptions", extensionNumber: [1071] } });
  });

  it.each([
    ["an unknown symbol", { case: "fileContainingSymbol", value: "c1.connector.v2.NoSuchThing" }],
    ["an unknown method of a known service", { case: "fileContainingSymbol", value: "c1.connector.v2.ResourcesService.NoSuchMethod" }],
    ["an unknown field of a known message", { case: "fileContainingSymbol", value: "c1.connector.v2.Resource.no_such_field" }],
    ["an unknown file", { case: "fileByFilename", value: "c1/connector/v2/nothing.proto" }],
    ["an unknown extension", { case: "fileContainingExtension", value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 99999 } }],
  ] as const)("answers %s with NOT_FOUND and keeps the stream open", async (_what, messageRequest) => {
    const res = await ask(messageRequest as ReflectionRequest["messageRequest"]);
    expect(res.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: grpc.status.NOT_FOUND } });
    expect(await ask({ case: "listServices", value: "" })).toMatchObject({ messageResponse: { case: "listServicesResponse" } });
  });
});

/** ListResources of users through buf curl, which must resolve every annotation's type by reflection. */
const LIST_USERS = ["-d", '{"resourceTypeId":"user"}'];

/** The demo account's users' addresses, sorted: `<name>@acme.example`. */
const DEMO_EMAILS = Object.keys(DEMO_IDS.users).map((name) => `${name}@acme.example`).sort();

/** userTraitsOf parses buf curl's JSON and returns the UserTrait annotations it resolved: one per demo user. */
function userTraitsOf(stdout: string): Record<string, unknown>[] {
  const body = JSON.parse(stdout) as { list: { annotations?: { "@type": string }[] }[] };
  expect(body.list).toHaveLength(DEMO_EMAILS.length);
  const traits = body.list.flatMap((r) => (r.annotations ?? []).filter((a) => a["@type"] === "type.googleapis.com/c1.connector.v2.UserTrait"));
  expect(traits).toHaveLength(DEMO_EMAILS.length);
  return traits;
}

/** emailsOf reads the primary addresses out of resolved UserTrait JSON, sorted. */
function emailsOf(traits: Record<string, unknown>[]): string[] {
  return traits.flatMap((t) => (t.emails as { address: string; isPrimary?: boolean }[]).filter((e) => e.isPrimary).map((e) => e.address)).sort();
}

describe("buf curl, an independent client that knows no .proto file", () => {
  describe("over h2c", () => {
    let stack: Stack;
    let base: string;
    beforeAll(async () => {
      stack = await startStack();
      base = `http://${stack.address}`;
    });
    afterAll(() => stack.close());

    it.each(["grpc-v1", "grpc-v1alpha"])("lists the methods through %s reflection", async (protocol) => {
      const res = await bufCurl(["--http2-prior-knowledge", "--reflect-protocol", protocol, "--list-methods", base]);
      expect(res.stderr).toBe("");
      const methods = res.stdout.trim().split("\n");
      expect(methods).toContain("c1.connector.v2.ResourcesService/ListResources");
      expect(methods).toContain("c1.ratelimit.v1.RateLimiterService/Do");
      expect(methods).toContain("grpc.health.v1.Health/Watch");
    });

    it.each(["grpc-v1", "grpc-v1alpha"])("calls ListResources and prints annotations with resolved @type (%s)", async (protocol) => {
      const res = await bufCurl(["--http2-prior-knowledge", "--reflect-protocol", protocol, ...LIST_USERS, `${base}/c1.connector.v2.ResourcesService/ListResources`]);
      expect(res.code, res.stderr).toBe(0);
      const traits = userTraitsOf(res.stdout);
      // Resolved means decoded: the trait's own fields are there, not an opaque base64 value.
      expect(emailsOf(traits)).toEqual(DEMO_EMAILS);
      expect(traits.filter((t) => "value" in t)).toEqual([]);
    });
  });

  describe("over mutual TLS with Ed25519 certificates", () => {
    let stack: Stack;
    let material: TlsMaterial;
    let dir: string;
    let base: string;
    const file = (name: string) => join(dir, name);
    beforeAll(async () => {
      material = await createTlsMaterial("ed25519");
      dir = mkdtempSync(join(tmpdir(), "connector-tls-"));
      writeFileSync(file("ca.pem"), material.ca);
      writeFileSync(file("client.pem"), material.client.cert);
      writeFileSync(file("client.key"), material.client.key);
      stack = await startStack({ server: { tls: { cert: material.server.cert, key: material.server.key, clientCa: material.ca } } });
      base = `https://${stack.address}`;
    });
    afterAll(async () => {
      await stack.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("lists the methods and calls ListResources with the client certificate", async () => {
      const tlsArgs = ["--cacert", file("ca.pem"), "--cert", file("client.pem"), "--key", file("client.key")];
      const listed = await bufCurl([...tlsArgs, "--list-methods", base]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain("c1.connector.v2.GrantsService/ListGrants");
      const res = await bufCurl([...tlsArgs, ...LIST_USERS, `${base}/c1.connector.v2.ResourcesService/ListResources`]);
      expect(res.code, res.stderr).toBe(0);
      expect(emailsOf(userTraitsOf(res.stdout))).toEqual(DEMO_EMAILS);
    });

    it("is refused without a client certificate", async () => {
      const res = await bufCurl(["--cacert", file("ca.pem"), "--list-methods", base]);
      expect(res.code).not.toBe(0);
      expect(res.stdout).toBe("");
    });
  });
});
