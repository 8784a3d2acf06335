import { fromJson, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetAccountResponseSchema,
  GetApiKeysResponseSchema,
  GetAsyncOperationResponseSchema,
  GetCurrentIdentityResponseSchema,
  GetCustomRolesResponseSchema,
  GetNamespacesResponseSchema,
  GetServiceAccountNamespaceAssignmentsResponseSchema,
  GetServiceAccountsResponseSchema,
  GetUserGroupMembersResponseSchema,
  GetUserGroupNamespaceAssignmentsResponseSchema,
  GetUserGroupsResponseSchema,
  GetUserNamespaceAssignmentsResponseSchema,
  GetUsersResponseSchema,
} from "../../src/gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import { UserGroupSchema, UserSchema } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { createDemoAccount, DEMO_API_KEY, generateAccount, startSimulator, type AccountData, type Simulator } from "../../src/simulator/temporal/index.js";
import { readJson } from "../../src/codec/compiled-json-reader.js";
import { createTransport, type Transport } from "../../src/temporal/transport.js";

/** outcome is what reading does: the message, or the fact that it throws. */
function outcome(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return "throws";
  }
}

function expectSameAsFromJson(schema: DescMessage, documents: readonly JsonValue[]): void {
  documents.forEach((json, i) =>
    expect(outcome(() => readJson(schema, json)), `${schema.typeName} #${i}`).toStrictEqual(outcome(() => fromJson(schema, json, { ignoreUnknownFields: true }))),
  );
}

/** Every document the simulator serves for an account, as the transport hands them to the client. */
async function servedDocuments(account: AccountData, apiKey: string): Promise<[DescMessage, JsonValue][]> {
  const simulator: Simulator = await startSimulator({ account });
  const transport: Transport = createTransport({ baseUrl: simulator.url, apiKey, apiVersion: "v0.17.1", allowInsecure: true });
  const get = async (path: string) => (await transport.call({ route: "test", method: "GET", path, query: { pageSize: 1000 } })) as JsonValue;
  try {
    const docs: [DescMessage, JsonValue][] = [
      [GetCurrentIdentityResponseSchema, await get("/cloud/current-identity")],
      [GetAccountResponseSchema, await get("/cloud/account")],
      [GetUsersResponseSchema, await get("/cloud/users")],
      [GetServiceAccountsResponseSchema, await get("/cloud/service-accounts")],
      [GetUserGroupsResponseSchema, await get("/cloud/user-groups")],
      [GetNamespacesResponseSchema, await get("/cloud/namespaces")],
      [GetCustomRolesResponseSchema, await get("/cloud/custom-roles")],
      [GetApiKeysResponseSchema, await get("/cloud/api-keys")],
    ];
    for (const group of account.groups) docs.push([GetUserGroupMembersResponseSchema, await get(`/cloud/user-groups/${group.id}/members`)]);
    for (const ns of account.namespaces.slice(0, 5)) {
      docs.push([GetUserNamespaceAssignmentsResponseSchema, await get(`/cloud/namespaces/${ns.namespace}/user-assignments`)]);
      docs.push([GetServiceAccountNamespaceAssignmentsResponseSchema, await get(`/cloud/namespaces/${ns.namespace}/service-account-assignments`)]);
      docs.push([GetUserGroupNamespaceAssignmentsResponseSchema, await get(`/cloud/namespaces/${ns.namespace}/user-group-assignments`)]);
    }
    return docs;
  } finally {
    await transport.close();
    await simulator.close();
  }
}

describe("readJson", () => {
  const documents: [DescMessage, JsonValue][] = [];
  beforeAll(async () => {
    documents.push(...(await servedDocuments(createDemoAccount(), DEMO_API_KEY)));
    const generated = generateAccount({ users: 1_000, seed: 13 });
    documents.push(...(await servedDocuments(generated, generated.apiKey)));
  });
  afterAll(() => void documents.splice(0));

  it("reads every document the simulator serves for the demo and a generated account as fromJson does", () => {
    expect(documents.length).toBeGreaterThan(30);
    for (const [schema, json] of documents) expectSameAsFromJson(schema, [json]);
  });

  it("gives fromJson's result or error for the JSON forms it leaves to fromJson", () => {
    const user = documents.find(([schema]) => schema === GetUsersResponseSchema)![1] as { users: Record<string, JsonValue>[] };
    const one = user.users[0]!;
    expectSameAsFromJson(UserSchema, [
      { ...one, unknownField: { deep: [1] }, state: "RESOURCE_STATE_FROM_THE_FUTURE" },
      { ...one, state: 3, resourceVersion: null, spec: null },
      { ...one, resource_version: "v9" }, // proto name: fromJson accepts it
      { ...one, resourceVersion: "v1", resource_version: "v2" }, // both names: fromJson refuses
      { ...one, createdTime: "2025-01-02T03:04:05.123456789Z", lastModifiedTime: "2025-01-02T03:04:05+02:00" },
      { ...one, createdTime: "2025-01-02T03:04:05.1Z", lastModifiedTime: "0001-01-01T00:00:00Z" },
      { ...one, createdTime: "2025-13-02T03:04:05Z" },
      { ...one, createdTime: 1700000000 },
      { ...one, id: 5 },
      { ...one, spec: { ...(one.spec as object), access: { namespaceAccesses: { ns: null } } } },
      { ...one, spec: { ...(one.spec as object), access: { namespaceAccesses: { ns: { permission: "PERMISSION_FROM_THE_FUTURE" } } } } },
      { ...one, spec: [] },
      [],
      null,
      "user",
    ]);
    expectSameAsFromJson(UserGroupSchema, [
      { id: "g", spec: { displayName: "d", googleGroup: { emailAddress: "a@b" }, scimGroup: { idpId: "x" } } },
      { id: "g", spec: { displayName: "d", googleGroup: null, cloudGroup: {} } },
      { id: "g", spec: { displayName: "d", cloudGroup: {} } },
    ]);
    expectSameAsFromJson(GetAsyncOperationResponseSchema, [{ asyncOperation: { id: "op", state: "STATE_FULFILLED", checkDuration: "1.5s", startedTime: "2025-01-01T00:00:00Z" } }]);
  });
});
