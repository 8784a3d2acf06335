import type { Any } from "@bufbuild/protobuf/wkt";
import { findAnnotation } from "../../src/connector/annotations.js";
import {
  GrantAlreadyExistsSchema,
  GrantAlreadyRevokedSchema,
  GrantManagerService,
  GrantReplacedSchema,
  GrantsService,
  RequestIdSchema,
  ResourceDoesNotExistSchema,
  type Grant,
} from "../../src/connector/c1.js";
import type { ConnectorApi } from "../../src/sync/syncer.js";

/** ref builds a resource reference from "type:id". */
export function ref(typeAndId: string) {
  const at = typeAndId.indexOf(":");
  return { id: { resourceType: typeAndId.slice(0, at), resource: typeAndId.slice(at + 1) } };
}

/** entitlementRef builds the entitlement of an id `<type>:<resource>:<slug>` (the resource id may contain dots). */
export function entitlementRef(entitlementId: string) {
  const [type, ...rest] = entitlementId.split(":");
  const slug = rest.pop()!;
  return { id: entitlementId, slug, resource: ref(`${type}:${rest.join(":")}`) };
}

/** outcome reads the provisioning annotations of a response. */
export function outcome(annotations: Any[]) {
  return {
    alreadyExists: Boolean(findAnnotation(annotations, GrantAlreadyExistsSchema)),
    alreadyRevoked: Boolean(findAnnotation(annotations, GrantAlreadyRevokedSchema)),
    doesNotExist: Boolean(findAnnotation(annotations, ResourceDoesNotExistSchema)),
    replaced: findAnnotation(annotations, GrantReplacedSchema)?.replacedGrantId,
    requestId: findAnnotation(annotations, RequestIdSchema)?.requestId,
  };
}

/** Provisioner calls Grant and Revoke the way the baton CLI builds them. */
export function provisioner(api: ConnectorApi) {
  return {
    async grant(entitlementId: string, principal: string) {
      const res = await api.call(GrantManagerService.method.grant, { entitlement: entitlementRef(entitlementId), principal: ref(principal) });
      return { grants: res.grants, ...outcome(res.annotations) };
    },
    async revoke(grantOrId: string | Grant) {
      const grant =
        typeof grantOrId === "string"
          ? (() => {
              // A grant id is `<entitlement id>:<principal type>:<principal id>`.
              const parts = grantOrId.split(":");
              const principal = `${parts[parts.length - 2]}:${parts[parts.length - 1]}`;
              const entitlementId = parts.slice(0, -2).join(":");
              return { id: grantOrId, entitlement: entitlementRef(entitlementId), principal: ref(principal) };
            })()
          : grantOrId;
      const res = await api.call(GrantManagerService.method.revoke, { grant });
      return outcome(res.annotations);
    },
    /** grantsOf lists every grant id of a resource ("type:id"), outside a sync. */
    async grantsOf(resource: string): Promise<string[]> {
      const ids: string[] = [];
      let pageToken = "";
      do {
        const res = await api.call(GrantsService.method.listGrants, { resource: ref(resource), pageToken });
        ids.push(...res.list.map((g) => g.id));
        pageToken = res.nextPageToken;
      } while (pageToken);
      return ids.sort();
    },
  };
}
