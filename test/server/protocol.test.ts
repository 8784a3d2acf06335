import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountManagerService,
  ActionService,
  ConnectorService,
  CredentialManagerService,
  EntitlementsService,
  EventService,
  GrantManagerService,
  GrantsService,
  ResourceDeleterService,
  ResourceGetterService,
  ResourceManagerService,
  ResourceTypesService,
  ResourcesService,
  TicketsService,
  Capability,
  CapabilityDetailCredentialOption,
} from "../../src/connector/c1.js";
import { encodePageToken } from "../../src/connector/page-token.js";
import { createTokenSealer } from "../../src/connector/token-seal.js";
import { RateLimitDescription_Status, RateLimiterService } from "../../src/gen/c1/ratelimit/v1/ratelimit_pb.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { expectCode } from "../helpers/grpc.js";
import { startStack, type Stack } from "../helpers/stack.js";

const user = (id: string) => ({ id: { resourceType: "user", resource: id } });

describe("protocol surface (provisioning off)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it("answers RateLimiterService/Do with STATUS_OK, echoing the request token", async () => {
    const res = await stack.client.call(RateLimiterService.method.do, { requestToken: "t-1", service: "connector" });
    expect(res.requestToken).toBe("t-1");
    expect(res.description?.status).toBe(RateLimitDescription_Status.OK);
    await stack.client.call(RateLimiterService.method.report, { requestToken: "t-1" });
  });

  it("validates with sdk_version v0.25.0 so that the Go syncer sends active_sync_id", async () => {
    const res = await stack.client.call(ConnectorService.method.validate, {});
    expect(res.sdkVersion).toBe("v0.25.0");
  });

  it("reports metadata with capabilities derived from what each type can do", async () => {
    const { metadata } = await stack.client.call(ConnectorService.method.getMetadata, {});
    expect(metadata?.displayName).toBe("Temporal Cloud");
    const perType = Object.fromEntries(metadata!.capabilities!.resourceTypeCapabilities.map((c) => [c.resourceType!.id, c.capabilities.map((x) => Capability[x])]));
    expect(perType).toEqual({
      "account-role": ["PROVISION", "SYNC", "TARGETED_SYNC"],
      "api-key": ["SYNC", "RESOURCE_DELETE", "TARGETED_SYNC"],
      "custom-role": ["PROVISION", "SYNC", "TARGETED_SYNC"],
      group: ["PROVISION", "SYNC", "TARGETED_SYNC"],
      namespace: ["PROVISION", "SYNC", "TARGETED_SYNC"],
      project: ["PROVISION", "SYNC", "TARGETED_SYNC"],
      "service-account": ["SYNC", "TARGETED_SYNC"],
      user: ["SYNC", "ACCOUNT_PROVISIONING", "RESOURCE_DELETE", "TARGETED_SYNC"],
      // Findings are synced only: computed for a sync, they have no targeted read of their own.
      "security-insight": ["SYNC"],
    });
    expect(metadata!.capabilities!.credentialDetails?.capabilityAccountProvisioning).toMatchObject({
      supportedCredentialOptions: [CapabilityDetailCredentialOption.NO_PASSWORD],
      preferredCredentialOption: CapabilityDetailCredentialOption.NO_PASSWORD,
    });
    expect(Object.keys(metadata!.accountCreationSchema!.fieldMap)).toEqual(["email"]);
  });

  it("refuses provisioning with FAILED_PRECONDITION while it is not enabled", async () => {
    const principal = user(DEMO_IDS.users.dave);
    const entitlement = { id: `namespace:${DEMO_IDS.namespaces.paymentsDev}:read`, resource: { id: { resourceType: "namespace", resource: DEMO_IDS.namespaces.paymentsDev } } };
    const calls = [
      stack.client.call(GrantManagerService.method.grant, { entitlement, principal }),
      stack.client.call(GrantManagerService.method.revoke, { grant: { id: "g", entitlement, principal } }),
      stack.client.call(AccountManagerService.method.createAccount, { accountInfo: { emails: [{ address: "new@acme.example", isPrimary: true }] } }),
      stack.client.call(ResourceManagerService.method.deleteResource, { resourceId: principal.id }),
      stack.client.call(ResourceDeleterService.method.deleteResourceV2, { resourceId: principal.id }),
      stack.client.call(ResourceManagerService.method.createResource, { resource: principal }),
      stack.client.call(CredentialManagerService.method.rotateCredential, { resourceId: principal.id }),
    ];
    for (const call of calls) expect(await expectCode(call, status.FAILED_PRECONDITION)).toBe("provisioning is not enabled");
    expect(stack.simulator.stats.byRoute.get("SetUserNamespaceAccess")).toBeUndefined();
  });

  it("answers the features it does not have the way the Go SDK does", async () => {
    expect(await expectCode(stack.client.call(TicketsService.method.listTicketSchemas, {}), status.UNKNOWN)).toBe("ticketing is not enabled");
    // The Go SDK's default feed id is its legacy feed, which this connector does not have (event-feed.test.ts).
    await expectCode(stack.client.call(EventService.method.listEvents, {}), status.NOT_FOUND);
    expect((await stack.client.call(ActionService.method.listActionSchemas, {})).schemas).toEqual([]);
    await expectCode(stack.client.call(ActionService.method.invokeAction, { name: "x" }), status.NOT_FOUND);
    expect((await stack.client.call(EntitlementsService.method.listStaticEntitlements, { resourceTypeId: "namespace" })).list).toEqual([]);
  });

  it("serves targeted-sync lookups and NOT_FOUND for missing resources", async () => {
    const got = await stack.client.call(ResourceGetterService.method.getResource, { resourceId: { resourceType: "namespace", resource: DEMO_IDS.namespaces.analytics } });
    expect(got.resource?.displayName).toBe(DEMO_IDS.namespaces.analytics);
    await expectCode(stack.client.call(ResourceGetterService.method.getResource, { resourceId: { resourceType: "user", resource: "nobody" } }), status.NOT_FOUND);
  });

  it("returns an empty page for children of a type that has none", async () => {
    const res = await stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", parentResourceId: { resourceType: "group", resource: DEMO_IDS.groups.finance } });
    expect(res.list).toEqual([]);
    expect(res.nextPageToken).toBe("");
  });

  describe("refuses bad requests with INVALID_ARGUMENT and an actionable message", () => {
    it("unknown resource types", async () => {
      const msg = await expectCode(stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "repository" }), status.INVALID_ARGUMENT);
      expect(msg).toContain('unknown resource type "repository"');
      expect(msg).toContain("account-role, api-key");
      await expectCode(stack.client.call(GrantsService.method.listGrants, { resource: { id: { resourceType: "nope", resource: "x" } } }), status.INVALID_ARGUMENT);
    });

    it("missing and oversized fields, checked against the protocol's limits", async () => {
      expect(await expectCode(stack.client.call(ResourcesService.method.listResources, {}), status.INVALID_ARGUMENT)).toContain("resource_type_id is required");
      const long = await expectCode(stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "u".repeat(1025) }), status.INVALID_ARGUMENT);
      expect(long).toContain("resource_type_id must be at most 1024 bytes long, got 1025");
      const id = await expectCode(stack.client.call(GrantsService.method.listGrants, { resource: { id: { resourceType: "namespace", resource: "n".repeat(2000) } } }), status.INVALID_ARGUMENT);
      expect(id).toContain("resource.id.resource must be at most 1024 bytes long, got 2000");
      expect(await expectCode(stack.client.call(GrantsService.method.listGrants, {}), status.INVALID_ARGUMENT)).toContain("resource is required");
      expect(await expectCode(stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", pageSize: 1000 }), status.INVALID_ARGUMENT)).toContain("page_size must be at most 250");
      await expectCode(stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", activeSyncId: "s".repeat(1025) }), status.INVALID_ARGUMENT);
    });

    it("malformed, tampered and foreign page tokens", async () => {
      const malformed = await expectCode(stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", pageToken: "garbage" }), status.INVALID_ARGUMENT);
      expect(malformed).toMatch(/page_token is malformed.*start the list again without a page_token/);
      const sealer = createTokenSealer({ secret: () => stack.apiKey });
      const foreign = encodePageToken(sealer, { op: "grants", resourceType: "namespace", resource: DEMO_IDS.namespaces.analytics }, "x");
      expect(await expectCode(stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", pageToken: foreign }), status.INVALID_ARGUMENT)).toContain("issued for another list");
      await expectCode(stack.client.call(ResourceTypesService.method.listResourceTypes, { pageToken: "anything" }), status.INVALID_ARGUMENT);
      // A well-formed token of the right list carrying a cursor of the wrong shape.
      const wrongShape = encodePageToken(sealer, { op: "resources", resourceType: "user" }, { not: "a string" });
      await expectCode(stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", pageToken: wrongShape }), status.INVALID_ARGUMENT);
    });
  });
});
