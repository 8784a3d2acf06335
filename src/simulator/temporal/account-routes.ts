import {
  GetAccountResponseSchema,
  GetAsyncOperationRequestSchema,
  GetAsyncOperationResponseSchema,
  GetCurrentIdentityResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import { apiKeyView } from "./api-key-routes.js";
import { atVersion } from "./api-version.js";
import { found, parse, respond, type Route } from "./route.js";

/**
 * accountRoutes are the account-wide reads: the caller's identity, the account and async
 * operations.
 */
export const accountRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/current-identity",
    name: "GetCurrentIdentity",
    handle({ caller, store, projects }) {
      return respond(GetCurrentIdentityResponseSchema, {
        principal:
          caller.kind === "user"
            ? { case: "user", value: atVersion(projects, caller.user)! }
            : // A project-scoped caller of an older version still learns who it is.
              { case: "serviceAccount", value: atVersion(projects, caller.serviceAccount) ?? caller.serviceAccount },
        principalApiKey: apiKeyView(caller.apiKey, store.now()),
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/account",
    name: "GetAccount",
    cacheable: true,
    handle({ store }) {
      return respond(GetAccountResponseSchema, { account: store.account });
    },
  },
  {
    method: "GET",
    path: "/cloud/operations/{asyncOperationId}",
    name: "GetAsyncOperation",
    handle(ctx) {
      const request = parse(ctx, GetAsyncOperationRequestSchema);
      const id = request.asyncOperationId;
      return respond(GetAsyncOperationResponseSchema, {
        asyncOperation: found(ctx.store.operations.get(id), "async operation", id),
      });
    },
  },
];
