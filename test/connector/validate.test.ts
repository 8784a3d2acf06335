import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  AccountInfoSchema,
  CreateAccountRequestSchema,
  GrantManagerServiceGrantRequestSchema,
  GrantsServiceListGrantsRequestSchema,
  ResourceTypeSchema,
  ResourcesServiceListResourcesRequestSchema,
} from "../../src/connector/c1.js";
import { ConnectorError, Code } from "../../src/connector/errors.js";
import { MAX_STRING_BYTES, validateMessage } from "../../src/connector/validate.js";
import { recordPatternInputs } from "../helpers/pattern-inputs.js";

function problem(schema: Parameters<typeof validateMessage>[0], message: Parameters<typeof validateMessage>[1]): string | undefined {
  try {
    validateMessage(schema, message);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe(Code.InvalidArgument);
    return (err as ConnectorError).message;
  }
}

describe("request validation (the protocol's PGV rules)", () => {
  const list = (init: object) => create(ResourcesServiceListResourcesRequestSchema, init);

  it("accepts a valid request", () => {
    expect(problem(ResourcesServiceListResourcesRequestSchema, list({ resourceTypeId: "user", pageToken: "t", activeSyncId: "s" }))).toBeUndefined();
  });

  it("requires resource_type_id and bounds it to 1024 bytes", () => {
    expect(problem(ResourcesServiceListResourcesRequestSchema, list({}))).toMatch(/resource_type_id is required/);
    expect(problem(ResourcesServiceListResourcesRequestSchema, list({ resourceTypeId: "x".repeat(1025) }))).toMatch(/resource_type_id must be at most 1024 bytes long, got 1025/);
    // Bytes, not characters: 342 × 3-byte characters = 1026 bytes.
    expect(problem(ResourcesServiceListResourcesRequestSchema, list({ resourceTypeId: "€".repeat(342) }))).toMatch(/at most 1024 bytes/);
  });

  it("caps page_size at 250 and page_token at 1 MiB, ignoring them when empty", () => {
    expect(problem(ResourcesServiceListResourcesRequestSchema, list({ resourceTypeId: "user", pageSize: 251 }))).toMatch(/page_size must be at most 250, got 251/);
    expect(problem(ResourcesServiceListResourcesRequestSchema, list({ resourceTypeId: "user", pageToken: "t".repeat(1024 * 1024 + 1) }))).toMatch(/page_token must be at most 1048576 bytes/);
    expect(problem(ResourcesServiceListResourcesRequestSchema, list({ resourceTypeId: "user", pageSize: 0, pageToken: "" }))).toBeUndefined();
  });

  it("validates nested messages with their paths", () => {
    const req = list({ resourceTypeId: "user", parentResourceId: { resourceType: "group", resource: "" } });
    expect(problem(ResourcesServiceListResourcesRequestSchema, req)).toMatch(/parent_resource_id\.resource is required/);
    const grants = create(GrantsServiceListGrantsRequestSchema, {});
    expect(problem(GrantsServiceListGrantsRequestSchema, grants)).toMatch(/resource is required/);
  });

  it("checks required messages of provisioning requests", () => {
    const grant = create(GrantManagerServiceGrantRequestSchema, { principal: { id: { resourceType: "user", resource: "u1" } } });
    expect(problem(GrantManagerServiceGrantRequestSchema, grant)).toMatch(/entitlement is required/);
  });

  it("requires valid email addresses in account info", () => {
    const req = (address: string) => create(CreateAccountRequestSchema, { accountInfo: create(AccountInfoSchema, { emails: [{ address }] }) });
    expect(problem(CreateAccountRequestSchema, req("new.person@acme.example"))).toBeUndefined();
    expect(problem(CreateAccountRequestSchema, req("not an email"))).toMatch(/account_info\.emails\[0\]\.address must be a valid email address/);
    expect(problem(CreateAccountRequestSchema, req(""))).toMatch(/address must be a valid email/);
  });

  it("rejects undefined enum values and duplicate traits", () => {
    expect(problem(ResourceTypeSchema, create(ResourceTypeSchema, { id: "t", traits: [99 as never] }))).toMatch(/traits\[0\] has undefined enum value 99/);
    expect(problem(ResourceTypeSchema, create(ResourceTypeSchema, { id: "t", traits: [1, 1] }))).toMatch(/traits must not contain duplicates/);
  });

  it("refuses annotations the connector could not unpack, and leaves foreign ones opaque", () => {
    const grants = (typeUrl: string, value: Uint8Array) =>
      create(GrantsServiceListGrantsRequestSchema, { resource: { id: { resourceType: "group", resource: "g" }, annotations: [{ typeUrl, value }] } });
    // 0xff is a field header with wire type 7, which no message decodes.
    const junk = new Uint8Array([0xff, 0xff]);
    expect(problem(GrantsServiceListGrantsRequestSchema, grants("type.googleapis.com/c1.connector.v2.GroupTrait", junk))).toMatch(/resource\.annotations.*value is not a valid c1\.connector\.v2\.GroupTrait/);
    expect(problem(GrantsServiceListGrantsRequestSchema, grants("type.googleapis.com/", junk))).toMatch(/type_url "type.googleapis.com\/" names no type/);
    expect(problem(GrantsServiceListGrantsRequestSchema, grants("type.googleapis.com/acme.Unknown", junk))).toBeUndefined();
    expect(problem(GrantsServiceListGrantsRequestSchema, grants("type.googleapis.com/c1.connector.v2.GroupTrait", new Uint8Array()))).toBeUndefined();
  });

  it("bounds every string before a pattern runs on it: a 4 MiB email or login is refused by its length", () => {
    // Dots after the "@" and an end that fails: a backtracking email pattern takes quadratic time on it.
    const hostile = `a@${"a.".repeat(2 * 1024 * 1024)}@`;
    const cases: [MessageInitShape<typeof AccountInfoSchema>, RegExp][] = [
      [{ emails: [{ address: hostile }] }, /account_info\.emails\[0\]\.address must be at most 254 bytes long, got 4194307/],
      [{ login: hostile }, new RegExp(`account_info\\.login must be at most ${MAX_STRING_BYTES} bytes long, got 4194307`)],
      [{ loginAliases: ["ok", hostile] }, /account_info\.login_aliases\[1\] must be at most 65536 bytes long/],
    ];
    for (const [info, refusal] of cases) {
      const req = create(CreateAccountRequestSchema, { accountInfo: create(AccountInfoSchema, info) });
      const matched = recordPatternInputs();
      let message: string | undefined;
      try {
        message = problem(CreateAccountRequestSchema, req);
      } finally {
        matched.restore();
      }
      expect(message).toMatch(refusal);
      expect(matched.longest()).toBeLessThan(1024);
    }
    // Up to the bound, a string without rules of its own passes.
    expect(problem(CreateAccountRequestSchema, create(CreateAccountRequestSchema, { accountInfo: { login: "x".repeat(MAX_STRING_BYTES) } }))).toBeUndefined();
  });

  it('refuses the resource ids "." and "..", which a URL path would read as folders', () => {
    for (const resource of [".", ".."]) {
      const req = list({ resourceTypeId: "user", parentResourceId: { resourceType: "group", resource } });
      expect(problem(ResourcesServiceListResourcesRequestSchema, req)).toBe(`invalid ResourcesServiceListResourcesRequest: parent_resource_id.resource "${resource}" is not a resource id`);
      const grant = create(GrantManagerServiceGrantRequestSchema, {
        entitlement: { id: "namespace:ns.acme:read", resource: { id: { resourceType: "namespace", resource: "ns.acme" } } },
        principal: { id: { resourceType: "user", resource } },
      });
      expect(problem(GrantManagerServiceGrantRequestSchema, grant)).toMatch(/principal\.id\.resource "\.{1,2}" is not a resource id/);
    }
    // Dots inside an id are ordinary characters (namespace ids are "<name>.<account>").
    expect(problem(ResourcesServiceListResourcesRequestSchema, list({ resourceTypeId: "user", parentResourceId: { resourceType: "group", resource: "a..b" } }))).toBeUndefined();
  });
});
