import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyUnpack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { SecretTraitSchema, SecretTrait_CredentialType, Status_ResourceStatus } from "../../src/connector/c1.js";
import { ApiKeySchema, ApiKeySpecSchema, OwnerType } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { apiKeyResource } from "../../src/resources/api-key.js";

const NOW = new Date("2026-05-01T12:00:00.000Z");
const CREATED = timestampFromDate(new Date("2025-05-01T00:00:00.000Z"));
const MODIFIED = timestampFromDate(new Date("2026-04-01T00:00:00.000Z"));
const NEXT_YEAR = new Date("2027-05-01T00:00:00.000Z");
const LAST_WEEK = new Date("2026-04-24T12:00:00.000Z");

function apiKey(spec: MessageInitShape<typeof ApiKeySpecSchema>, init: { id?: string; state?: ResourceState } = {}) {
  return create(ApiKeySchema, {
    id: init.id ?? "key-0001",
    resourceVersion: "v1",
    state: init.state ?? ResourceState.ACTIVE,
    spec,
    createdTime: CREATED,
    lastModifiedTime: MODIFIED,
  });
}

const SA_KEY = { ownerId: "sa-9", ownerType: OwnerType.SERVICE_ACCOUNT, displayName: "ci-key", description: "Used by CI", expiryTime: timestampFromDate(NEXT_YEAR) };
const USER_KEY = { ownerId: "u-9", ownerType: OwnerType.USER, displayName: "laptop", expiryTime: timestampFromDate(NEXT_YEAR) };

describe("apiKeyResource", () => {
  it("is the resource api-key:<key id>, shown by its display name, with a secret trait naming its owner", () => {
    const r = apiKeyResource(apiKey(SA_KEY, { id: "k-ab12" }), NOW);
    expect([r.id?.resourceType, r.id?.resource]).toEqual(["api-key", "k-ab12"]);
    expect(r.displayName).toBe("ci-key");
    expect(r.description).toBe("Used by CI");
    expect(r.createdAt).toEqual(CREATED);
    expect(r.annotations.map((a) => a.typeUrl)).toEqual([`type.googleapis.com/${SecretTraitSchema.typeName}`]);
    const trait = anyUnpack(r.annotations[0]!, SecretTraitSchema)!;
    expect([trait.identityId?.resourceType, trait.identityId?.resource]).toEqual(["service-account", "sa-9"]);
    expect(trait.expiresAt).toEqual(timestampFromDate(NEXT_YEAR));
    expect(trait.credentialType).toBe(SecretTrait_CredentialType.STATIC_SECRET);
    expect(trait.credentialDetail).toBe("temporal_cloud_api_key");
    expect(trait.createdAt).toEqual(CREATED);
    expect(trait.lastUsedAt).toBeUndefined();
    expect(trait.createdById).toBeUndefined();
  });

  it("names a user owner as a user resource", () => {
    const r = apiKeyResource(apiKey(USER_KEY, { id: "k-u" }), NOW);
    const trait = anyUnpack(r.annotations[0]!, SecretTraitSchema)!;
    expect([trait.identityId?.resourceType, trait.identityId?.resource]).toEqual(["user", "u-9"]);
    expect(r.profile).toEqual({ api_key_id: "k-u", owner_id: "u-9", owner_type: "user", expires_at: "2027-05-01T00:00:00.000Z", state: "active", last_modified_at: "2026-04-01T00:00:00.000Z" });
  });

  it("is shown by its id when it has no display name, and names no owner it does not have", () => {
    const r = apiKeyResource(apiKey({}, { id: "k-bare" }), NOW);
    expect(r.displayName).toBe("k-bare");
    expect(r.description).toBe("");
    expect(anyUnpack(r.annotations[0]!, SecretTraitSchema)?.identityId).toBeUndefined();
    expect(r.profile).toEqual({ api_key_id: "k-bare", owner_type: "user", state: "active", last_modified_at: "2026-04-01T00:00:00.000Z" });
  });

  const statuses: { name: string; spec: MessageInitShape<typeof ApiKeySpecSchema>; state?: ResourceState; status: Status_ResourceStatus; details: string; flags: { disabled?: true; expired?: true } }[] = [
    { name: "a live key", spec: SA_KEY, status: Status_ResourceStatus.ENABLED, details: "", flags: {} },
    { name: "a key without expiry", spec: { ...SA_KEY, expiryTime: undefined }, status: Status_ResourceStatus.ENABLED, details: "", flags: {} },
    { name: "a disabled key", spec: { ...SA_KEY, disabled: true }, status: Status_ResourceStatus.DISABLED, details: "disabled", flags: { disabled: true } },
    { name: "a key past its expiry", spec: { ...SA_KEY, expiryTime: timestampFromDate(LAST_WEEK) }, status: Status_ResourceStatus.DISABLED, details: "expired on 2026-04-24T12:00:00.000Z", flags: { expired: true } },
    { name: "a key expiring this instant", spec: { ...SA_KEY, expiryTime: timestampFromDate(NOW) }, status: Status_ResourceStatus.ENABLED, details: "", flags: {} },
    { name: "a key Temporal marks expired", spec: SA_KEY, state: ResourceState.EXPIRED, status: Status_ResourceStatus.DISABLED, details: "expired on 2027-05-01T00:00:00.000Z", flags: { expired: true } },
    { name: "an expired key without expiry time", spec: { ...SA_KEY, expiryTime: undefined }, state: ResourceState.EXPIRED, status: Status_ResourceStatus.DISABLED, details: "expired", flags: { expired: true } },
    { name: "a disabled and expired key", spec: { ...SA_KEY, disabled: true, expiryTime: timestampFromDate(LAST_WEEK) }, status: Status_ResourceStatus.DISABLED, details: "disabled", flags: { disabled: true, expired: true } },
    { name: "a key being deleted", spec: { ...SA_KEY, disabled: true }, state: ResourceState.DELETING, status: Status_ResourceStatus.DELETED, details: "deleting", flags: { disabled: true } },
    { name: "a suspended key", spec: SA_KEY, state: ResourceState.SUSPENDED, status: Status_ResourceStatus.DISABLED, details: "suspended", flags: {} },
  ];
  it.each(statuses)("maps the status of $name", ({ spec, state, status, details, flags }) => {
    const r = apiKeyResource(apiKey(spec, { state }), NOW);
    expect([r.status?.status, r.status?.details]).toEqual([status, details]);
    expect([r.profile?.disabled, r.profile?.expired]).toEqual([flags.disabled, flags.expired]);
  });

  it("decides expiry against the time it is given", () => {
    const key = apiKey({ ...SA_KEY, expiryTime: timestampFromDate(new Date("2026-06-01T00:00:00.000Z")) });
    expect(apiKeyResource(key, new Date("2026-05-31T23:59:59.999Z")).status?.status).toBe(Status_ResourceStatus.ENABLED);
    expect(apiKeyResource(key, new Date("2026-06-01T00:00:00.001Z")).status?.status).toBe(Status_ResourceStatus.DISABLED);
  });

  it.each([
    ["exactly 2048 bytes", "k".repeat(2048), "k".repeat(2048)],
    ["2049 ASCII bytes", "k".repeat(2049), `${"k".repeat(2045)}...`],
    ["three-byte characters", "€".repeat(700), `${"€".repeat(681)}...`],
  ])("clips the description to the protocol's 2048 bytes: %s", (_, description, expected) => {
    const clipped = apiKeyResource(apiKey({ ...SA_KEY, description }), NOW).description;
    expect(clipped).toBe(expected);
    expect(Buffer.byteLength(clipped)).toBeLessThanOrEqual(2048);
  });
});
