import { create } from "@bufbuild/protobuf";
import {
  CreateCustomRoleRequestSchema,
  CreateCustomRoleResponseSchema,
  DeleteCustomRoleRequestSchema,
  DeleteCustomRoleResponseSchema,
  GetCustomRoleRequestSchema,
  GetCustomRoleResponseSchema,
  GetCustomRolesRequestSchema,
  GetCustomRolesResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import { CustomRoleSpecSchema, type CustomRoleSpec } from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { requireAccountAdmin } from "./access-policy.js";
import { alreadyExists, failedPrecondition, invalidArgument } from "./api-error.js";
import { keyedPage } from "./page-token.js";
import { found, parse, requireVersion, respond, type Route } from "./route.js";
import type { SimulatorStore } from "./simulator-store.js";

const CUSTOM_ROLES_TAG = "custom-roles";

/** ACTION_PATTERN is the shape of custom-role action strings, e.g. "cloud.namespace.get" (docs/temporal-cloud-api.md, "Custom roles"). */
const ACTION_PATTERN = /^cloud\.[a-z]+\.[A-Za-z]+$/;

function validateCustomRoleSpec(store: SimulatorStore, spec: CustomRoleSpec | undefined): CustomRoleSpec {
  const name = spec?.name.trim() ?? "";
  if (name === "") throw invalidArgument("spec.name is required");
  for (const role of store.customRoles.values()) {
    // (inferred) role names are unique within an account.
    if (role.spec?.name === name) throw alreadyExists(`a custom role named ${name} already exists`);
  }
  const permissions = spec?.permissions ?? [];
  if (permissions.length === 0) throw invalidArgument("spec.permissions must not be empty");
  permissions.forEach((permission, i) => {
    const resources = permission.resources;
    // (uncertain, docs/temporal-cloud-api.md, "Custom roles") the accepted resourceType set is undocumented; any lower-case word.
    if (resources === undefined || !/^[a-z][a-z_]*$/.test(resources.resourceType)) {
      throw invalidArgument(`spec.permissions[${i}].resources.resourceType must be a lower-case type such as "namespace"`);
    }
    if (resources.allowAll === resources.resourceIds.length > 0) {
      throw invalidArgument(`spec.permissions[${i}].resources: set either allowAll or resourceIds`);
    }
    if (resources.resourceType === "namespace") {
      for (const id of resources.resourceIds) {
        if (store.namespaces.get(id) === undefined) throw invalidArgument(`namespace not found: ${id}`);
      }
    }
    if (permission.actions.length === 0 || !permission.actions.every((a) => ACTION_PATTERN.test(a))) {
      throw invalidArgument(`spec.permissions[${i}].actions must be action names such as "cloud.namespace.get"`);
    }
  });
  return create(CustomRoleSpecSchema, { name, description: spec?.description ?? "", permissions });
}

function principalsWithRole(store: SimulatorStore, roleId: string): number {
  let count = 0;
  const has = (roles: string[] | undefined) => roles?.includes(roleId) === true;
  for (const user of store.users.values()) if (has(user.spec?.access?.accountAccess?.customRoles)) count++;
  for (const sa of store.serviceAccounts.values()) if (has(sa.spec?.access?.accountAccess?.customRoles)) count++;
  for (const group of store.userGroups.values()) if (has(group.spec?.access?.accountAccess?.customRoles)) count++;
  return count;
}

/**
 * customRoleRoutes are the custom-role methods. UpdateCustomRole is left out: the proto subset
 * in proto/ has no UpdateCustomRoleRequest.
 */
export const customRoleRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/custom-roles",
    name: "GetCustomRoles",
    cacheable: true,
    handle(ctx) {
      // (uncertain, docs/temporal-cloud-api.md, "Who may call what") who may read custom roles; every principal may here.
      const request = parse(ctx, GetCustomRolesRequestSchema);
      const page = keyedPage(ctx.store.customRoles, CUSTOM_ROLES_TAG, request, (r) => r);
      return respond(GetCustomRolesResponseSchema, {
        customRoles: page.rows,
        nextPageToken: page.nextPageToken,
      });
    },
  },
  {
    method: "GET",
    path: "/cloud/custom-roles/{roleId}",
    name: "GetCustomRole",
    handle(ctx) {
      const request = parse(ctx, GetCustomRoleRequestSchema);
      return respond(GetCustomRoleResponseSchema, {
        customRole: found(ctx.store.customRoles.get(request.roleId), "custom role", request.roleId),
      });
    },
  },
  {
    method: "POST",
    path: "/cloud/custom-roles",
    name: "CreateCustomRole",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, CreateCustomRoleRequestSchema);
      const record = ctx.operations.submit("CreateCustomRole", CreateCustomRoleRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "creating custom roles");
        const spec = validateCustomRoleSpec(store, request.spec);
        const id = store.newId();
        return {
          target: { kind: "customRole", id, state: ResourceState.ACTIVATING, bumpVersion: false },
          begin: () => store.addCustomRole({ id, spec }),
          apply: () => {},
          discard: () => store.deleteCustomRole(id),
          extras: { roleId: id },
        };
      });
      return respond(CreateCustomRoleResponseSchema, {
        roleId: record.extras.roleId ?? "",
        asyncOperation: record.operation,
      });
    },
  },
  {
    method: "DELETE",
    path: "/cloud/custom-roles/{roleId}",
    name: "DeleteCustomRole",
    handle(ctx) {
      const { store, caller } = ctx;
      const request = parse(ctx, DeleteCustomRoleRequestSchema);
      const record = ctx.operations.submit("DeleteCustomRole", DeleteCustomRoleRequestSchema, request, () => {
        requireAccountAdmin(store, caller, "deleting custom roles");
        const role = found(store.customRoles.get(request.roleId), "custom role", request.roleId);
        requireVersion(role, request.resourceVersion);
        const holders = principalsWithRole(store, role.id);
        if (holders > 0) {
          // (uncertain, docs/temporal-cloud-api.md, "Custom roles") deleting an attached role is undocumented; refused here.
          throw failedPrecondition(`custom role ${role.id} is still assigned to ${holders} principal(s)`);
        }
        return {
          target: { kind: "customRole", id: role.id, state: ResourceState.DELETING },
          apply: () => store.deleteCustomRole(role.id),
        };
      });
      return respond(DeleteCustomRoleResponseSchema, { asyncOperation: record.operation });
    },
  },
];
