import { create } from "@bufbuild/protobuf";
import { ResourceIdSchema, type Resource } from "../connector/c1.js";
import { ResourceSchema } from "../connector/c1.js";
import type { SyncScope } from "../sync/syncer.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";

/** The one-shot provisioning flags: a sync scope makes no sense with them. */
const ACTIONS = ["grant-entitlement", "revoke-grant", "create-account-email", "create-account-login", "delete-resource"];

/**
 * syncScopeOf reads the scoping flags of `sync` (the Go SDK's): --skip-expand-grants,
 * --sync-resource-types, --sync-resources, --skip-entitlements-and-grants, --skip-grants. Like the
 * SDK's runner, --skip-grants needs --sync-resources. A command line that cannot work is a
 * CommandError with exit code 2.
 */
export function syncScopeOf(values: Values): SyncScope {
  const list = (name: string) =>
    typeof values[name] === "string"
      ? (values[name] as string)
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean)
      : [];
  const scope: SyncScope = {
    skipExpandGrants: values["skip-expand-grants"] === true,
    skipEntitlementsAndGrants: values["skip-entitlements-and-grants"] === true,
    skipGrants: values["skip-grants"] === true,
    resourceTypeIds: list("sync-resource-types"),
    targetedResources: list("sync-resources").map(parseResourceBid),
  };
  const scoped = scope.skipExpandGrants || scope.skipEntitlementsAndGrants || scope.skipGrants || scope.resourceTypeIds!.length > 0 || scope.targetedResources!.length > 0;
  const action = ACTIONS.find((name) => values[name] !== undefined);
  if (scoped && action) throw new CommandError(`--${action} runs one provisioning action, not a sync: it takes no sync scope flags`, 2);
  if (scope.skipGrants && scope.targetedResources!.length === 0) throw new CommandError("--skip-grants can only be used with --sync-resources (a targeted sync), as in the baton SDK", 2);
  return scope;
}

/**
 * parseResourceBid reads one resource of --sync-resources: baton's resource BID
 * `bid:r:<type>/<id>` or `bid:r:<parent type>/<parent id>/<type>/<id>` (a `\` escapes the next
 * character, so ids may hold `/`), or the same without the `bid:r:` prefix.
 */
export function parseResourceBid(text: string): Pick<Resource, "id" | "parentResourceId"> {
  const body = text.startsWith("bid:") ? (text.startsWith("bid:r:") ? text.slice("bid:r:".length) : undefined) : text;
  const parts: string[] = [""];
  let escaped = false;
  for (const ch of body ?? "") {
    if (escaped) {
      parts[parts.length - 1] += ch;
      escaped = false;
    } else if (ch === "\\") escaped = true;
    else if (ch === "/") parts.push("");
    else parts[parts.length - 1] += ch;
  }
  if (body === undefined || escaped || (parts.length !== 2 && parts.length !== 4) || parts.some((p) => p === "")) {
    throw new CommandError(`--sync-resources: "${text}" is not a resource; write bid:r:<type>/<id> (or <type>/<id>), with a parent bid:r:<parent type>/<parent id>/<type>/<id>`, 2);
  }
  const [a, b, c, d] = parts as [string, string, string?, string?];
  const resource = create(ResourceSchema, c === undefined ? { id: { resourceType: a, resource: b } } : { id: { resourceType: c, resource: d! }, parentResourceId: create(ResourceIdSchema, { resourceType: a, resource: b }) });
  return { id: resource.id, parentResourceId: resource.parentResourceId };
}
