import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { annotation } from "../connector/annotations.js";
import { ResourceTypeSchema, ResourceType_Trait, SkipEntitlementsAndGrantsSchema, type ResourceType } from "../connector/c1.js";

// Resource type ids and display names are a wire contract (docs/compatibility.md, "Resource types"): never change them.

/** TypeOf is a resource type whose id is known to the compiler, so that code names ids by their constant. */
export type TypeOf<Id extends string> = ResourceType & { readonly id: Id };

/** resourceType declares a resource type; its id keeps its literal type (USER.id is "user"). */
function resourceType<const Id extends string>(init: MessageInitShape<typeof ResourceTypeSchema> & { id: Id }): TypeOf<Id> {
  return create(ResourceTypeSchema, init) as TypeOf<Id>;
}

/** USER is a human member of the Temporal Cloud account. */
export const USER = resourceType({
  id: "user",
  displayName: "User",
  traits: [ResourceType_Trait.USER],
  description: "A person with access to the Temporal Cloud account, including pending invitations.",
  // Users hold access; they have no entitlements of their own, so the syncer need not ask.
  annotations: [annotation(SkipEntitlementsAndGrantsSchema)],
});

/** SERVICE_ACCOUNT is a non-human identity that authenticates with API keys. */
export const SERVICE_ACCOUNT = resourceType({
  id: "service-account",
  displayName: "Service Account",
  traits: [ResourceType_Trait.USER],
  description: "A machine identity of the account, scoped to the whole account or to one namespace.",
  annotations: [annotation(SkipEntitlementsAndGrantsSchema)],
});

/** NAMESPACE carries the admin, write and read permissions. */
export const NAMESPACE = resourceType({
  id: "namespace",
  displayName: "Namespace",
  description: "A Temporal Cloud namespace; principals hold admin, write or read on it.",
});

/** ACCOUNT_ROLE is one of the six built-in account roles. */
export const ACCOUNT_ROLE = resourceType({
  id: "account-role",
  displayName: "Account Role",
  traits: [ResourceType_Trait.ROLE],
  description: "A built-in account role; every principal holds exactly one.",
});

/** GROUP is a user group (Google, SCIM or Cloud). */
export const GROUP = resourceType({
  id: "group",
  displayName: "Group",
  traits: [ResourceType_Trait.GROUP],
  description: "A user group whose members share its account role, namespace permissions and custom roles.",
});

/** CUSTOM_ROLE is a set of permissions granted on top of a built-in account role. */
export const CUSTOM_ROLE = resourceType({
  id: "custom-role",
  displayName: "Custom Role",
  traits: [ResourceType_Trait.ROLE],
  description: "A custom role: extra permissions held by users, groups and account-scoped service accounts.",
});

/**
 * PROJECT is a Temporal Cloud project (API v0.18.0 and later): namespaces grouped under their
 * own access control, where principals hold a project role.
 */
export const PROJECT = resourceType({
  id: "project",
  displayName: "Project",
  description: "A Temporal Cloud project: a group of namespaces in which principals hold a project role.",
});

/** API_KEY is a bearer credential of a user or service account. */
export const API_KEY = resourceType({
  id: "api-key",
  displayName: "API Key",
  traits: [ResourceType_Trait.SECRET],
  description: "An API key: the credential a user or service account uses to reach Temporal Cloud.",
  annotations: [annotation(SkipEntitlementsAndGrantsSchema)],
});

/**
 * SECURITY_INSIGHT is one access-risk finding about another resource (an admin service account,
 * an orphaned API key…), computed from what a sync lists anyway (insight-rules.ts).
 */
export const SECURITY_INSIGHT = resourceType({
  id: "security-insight",
  displayName: "Security Insight",
  traits: [ResourceType_Trait.SECURITY_INSIGHT],
  description: "An access-risk finding about a user, service account, group, API key or account role of the account.",
  // A finding is a fact about another resource: it has no entitlements or grants of its own.
  annotations: [annotation(SkipEntitlementsAndGrantsSchema)],
});

/** PRINCIPAL_TYPES are the types that hold access: namespace permissions, account roles, custom roles. */
export const PRINCIPAL_TYPES = [USER, SERVICE_ACCOUNT, GROUP] as const;

/** PrincipalTypeId is the id of a principal type. */
export type PrincipalTypeId = (typeof PRINCIPAL_TYPES)[number]["id"];
