import { createHash, generateKeyPairSync } from "node:crypto";
import { toJsonString, type DescMessage, type DescMethodUnary, type JsonObject, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { hasAnnotation } from "../connector/annotations.js";
import {
  AccountManagerService,
  BatonIDSchema,
  GrantManagerService,
  ResourceManagerService,
  type Entitlement,
  type Resource,
  type ResourceId,
} from "../connector/c1.js";
import type { Values } from "./config.js";
import type { ConnectorApi } from "../sync/syncer.js";
import type { C1zReader } from "../c1z/c1z-reader.js";
import { CommandError } from "./command-error.js";
import { PROTOCOL_REGISTRY } from "../connector/protocol-registry.js";

/** ProvisioningAction is one of baton's one-shot provisioning flags (docs/baton-protocol.md, "One-shot CLI mode"). */
export type ProvisioningAction =
  | { kind: "grant"; entitlementId: string; principalId: string; principalType: string }
  | { kind: "revoke"; grantId: string }
  | { kind: "create-account"; email: string; login: string; profile: JsonObject; resourceType: string }
  | { kind: "delete-resource"; resourceId: string; resourceType: string };

/**
 * provisioningActionOf reads the one-shot flags: undefined when none is set (a plain sync), or
 * a CommandError (exit code 2) when flags that go together are not all given, or more than one
 * action is asked for.
 */
export function provisioningActionOf(values: Values): ProvisioningAction | undefined {
  const flag = (name: string) => {
    const value = values[name];
    return typeof value === "string" ? value.trim() : "";
  };
  const groups: { flags: string[]; build: () => ProvisioningAction }[] = [
    {
      flags: ["grant-entitlement", "grant-principal", "grant-principal-type"],
      build: () => ({ kind: "grant", entitlementId: flag("grant-entitlement"), principalId: flag("grant-principal"), principalType: flag("grant-principal-type") }),
    },
    { flags: ["revoke-grant"], build: () => ({ kind: "revoke", grantId: flag("revoke-grant") }) },
    {
      flags: ["create-account-email", "create-account-login", "create-account-profile", "create-account-resource-type"],
      build: () => ({
        kind: "create-account",
        email: flag("create-account-email"),
        login: flag("create-account-login"),
        profile: profileOf(flag("create-account-profile")),
        resourceType: flag("create-account-resource-type"),
      }),
    },
    { flags: ["delete-resource", "delete-resource-type"], build: () => ({ kind: "delete-resource", resourceId: flag("delete-resource"), resourceType: flag("delete-resource-type") }) },
  ];
  const used = groups.filter((g) => g.flags.some((f) => flag(f) !== ""));
  if (used.length === 0) return undefined;
  if (used.length > 1) {
    throw new CommandError(`${used.map((g) => `--${g.flags[0]}`).join(" and ")} cannot be used together: run one provisioning action at a time`, 2);
  }
  const group = used[0]!;
  const required = group.flags[0] === "create-account-email" ? ["create-account-email"] : group.flags;
  const missing = required.filter((f) => flag(f) === "");
  if (missing.length > 0) {
    const together = required.length > 1 ? `${required.map((f) => `--${f}`).join(", ")} go together` : `--${required[0]} is required`;
    throw new CommandError(`${together}; missing ${missing.map((f) => `--${f}`).join(", ")}`, 2);
  }
  return group.build();
}

function profileOf(text: string): JsonObject {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CommandError(`--create-account-profile must be a JSON object, got "${text}"`, 2);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CommandError(`--create-account-profile must be a JSON object, got "${text}"`, 2);
  return parsed as JsonObject;
}

/** PreparedCall is a provisioning request built from the sync file, ready to send. */
export interface PreparedCall {
  /** What the call does, for messages: `grant namespace:…:read to user:…`. */
  readonly description: string;
  /** send calls the connector and renders its response as JSON. */
  send(api: ConnectorApi, signal?: AbortSignal): Promise<string>;
}

/**
 * prepareProvisioningCall builds the request the way the baton Go CLI does (docs/baton-protocol.md,
 * "Provisioning requests"): it reads the stored entitlement, resources and grant from the sync file
 * and sends them whole — the entitlement's resource replaced by the full stored resource, the full
 * stored principal, the stored grant's annotations on a revoke. An id the file does not hold is a
 * CommandError that says to run a sync first.
 */
export function prepareProvisioningCall(action: ProvisioningAction, reader: C1zReader | undefined, file: string): PreparedCall {
  const notFound = (what: string) => new CommandError(`${what} not found in ${file}; run a sync first`);
  const stored = () => {
    if (!reader) throw new Error(`${action.kind} needs the sync file`);
    return reader;
  };
  const resourceOf = (id: Pick<ResourceId, "resourceType" | "resource"> | undefined, what: string): Resource => {
    const found = id && stored().resource(id.resourceType, id.resource);
    if (!found) throw notFound(`${what} ${id ? `"${id.resourceType}:${id.resource}"` : "(no id)"}`);
    return found;
  };
  const hydrated = (entitlementId: string, what: string): Entitlement => {
    const entitlement = stored().entitlement(entitlementId);
    if (!entitlement) throw notFound(`${what} "${entitlementId}"`);
    return { ...entitlement, resource: resourceOf(entitlement.resource?.id, `resource of entitlement "${entitlementId}"`) };
  };

  switch (action.kind) {
    case "grant": {
      const entitlement = hydrated(action.entitlementId, "entitlement");
      // The Go CLI refuses these too: an external resource belongs to another connector.
      if (hasAnnotation(entitlement.resource!.annotations, BatonIDSchema)) {
        throw new CommandError(`entitlement "${action.entitlementId}" is on an external resource and cannot be granted by this connector`);
      }
      const principal = resourceOf({ resourceType: action.principalType, resource: action.principalId }, "principal");
      return call(GrantManagerService.method.grant, { entitlement, principal }, `grant ${action.entitlementId} to ${action.principalType}:${action.principalId}`);
    }
    case "revoke": {
      const grant = stored().grant(action.grantId);
      if (!grant) throw notFound(`grant "${action.grantId}"`);
      const entitlement = hydrated(grant.entitlement?.id ?? "", "entitlement of the grant");
      const principal = resourceOf(grant.principal?.id, "principal of the grant");
      return call(GrantManagerService.method.revoke, { grant: { id: grant.id, entitlement, principal, annotations: grant.annotations } }, `revoke ${action.grantId}`);
    }
    case "create-account": {
      // As the Go CLI: login and email copied into the profile, a 20-character random password
      // encrypted to a throwaway key (Temporal Cloud invites by email and never returns one).
      const profile: JsonObject = { ...action.profile, email: action.email, ...(action.login ? { login: action.login } : {}) };
      return call(
        AccountManagerService.method.createAccount,
        {
          accountInfo: { emails: [{ address: action.email, isPrimary: true }], login: action.login, profile },
          credentialOptions: { options: { case: "randomPassword", value: { length: 20n } } },
          encryptionConfigs: [throwawayJwkConfig()],
          resourceTypeId: action.resourceType,
        },
        `create account ${action.email}`,
      );
    }
    case "delete-resource": {
      const resource = resourceOf({ resourceType: action.resourceType, resource: action.resourceId }, "resource");
      return call(ResourceManagerService.method.deleteResource, { resourceId: resource.id, parentResourceId: resource.parentResourceId }, `delete ${action.resourceType}:${action.resourceId}`);
    }
  }
}

function call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, request: MessageInitShape<I>, description: string): PreparedCall {
  return {
    description,
    async send(api, signal) {
      const response: MessageShape<O> = await api.call(method, request, signal);
      return toJsonString(method.output, response, { registry: PROTOCOL_REGISTRY, prettySpaces: 2 });
    },
  };
}

/** throwawayJwkConfig is a `baton/jwk/v1` encryption config for a fresh Ed25519 key, as the Go CLI sends. */
function throwawayJwkConfig() {
  const { publicKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  // RFC 7638 thumbprint: the required members in lexicographic order, no whitespace.
  const thumbprint = createHash("sha256").update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })).digest("hex");
  return {
    provider: "baton/jwk/v1",
    keyId: thumbprint,
    config: { case: "jwkPublicKeyConfig" as const, value: { pubKey: new TextEncoder().encode(JSON.stringify(jwk)) } },
  };
}
