import { create } from "@bufbuild/protobuf";
import {
  AddUserGroupMemberRequestSchema,
  AddUserGroupMemberResponseSchema,
  CreateUserGroupRequestSchema,
  CreateUserGroupResponseSchema,
  DeleteUserGroupRequestSchema,
  DeleteUserGroupResponseSchema,
  GetUserGroupMembersRequestSchema,
  GetUserGroupMembersResponseSchema,
  GetUserGroupRequestSchema,
  GetUserGroupResponseSchema,
  GetUserGroupsRequestSchema,
  GetUserGroupsResponseSchema,
  RemoveUserGroupMemberRequestSchema,
  RemoveUserGroupMemberResponseSchema,
  SetUserGroupNamespaceAccessRequestSchema,
  SetUserGroupNamespaceAccessResponseSchema,
  UpdateUserGroupRequestSchema,
  UpdateUserGroupResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import {
  UserGroupSpecSchema,
  type UserGroup,
  type UserGroupMemberId,
  type UserGroupSpec,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { isAdminRole, isEmail, normalizeAccess, requireAccountAdmin, roleOf, sameAccess } from "./access-policy.js";
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "./api-error.js";
import { atVersion } from "./api-version.js";
import { submitNamespaceAccess } from "./namespace-access.js";
import { keyedPage } from "./page-token.js";
import {
  found,
  nothingToChange,
  parse,
  requireVersion,
  respond,
  type Caller,
  type Route,
} from "./route.js";
import type { SimulatorStore } from "./simulator-store.js";

/**
 * groupHasNamespaceAccess reports whether a group appears under a namespace: with an explicit
 * access entry or through an ADMIN account role.
 */
export function groupHasNamespaceAccess(group: UserGroup, namespace: string): boolean {
  const access = group.spec?.access;
  return isAdminRole(roleOf(access)) || access?.namespaceAccesses[namespace] !== undefined;
}

function googleEmailOf(spec: UserGroupSpec | undefined): string | undefined {
  return spec?.groupType.case === "googleGroup" ? spec.groupType.value.emailAddress : undefined;
}

function normalizeGroupSpec(
  store: SimulatorStore,
  caller: Caller,
  spec: UserGroupSpec | undefined,
  previous: UserGroup | undefined,
  projects: boolean,
): UserGroupSpec {
  const displayName = spec?.displayName.trim() ?? "";
  if (displayName === "") throw invalidArgument("spec.displayName is required");
  let groupType = spec?.groupType ?? { case: undefined };
  if (groupType.case === undefined) {
    throw invalidArgument("exactly one of spec.googleGroup, spec.scimGroup and spec.cloudGroup must be set");
  }
  const previousType = previous?.spec?.groupType;
  if (previousType !== undefined) {
    // (inferred, docs/temporal-cloud-api.md, "Refused mutations") the group type is immutable, as are the Google address and the SCIM IdP id.
    if (previousType.case !== groupType.case) throw invalidArgument("the type of a user group cannot be changed");
    if (previousType.case === "googleGroup" && groupType.case === "googleGroup") {
      if (previousType.value.emailAddress !== groupType.value.emailAddress) {
        throw invalidArgument("spec.googleGroup.emailAddress cannot be changed");
      }
    }
    if (previousType.case === "scimGroup" && groupType.case === "scimGroup") {
      if (groupType.value.idpId !== "" && previousType.value.idpId !== groupType.value.idpId) {
        throw invalidArgument("spec.scimGroup.idpId cannot be changed");
      }
      // The IdP owns the id; an update that leaves it out keeps it.
      groupType = previousType;
    }
  } else {
    if (groupType.case === "scimGroup") {
      throw failedPrecondition("SCIM groups are managed by the identity provider and cannot be created through the API");
    }
    if (groupType.case === "googleGroup") {
      const email = groupType.value.emailAddress;
      if (!isEmail(email)) throw invalidArgument("spec.googleGroup.emailAddress must be a valid email address");
      for (const other of store.userGroups.values()) {
        if (googleEmailOf(other.spec)?.toLowerCase() === email.toLowerCase()) {
          throw alreadyExists(`a group for Google group ${email} already exists`);
        }
      }
    }
  }
  return create(UserGroupSpecSchema, {
    displayName,
    access: normalizeAccess(store, caller, spec?.access, previous?.spec?.access, projects),
    groupType,
  });
}

function memberUserId(memberId: UserGroupMemberId | undefined): string {
  const userId = memberId?.memberType.case === "userId" ? memberId.memberType.value : "";
  if (userId === "") throw invalidArgument("memberId.userId is required");
  return userId;
}

function requireCloudGroup(group: UserGroup, method: string): void {
  if (group.spec?.groupType.case !== "cloudGroup") {
    throw failedPrecondition(`${method} can only be used with Cloud group types`);
  }
}

const GROUPS_TAG = "user-groups";

/**
 * userGroupRoutes are the user-group methods: list (with filters), get, create, update,
 * delete, SetUserGroupNamespaceAccess and member management (Cloud groups only).
 */
export const userGroupRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/user-groups",
    name: "GetUserGroups",
    cacheable: true,
    handle(ctx) {
      const request = parse(ctx, GetUserGroupsRequestSchema);
      const { namespace, displayName } = request;
      const googleEmail = request.googleGroup?.emailAddress.toLowerCase() ?? "";
      const idpId = request.scimGroup?.idpId ?? "";
      const page = keyedPage(ctx.store.userGroups, GROUPS_TAG, request, (group) => {
        const spec = group.spec;
        if (namespace !== "" && !groupHasNamespaceAccess(group, namespace)) return undefined;
        if (displayName !== "" && spec?.displayName !== displayName) return undefined;
        if (googleEmail !== "" && googleEmailOf(spec)?.toLowerCase() !== googleEmail) return undefined;
        if (idpId !== "" && (spec?.groupType.case !== "scimGroup" || spec.groupType.value.idpId !== idpId)) {
          return undefined;
        }
        return atVersion(ctx.projects, group);
      });
      return respond(GetUserGroupsResponseSchema, {
        groups: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/user-groups/{groupId}",
    name: "GetUserGroup",
    handle(ctx) {
      const request = parse(ctx, GetUserGroupRequestSchema);
      return respond(GetUserGroupResponseSchema, {
        group: atVersion(ctx.projects, found(ctx.store.userGroups.get(request.groupId), "user group", request.groupId)),
      });
    },
  },
  {
    method: "POST",
    path: "/cloud/user-groups",
    name: "CreateUserGroup",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, CreateUserGroupRequestSchema);
      const record = ctx.operations.submit("CreateUserGroup", CreateUserGroupRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "creating user groups");
        const spec = normalizeGroupSpec(store, caller, request.spec, undefined, ctx.projects);
        const id = store.newId();
        return {
          target: { kind: "userGroup", id, state: ResourceState.ACTIVATING, bumpVersion: false },
          begin: () => store.addUserGroup({ id, spec }),
          apply: () => {},
          discard: () => store.deleteUserGroup(id),
          extras: { groupId: id },
        };
      });
      return respond(CreateUserGroupResponseSchema, {
        groupId: record.extras.groupId ?? "",
        asyncOperation: record.operation,
      });
    },
  },
  {
    method: "POST",
    path: "/cloud/user-groups/{groupId}",
    name: "UpdateUserGroup",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, UpdateUserGroupRequestSchema);
      const record = ctx.operations.submit("UpdateUserGroup", UpdateUserGroupRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "updating user groups");
        const group = found(store.userGroups.get(request.groupId), "user group", request.groupId);
        requireVersion(group, request.resourceVersion);
        const spec = normalizeGroupSpec(store, caller, request.spec, group, ctx.projects);
        if (spec.displayName === group.spec?.displayName && sameAccess(spec.access, group.spec.access)) {
          throw nothingToChange();
        }
        return {
          target: { kind: "userGroup", id: group.id, state: ResourceState.UPDATING },
          apply: () =>
            store.updateUserGroup(
              group.id,
              (current) => {
                current.displayName = spec.displayName;
                current.access = spec.access;
                current.groupType = spec.groupType;
              },
              { bumpVersion: false },
            ),
        };
      });
      return respond(UpdateUserGroupResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "DELETE",
    path: "/cloud/user-groups/{groupId}",
    name: "DeleteUserGroup",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, DeleteUserGroupRequestSchema);
      const record = ctx.operations.submit("DeleteUserGroup", DeleteUserGroupRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "deleting user groups");
        const group = found(store.userGroups.get(request.groupId), "user group", request.groupId);
        requireVersion(group, request.resourceVersion);
        if (group.spec?.groupType.case === "scimGroup") {
          throw failedPrecondition("SCIM groups are managed by the identity provider and cannot be deleted through the API");
        }
        return {
          target: { kind: "userGroup", id: group.id, state: ResourceState.DELETING },
          apply: () => store.deleteUserGroup(group.id),
        };
      });
      return respond(DeleteUserGroupResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "POST",
    path: "/cloud/namespaces/{namespace}/user-groups/{groupId}/access",
    name: "SetUserGroupNamespaceAccess",
    handle(ctx) {
      const request = parse(ctx, SetUserGroupNamespaceAccessRequestSchema);
      const record = submitNamespaceAccess(
        ctx,
        "SetUserGroupNamespaceAccess",
        SetUserGroupNamespaceAccessRequestSchema,
        request,
        "userGroup",
        request.groupId,
      );
      return respond(SetUserGroupNamespaceAccessResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "POST",
    path: "/cloud/user-groups/{groupId}/members",
    name: "AddUserGroupMember",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, AddUserGroupMemberRequestSchema);
      const record = ctx.operations.submit("AddUserGroupMember", AddUserGroupMemberRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "adding group members");
        const group = found(store.userGroups.get(request.groupId), "user group", request.groupId);
        requireCloudGroup(group, "AddUserGroupMember");
        const userId = memberUserId(request.memberId);
        found(store.users.get(userId), "user", userId);
        if (store.groupMembers(group.id)?.get(userId) !== undefined) {
          // (uncertain, docs/temporal-cloud-api.md, "User groups and members") ALREADY_EXISTS as suggested.
          throw alreadyExists(`user ${userId} is already a member of group ${group.id}`);
        }
        return {
          // Membership is not part of the group's spec: the group shows the operation but keeps its version.
          target: { kind: "userGroup", id: group.id, state: ResourceState.UPDATING, bumpVersion: false },
          apply: () => {
            store.addGroupMember(group.id, userId);
          },
        };
      });
      return respond(AddUserGroupMemberResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "POST",
    path: "/cloud/user-groups/{groupId}/remove-member",
    name: "RemoveUserGroupMember",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, RemoveUserGroupMemberRequestSchema);
      const record = ctx.operations.submit("RemoveUserGroupMember", RemoveUserGroupMemberRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "removing group members");
        const group = found(store.userGroups.get(request.groupId), "user group", request.groupId);
        requireCloudGroup(group, "RemoveUserGroupMember");
        const userId = memberUserId(request.memberId);
        if (store.groupMembers(group.id)?.get(userId) === undefined) {
          // (uncertain, docs/temporal-cloud-api.md, "User groups and members") NOT_FOUND as suggested.
          throw notFound(`user ${userId} is not a member of group ${group.id}`);
        }
        return {
          target: { kind: "userGroup", id: group.id, state: ResourceState.UPDATING, bumpVersion: false },
          apply: () => {
            store.removeGroupMember(group.id, userId);
          },
        };
      });
      return respond(RemoveUserGroupMemberResponseSchema, { asyncOperation: record.operation });
    },
  },
  {
    method: "GET",
    path: "/cloud/user-groups/{groupId}/members",
    name: "GetUserGroupMembers",
    cacheable: true,
    handle(ctx) {
      const request = parse(ctx, GetUserGroupMembersRequestSchema);
      const members = found(ctx.store.groupMembers(request.groupId), "user group", request.groupId);
      const tag = `user-group-members:${request.groupId}`;
      // (uncertain, docs/temporal-cloud-api.md, "Pagination") member order is undocumented; ascending user id.
      const page = keyedPage(members, tag, request, (m) => m);
      return respond(GetUserGroupMembersResponseSchema, {
        members: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
];
