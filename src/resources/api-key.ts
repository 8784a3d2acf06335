import { timestampDate, type Any } from "@bufbuild/protobuf/wkt";
import { annotation } from "../connector/annotations.js";
import { SecretTraitSchema, SecretTrait_CredentialType, Status_ResourceStatus, type Resource } from "../connector/c1.js";
import { newResource, resourceId } from "../connector/ids.js";
import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { OwnerType, type ApiKey } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { clipToBytes, iso, isNotFound, orUndefinedIfMissing, profile, resourceStatus, stateName, pageOf } from "./common.js";
import { readModifyWrite } from "./read-modify-write.js";
import { API_KEY, SERVICE_ACCOUNT, USER } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";

/** apiKeyResource converts a Temporal API key (never its secret) into an `api-key` resource. */
export function apiKeyResource(key: ApiKey, now = new Date()): Resource {
  const spec = key.spec;
  const ownerType = spec?.ownerType === OwnerType.SERVICE_ACCOUNT ? SERVICE_ACCOUNT.id : USER.id;
  const expires = spec?.expiryTime && timestampDate(spec.expiryTime);
  const expired = key.state === ResourceState.EXPIRED || (expires !== undefined && expires < now);
  let status = resourceStatus(key.state);
  if (status.status === Status_ResourceStatus.ENABLED || key.state === ResourceState.EXPIRED) {
    if (spec?.disabled) status = { ...status, status: Status_ResourceStatus.DISABLED, details: "disabled" };
    else if (expired) status = { ...status, status: Status_ResourceStatus.DISABLED, details: `expired${expires ? ` on ${expires.toISOString()}` : ""}` };
  }
  const details = profile({
    api_key_id: key.id,
    owner_id: spec?.ownerId,
    owner_type: ownerType,
    expires_at: iso(spec?.expiryTime),
    disabled: spec?.disabled ? true : undefined,
    expired: expired ? true : undefined,
    state: stateName(key.state),
    last_modified_at: iso(key.lastModifiedTime),
  });
  return newResource(API_KEY, key.id, {
    displayName: spec?.displayName || key.id,
    description: clipToBytes(spec?.description ?? "", 2048),
    profile: details,
    status,
    createdAt: key.createdTime,
    annotations: [apiKeySecretTrait(key)],
  });
}

/**
 * apiKeySecretTrait describes a key as the protocol's SecretTrait: who it authenticates as and
 * when it expires. The `api-key` resources carry it, and so does Validate while the connector's
 * own key is about to expire.
 */
export function apiKeySecretTrait(key: ApiKey): Any {
  const spec = key.spec;
  const ownerType = spec?.ownerType === OwnerType.SERVICE_ACCOUNT ? SERVICE_ACCOUNT.id : USER.id;
  return annotation(SecretTraitSchema, {
    identityId: spec?.ownerId ? resourceId(ownerType, spec.ownerId) : undefined,
    expiresAt: spec?.expiryTime,
    credentialType: SecretTrait_CredentialType.STATIC_SECRET,
    credentialDetail: "temporal_cloud_api_key",
    // Deprecated, for older readers.
    createdAt: key.createdTime,
  });
}

/** createApiKeySyncer builds the `api-key` resource type. */
export function createApiKeySyncer(account: TemporalAccount): ResourceSyncer {
  return {
    resourceType: API_KEY,
    async list(ctx, parent, cursor) {
      if (parent) return { items: [] };
      return pageOf(ctx, account.snapshot(ctx).apiKeys, cursor, (k) => apiKeyResource(k));
    },
    async get(ctx, id) {
      const key = await orUndefinedIfMissing(account.client.getApiKey(id.resource, { signal: ctx.signal }));
      return key && apiKeyResource(key);
    },

    /** delete revokes the credential: the key is deleted and stops authenticating. */
    async delete(ctx, id) {
      return readModifyWrite<ApiKey | undefined, { notFound: boolean }>(ctx, account, {
        describe: `delete API key ${id.resource}`,
        read: () => orUndefinedIfMissing(account.client.getApiKey(id.resource, { signal: ctx.signal })),
        version: (key) => key?.resourceVersion ?? "",
        plan: (key) => (key ? { write: (opts) => account.client.deleteApiKey(key.id, opts), result: { notFound: false } } : { result: { notFound: true } }),
      }).catch((err: unknown) => {
        if (isNotFound(err)) return { notFound: true };
        throw err;
      });
    },
  };
}
