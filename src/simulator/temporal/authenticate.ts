import { OwnerType } from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { isApiKeyExpired } from "./api-key-routes.js";
import { ApiError, Code } from "./api-error.js";
import type { Caller } from "./route.js";
import type { SimulatorStore } from "./simulator-store.js";

function unauthenticated(message: string): ApiError {
  return new ApiError(Code.UNAUTHENTICATED, message);
}

/**
 * authenticate resolves an `Authorization: Bearer <secret>` header to the principal owning the
 * API key. Missing, unknown, disabled, expired or not yet active keys are UNAUTHENTICATED, and
 * no message ever repeats the presented secret.
 */
export function authenticate(store: SimulatorStore, authorization: string | undefined): Caller {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (match === null) {
    throw unauthenticated('missing or malformed Authorization header: expected "Bearer <API key>"');
  }
  const keyId = store.apiKeySecrets.get(match[1] as string);
  const apiKey = keyId === undefined ? undefined : store.apiKeys.get(keyId);
  if (apiKey === undefined) throw unauthenticated("invalid API key");
  if (apiKey.spec?.disabled === true) throw unauthenticated("the API key is disabled");
  if (isApiKeyExpired(apiKey, store.now())) throw unauthenticated("the API key has expired");
  if (apiKey.state === ResourceState.ACTIVATING) throw unauthenticated("the API key is not active yet");
  const ownerId = apiKey.spec?.ownerId ?? "";
  if (apiKey.spec?.ownerType === OwnerType.USER) {
    const user = store.users.get(ownerId);
    if (user !== undefined) return { kind: "user", user, apiKey };
  } else {
    const serviceAccount = store.serviceAccounts.get(ownerId);
    if (serviceAccount !== undefined) return { kind: "serviceAccount", serviceAccount, apiKey };
  }
  throw unauthenticated("the owner of the API key no longer exists");
}
