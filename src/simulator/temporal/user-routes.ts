import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  CreateUserRequestSchema,
  CreateUserResponseSchema,
  DeleteUserRequestSchema,
  DeleteUserResponseSchema,
  GetUserRequestSchema,
  GetUserResponseSchema,
  GetUsersRequestSchema,
  GetUsersResponseSchema,
  SetUserNamespaceAccessRequestSchema,
  SetUserNamespaceAccessResponseSchema,
  UpdateUserRequestSchema,
  UpdateUserResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import { AccountAccess_Role, type User } from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import {
  isAdminRole,
  isEmail,
  normalizeAccess,
  OWNER_ROLE_MESSAGE,
  requireAccountAdmin,
  roleOf,
  sameAccess,
} from "./access-policy.js";
import { alreadyExists, failedPrecondition, invalidArgument } from "./api-error.js";
import { atVersion } from "./api-version.js";
import { submitNamespaceAccess } from "./namespace-access.js";
import { keyedPage } from "./page-token.js";
import { found, nothingToChange, parse, requireVersion, respond, type Route } from "./route.js";
import type { SimulatorStore } from "./simulator-store.js";

/** INVITATION_LIFETIME_MS is how long an invitation stays open ((uncertain) docs/temporal-cloud-api.md, "Users and invitations"; 7 days chosen). */
export const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * userHasNamespaceAccess reports whether a user appears under a namespace: with an explicit
 * access entry, or through the OWNER/ADMIN account role. Access through groups does not count
 * ((uncertain) docs/temporal-cloud-api.md, "Namespace access and inherited access": the proto mentions only account roles).
 */
export function userHasNamespaceAccess(user: User, namespace: string): boolean {
  const access = user.spec?.access;
  return isAdminRole(roleOf(access)) || access?.namespaceAccesses[namespace] !== undefined;
}

function findUserByEmail(store: SimulatorStore, email: string): User | undefined {
  const wanted = email.toLowerCase();
  for (const user of store.users.values()) {
    if (user.spec?.email.toLowerCase() === wanted) return user;
  }
  return undefined;
}

/**
 * userRoutes are the user methods: list, get, create (invite), update, delete and
 * SetUserNamespaceAccess.
 */
export const userRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/users",
    name: "GetUsers",
    cacheable: true,
    handle(ctx) {
      const request = parse(ctx, GetUsersRequestSchema);
      // (uncertain, docs/temporal-cloud-api.md, "Filters") case sensitivity of the email filter; addresses compare case-insensitively.
      const email = request.email.toLowerCase();
      const { namespace } = request;
      const page = keyedPage(ctx.store.users, "users", request, (user) => {
        if (email !== "" && user.spec?.email.toLowerCase() !== email) return undefined;
        if (namespace !== "" && !userHasNamespaceAccess(user, namespace)) return undefined;
        return atVersion(ctx.projects, user);
      });
      return respond(GetUsersResponseSchema, {
        users: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/users/{userId}",
    name: "GetUser",
    handle(ctx) {
      const request = parse(ctx, GetUserRequestSchema);
      return respond(GetUserResponseSchema, {
        user: atVersion(ctx.projects, found(ctx.store.users.get(request.userId), "user", request.userId)),
      });
    },
  },
  {
    method: "POST",
    path: "/cloud/users",
    name: "CreateUser",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, CreateUserRequestSchema);
      const record = ctx.operations.submit("CreateUser", CreateUserRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "inviting users");
        const email = request.spec?.email.trim() ?? "";
        if (!isEmail(email)) throw invalidArgument("spec.email must be a valid email address");
        if (findUserByEmail(store, email) !== undefined) {
          // (inferred, docs/temporal-cloud-api.md, "Refused mutations") an email belongs to one account: ALREADY_EXISTS.
          throw alreadyExists(`a user with email ${email} already exists`);
        }
        const access = normalizeAccess(store, caller, request.spec?.access, undefined, ctx.projects);
        const id = store.newId();
        const now = store.now();
        return {
          target: { kind: "user", id, state: ResourceState.ACTIVATING, bumpVersion: false },
          // CreateUser is an invitation: the user exists (ACTIVATING, then ACTIVE) with an open invitation.
          begin: () =>
            store.addUser({
              id,
              spec: { email, access },
              createdTime: timestampFromMs(now),
              invitation: {
                createdTime: timestampFromMs(now),
                expiredTime: timestampFromMs(now + INVITATION_LIFETIME_MS),
              },
            }),
          apply: () => {},
          discard: () => store.deleteUser(id),
          extras: { userId: id },
        };
      });
      return respond(CreateUserResponseSchema, {
        userId: record.extras.userId ?? "",
        asyncOperation: record.operation,
      });
    },
  },
  {
    method: "POST",
    path: "/cloud/users/{userId}",
    name: "UpdateUser",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, UpdateUserRequestSchema);
      const record = ctx.operations.submit("UpdateUser", UpdateUserRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "updating users");
        const user = found(store.users.get(request.userId), "user", request.userId);
        requireVersion(user, request.resourceVersion);
        const currentEmail = user.spec?.email ?? "";
        const email = request.spec?.email.trim() ?? "";
        // (uncertain, docs/temporal-cloud-api.md, "Users and invitations") email mutability is undocumented; treated as immutable.
        if (email !== "" && email.toLowerCase() !== currentEmail.toLowerCase()) {
          throw invalidArgument("spec.email cannot be changed");
        }
        const access = normalizeAccess(store, caller, request.spec?.access, user.spec?.access, ctx.projects);
        if (sameAccess(access, user.spec?.access)) throw nothingToChange();
        return {
          target: { kind: "user", id: user.id, state: ResourceState.UPDATING },
          apply: () =>
            store.updateUser(
              user.id,
              (spec) => {
                spec.access = access;
              },
              { bumpVersion: false },
            ),
        };
      });
      return respond(UpdateUserResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "DELETE",
    path: "/cloud/users/{userId}",
    name: "DeleteUser",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, DeleteUserRequestSchema);
      const record = ctx.operations.submit("DeleteUser", DeleteUserRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "deleting users");
        const user = found(store.users.get(request.userId), "user", request.userId);
        requireVersion(user, request.resourceVersion);
        if (roleOf(user.spec?.access) === AccountAccess_Role.OWNER) {
          // (uncertain, docs/temporal-cloud-api.md, "Refused mutations") FAILED_PRECONDITION or PERMISSION_DENIED; the former chosen.
          throw failedPrecondition(`the Account Owner cannot be deleted: ${OWNER_ROLE_MESSAGE}`);
        }
        return {
          target: { kind: "user", id: user.id, state: ResourceState.DELETING },
          apply: () => store.deleteUser(user.id),
        };
      });
      return respond(DeleteUserResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "POST",
    path: "/cloud/namespaces/{namespace}/users/{userId}/access",
    name: "SetUserNamespaceAccess",
    handle(ctx) {
      const request = parse(ctx, SetUserNamespaceAccessRequestSchema);
      const record = submitNamespaceAccess(
        ctx,
        "SetUserNamespaceAccess",
        SetUserNamespaceAccessRequestSchema,
        request,
        "user",
        request.userId,
      );
      return respond(SetUserNamespaceAccessResponseSchema, { asyncOperation: record.operation });
    },
  },
];

