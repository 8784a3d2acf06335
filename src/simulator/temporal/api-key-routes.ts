import { clone } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  CreateApiKeyRequestSchema,
  CreateApiKeyResponseSchema,
  DeleteApiKeyRequestSchema,
  DeleteApiKeyResponseSchema,
  GetApiKeyRequestSchema,
  GetApiKeyResponseSchema,
  GetApiKeysRequestSchema,
  GetApiKeysResponseSchema,
  UpdateApiKeyRequestSchema,
  UpdateApiKeyResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import { ApiKeySchema, OwnerType, type ApiKey, type ApiKeySpec } from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { hasNamespaceAdmin, isAccountAdmin } from "./access-policy.js";
import { failedPrecondition, invalidArgument, permissionDenied } from "./api-error.js";
import { keyedPage } from "./page-token.js";
import {
  callerId,
  found,
  nothingToChange,
  parse,
  requireVersion,
  respond,
  type Caller,
  type Route,
} from "./route.js";
import type { SimulatorStore } from "./simulator-store.js";

/** MAX_API_KEY_LIFETIME_MS is the longest allowed expiry: 2 years (docs/temporal-cloud-api.md, "Refused mutations"). */
export const MAX_API_KEY_LIFETIME_MS = 2 * 366 * 24 * 60 * 60 * 1000;

const API_KEYS_TAG = "api-keys";

/**
 * apiKeyView returns a key as the API shows it at `now`: an active key whose expiry has passed
 * reads as RESOURCE_STATE_EXPIRED (computed at read time, never stored).
 */
export function apiKeyView(key: ApiKey, now: number): ApiKey {
  const expiry = key.spec?.expiryTime;
  if (key.state !== ResourceState.ACTIVE || expiry === undefined || timestampMs(expiry) > now) return key;
  const view = clone(ApiKeySchema, key);
  view.state = ResourceState.EXPIRED;
  return view;
}

/** isApiKeyExpired reports whether a key's expiry time has passed at `now`. */
export function isApiKeyExpired(key: ApiKey, now: number): boolean {
  const expiry = key.spec?.expiryTime;
  return expiry !== undefined && timestampMs(expiry) <= now;
}

/**
 * requireKeyManager checks who may manage keys of an owner (docs/temporal-cloud-api.md, "Who may call what"): everyone their
 * own keys, Global Admins and Owners every key, Namespace Admins the keys of namespace-scoped
 * service accounts of their namespace.
 */
function requireKeyManager(store: SimulatorStore, caller: Caller, spec: ApiKeySpec | undefined, action: string): void {
  const ownerId = spec?.ownerId ?? "";
  if (ownerId === callerId(caller) || isAccountAdmin(store, caller)) return;
  const scoped = store.serviceAccounts.get(ownerId)?.spec?.namespaceScopedAccess;
  if (scoped !== undefined && hasNamespaceAdmin(store, caller, scoped.namespace)) return;
  throw permissionDenied(
    `permission denied: ${action} an API key of another principal requires the Global Admin or Account Owner role`,
  );
}

// (uncertain) whether the API defaults a missing expiry; the simulator requires one.
function validateExpiry(spec: ApiKeySpec | undefined, now: number, mustBeFuture: boolean): void {
  const expiry = spec?.expiryTime;
  if (expiry === undefined) throw invalidArgument("spec.expiryTime is required");
  const expiryMs = timestampMs(expiry);
  if (expiryMs > now + MAX_API_KEY_LIFETIME_MS) {
    throw invalidArgument("spec.expiryTime cannot be more than 2 years in the future");
  }
  if (mustBeFuture && expiryMs <= now) throw invalidArgument("spec.expiryTime must be in the future");
}

function sameKeySpec(a: ApiKeySpec | undefined, b: ApiKeySpec | undefined): boolean {
  const expiry = (s: ApiKeySpec | undefined) => (s?.expiryTime === undefined ? -1 : timestampMs(s.expiryTime));
  return (
    a?.displayName === b?.displayName &&
    a?.description === b?.description &&
    a?.disabled === b?.disabled &&
    expiry(a) === expiry(b)
  );
}

/**
 * apiKeyRoutes are the API key methods. Lists never include a secret; CreateApiKey returns the
 * token once and registers it as an accepted bearer.
 */
export const apiKeyRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/api-keys",
    name: "GetApiKeys",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, GetApiKeysRequestSchema);
      // Callers other than admins and owners only ever see their own keys (docs/temporal-cloud-api.md, "Filters").
      const onlyOwner = isAccountAdmin(store, caller) ? "" : callerId(caller);
      const now = store.now();
      const page = keyedPage(store.apiKeys, API_KEYS_TAG, request, (key) => {
        const spec = key.spec;
        if (onlyOwner !== "" && spec?.ownerId !== onlyOwner) return undefined;
        if (request.ownerId !== "" && spec?.ownerId !== request.ownerId) return undefined;
        if (request.ownerType !== OwnerType.UNSPECIFIED && spec?.ownerType !== request.ownerType) return undefined;
        return apiKeyView(key, now);
      });
      return respond(GetApiKeysResponseSchema, {
        apiKeys: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/api-keys/{keyId}",
    name: "GetApiKey",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, GetApiKeyRequestSchema);
      const key = found(store.apiKeys.get(request.keyId), "API key", request.keyId);
      requireKeyManager(store, caller, key.spec, "reading");
      return respond(GetApiKeyResponseSchema, { apiKey: apiKeyView(key, store.now()) });
    },
  },
  {
    method: "POST",
    path: "/cloud/api-keys",
    name: "CreateApiKey",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, CreateApiKeyRequestSchema);
      const record = ctx.operations.submit("CreateApiKey", CreateApiKeyRequestSchema, request, () => {
        const spec = request.spec;
        const ownerId = spec?.ownerId ?? "";
        if (ownerId === "") throw invalidArgument("spec.ownerId is required");
        const isUser = store.users.get(ownerId) !== undefined;
        const isServiceAccount = store.serviceAccounts.get(ownerId) !== undefined;
        if (!isUser && !isServiceAccount) throw invalidArgument(`owner not found: ${ownerId}`);
        const actualType = isUser ? OwnerType.USER : OwnerType.SERVICE_ACCOUNT;
        // An unspecified owner type is inferred from the owner id rather than refused.
        const ownerType = spec?.ownerType ?? OwnerType.UNSPECIFIED;
        if (ownerType !== OwnerType.UNSPECIFIED && ownerType !== actualType) {
          throw invalidArgument(`spec.ownerType does not match owner ${ownerId}`);
        }
        if (isUser && ownerId !== callerId(caller)) {
          // (inferred, docs/temporal-cloud-api.md, "Refused mutations") user-owned keys can only be created by that user.
          throw permissionDenied("permission denied: API keys of a user can only be created by that user");
        }
        requireKeyManager(store, caller, spec, "creating");
        if ((spec?.displayName.trim() ?? "") === "") throw invalidArgument("spec.displayName is required");
        const now = store.now();
        validateExpiry(spec, now, true);
        const limit = isUser ? 10 : 20;
        let active = 0;
        for (const key of store.apiKeys.values()) {
          if (key.spec?.ownerId === ownerId && !isApiKeyExpired(key, now)) active++;
        }
        if (active >= limit) {
          throw failedPrecondition(`owner ${ownerId} already has ${active} unexpired API keys; the limit is ${limit}`);
        }
        const id = store.newId();
        const token = store.newSecret();
        return {
          target: { kind: "apiKey", id, state: ResourceState.ACTIVATING, bumpVersion: false },
          begin: () =>
            store.addApiKey(
              {
                id,
                spec: {
                  ownerId,
                  ownerType: actualType,
                  displayName: spec?.displayName.trim() ?? "",
                  description: spec?.description ?? "",
                  expiryTime: spec?.expiryTime,
                  disabled: spec?.disabled ?? false,
                },
              },
              token,
            ),
          apply: () => {},
          discard: () => store.deleteApiKey(id),
          // A replayed request returns the token again: a client whose response was lost needs it.
          extras: { keyId: id, token },
        };
      });
      return respond(CreateApiKeyResponseSchema, {
        keyId: record.extras.keyId ?? "",
        token: record.extras.token ?? "",
        asyncOperation: record.operation,
      });
    },
  },
  {
    method: "POST",
    path: "/cloud/api-keys/{keyId}",
    name: "UpdateApiKey",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, UpdateApiKeyRequestSchema);
      const record = ctx.operations.submit("UpdateApiKey", UpdateApiKeyRequestSchema, request, () => {
        const key = found(store.apiKeys.get(request.keyId), "API key", request.keyId);
        requireKeyManager(store, caller, key.spec, "updating");
        requireVersion(key, request.resourceVersion);
        const spec = request.spec;
        // Left-out owner fields mean "unchanged"; different ones are refused (the owner is immutable).
        const ownerId = spec?.ownerId ?? "";
        const ownerType = spec?.ownerType ?? OwnerType.UNSPECIFIED;
        const ownerChanged = ownerId !== "" && ownerId !== key.spec?.ownerId;
        const typeChanged = ownerType !== OwnerType.UNSPECIFIED && ownerType !== key.spec?.ownerType;
        if (ownerChanged || typeChanged) {
          throw invalidArgument("the owner of an API key cannot be changed");
        }
        if ((spec?.displayName.trim() ?? "") === "") throw invalidArgument("spec.displayName is required");
        validateExpiry(spec, store.now(), false);
        if (sameKeySpec(spec, key.spec)) throw nothingToChange();
        return {
          target: { kind: "apiKey", id: key.id, state: ResourceState.UPDATING },
          apply: () =>
            store.updateApiKey(
              key.id,
              (current) => {
                current.displayName = spec?.displayName.trim() ?? "";
                current.description = spec?.description ?? "";
                current.expiryTime = spec?.expiryTime;
                current.disabled = spec?.disabled ?? false;
              },
              { bumpVersion: false },
            ),
        };
      });
      return respond(UpdateApiKeyResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "DELETE",
    path: "/cloud/api-keys/{keyId}",
    name: "DeleteApiKey",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, DeleteApiKeyRequestSchema);
      const record = ctx.operations.submit("DeleteApiKey", DeleteApiKeyRequestSchema, request, () => {
        const key = found(store.apiKeys.get(request.keyId), "API key", request.keyId);
        requireKeyManager(store, caller, key.spec, "deleting");
        requireVersion(key, request.resourceVersion);
        return {
          target: { kind: "apiKey", id: key.id, state: ResourceState.DELETING },
          apply: () => store.deleteApiKey(key.id),
        };
      });
      return respond(DeleteApiKeyResponseSchema, { asyncOperation: record.operation });
    },
  },
];
