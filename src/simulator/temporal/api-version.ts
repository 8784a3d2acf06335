import { clone } from "@bufbuild/protobuf";
import {
  ServiceAccountSchema,
  UserGroupSchema,
  UserSchema,
  type ServiceAccount,
  type User,
  type UserGroup,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { invalidArgument } from "./api-error.js";

/** VERSION_HEADER is the request header that selects the API version. */
export const VERSION_HEADER = "temporal-cloud-api-version";

// Semver releases of cloud-api and the older dated form (docs/temporal-cloud-api.md, "Version header").
const VERSION_PATTERN = /^(v\d+\.\d+\.\d+|\d{4}-\d{2}-\d{2}-\d{2})$/;

/**
 * hasProjects reads a request's version header and tells whether that version has projects
 * (v0.18.0 and later). No header means the latest version; the dated values predate projects
 * ((uncertain) how the server maps them). Anything else is INVALID_ARGUMENT.
 */
export function hasProjects(header: string | string[] | undefined): boolean {
  if (typeof header !== "string" || header === "") return true;
  // (uncertain, docs/temporal-cloud-api.md, "Version header") unknown versions; refusing anything but the two known forms.
  if (!VERSION_PATTERN.test(header)) throw invalidArgument(`unsupported ${VERSION_HEADER} header value ${JSON.stringify(header)}`);
  const release = /^v(\d+)\.(\d+)\.(\d+)$/.exec(header);
  if (!release) return false;
  const [major, minor] = [Number(release[1]), Number(release[2])];
  return major > 0 || minor >= 18;
}

/**
 * atVersion is a principal as a request of its version sees it. Below v0.18.0, project access
 * is left out (upstream marks Access.project_accesses min_version=v0.18.0), and project-scoped
 * service accounts are not shown at all ((inferred): a client of that version cannot tell them
 * from account-scoped ones without access, and an update from it would lose their scope).
 */
export function atVersion<T extends User | UserGroup | ServiceAccount>(projects: boolean, principal: T): T | undefined {
  if (projects) return principal;
  const spec = principal.spec;
  if (spec && "projectScopedAccess" in spec && spec.projectScopedAccess !== undefined) return undefined;
  if (Object.keys(spec?.access?.projectAccesses ?? {}).length === 0) return principal;
  const copy = cloneOf(principal);
  copy.spec!.access!.projectAccesses = {};
  return copy;
}

function cloneOf<T extends User | UserGroup | ServiceAccount>(principal: T): T {
  switch (principal.$typeName) {
    case "temporal.api.cloud.identity.v1.User":
      return clone(UserSchema, principal) as T;
    case "temporal.api.cloud.identity.v1.UserGroup":
      return clone(UserGroupSchema, principal) as T;
    default:
      return clone(ServiceAccountSchema, principal as ServiceAccount) as T;
  }
}
