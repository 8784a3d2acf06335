import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAnnotation } from "../../src/connector/annotations.js";
import {
  EntitlementImmutableSchema,
  Entitlement_PurposeValue,
  GrantExpandableSchema,
  GrantImmutableSchema,
  GroupTraitSchema,
  ResourceType_Trait,
  SecretTraitSchema,
  SkipEntitlementsAndGrantsSchema,
  Status_ResourceStatus,
  UserTraitSchema,
  UserTrait_AccountType,
  V1IdentifierSchema,
  type Grant,
  type Resource,
} from "../../src/connector/c1.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { DEFAULT_API_VERSION } from "../../src/temporal/api-version.js";
import { createMemoryStore, runSync, type MemoryStore } from "../../src/sync/syncer.js";
import { startStack, type Stack } from "../helpers/stack.js";

const { users: U, serviceAccounts: SA, groups: G, customRoles: CR, apiKeys: K, namespaces: NS, projects: P } = DEMO_IDS;

/**
 * A full sync of the demo account, driven over real gRPC exactly as the Go syncer drives a
 * connector, must show every identity and every piece of access — exactly, nothing more. At API
 * version v0.17.1 that is exactly what it was before projects (API v0.18.0) existed; at the
 * default version the same, plus the projects, their roles and the project-scoped service account.
 */
describe.each([
  { apiVersion: "v0.17.1", projects: false },
  { apiVersion: DEFAULT_API_VERSION, projects: true },
])("full sync of the demo account at API $apiVersion", ({ apiVersion, projects }) => {
  let stack: Stack;
  let store: MemoryStore;
  let upstreamRequests: number;
  /** withProjects is `extra` at an API version with projects, nothing before. */
  const withProjects = <T>(...extra: T[]): T[] => (projects ? extra : []);

  beforeAll(async () => {
    stack = await startStack({ connector: { apiVersion } });
    store = createMemoryStore();
    // What the connector itself lists: the grants expansion derives from them are the syncer's (test/c1z/golden-sync.test.ts).
    await runSync({ api: stack.client, store, skipExpandGrants: true });
    upstreamRequests = stack.simulator.stats.requests;
  });
  afterAll(() => stack.close());

  const resource = (type: string, id: string): Resource => {
    const found = store.resources.find((r) => r.id?.resourceType === type && r.id.resource === id);
    if (!found) throw new Error(`no resource ${type}:${id}`);
    return found;
  };

  it("announces the resource types of docs/compatibility.md plus groups, custom roles, API keys and security insights", () => {
    expect(store.resourceTypes.map((t) => [t.id, t.displayName, t.traits])).toEqual([
      ["security-insight", "Security Insight", [ResourceType_Trait.SECURITY_INSIGHT]],
      ["account-role", "Account Role", [ResourceType_Trait.ROLE]],
      ["api-key", "API Key", [ResourceType_Trait.SECRET]],
      ["custom-role", "Custom Role", [ResourceType_Trait.ROLE]],
      ["namespace", "Namespace", []],
      ...withProjects(["project", "Project", []]),
      ["service-account", "Service Account", [ResourceType_Trait.USER]],
      ["user", "User", [ResourceType_Trait.USER]],
      ["group", "Group", [ResourceType_Trait.GROUP]],
    ]);
    const skipped = store.resourceTypes.filter((t) => findAnnotation(t.annotations, SkipEntitlementsAndGrantsSchema)).map((t) => t.id);
    expect(skipped).toEqual(["security-insight", "api-key", "service-account", "user"]);
  });

  it("lists every resource with its display name", () => {
    const summary = store.resources.map((r) => `${r.id!.resourceType}:${r.id!.resource}=${r.displayName}`).sort();
    expect(summary).toEqual(
      [
        "account-role:acme7-owner=Account Owner",
        "account-role:acme7-admin=Account Admin",
        "account-role:acme7-developer=Account Developer",
        "account-role:acme7-finance-admin=Account Finance Admin",
        "account-role:acme7-read=Account Read",
        "account-role:acme7-metrics-read=Account Metrics Read",
        `api-key:${K.aliceLaptop}=alice-laptop`,
        `api-key:${K.carolCli}=carol-cli`,
        `api-key:${K.ciDeployerProd}=ci-deployer-prod`,
        `api-key:${K.batonConnector}=baton-connector`,
        `api-key:${K.paymentsWorker2025}=payments-worker-2025`,
        `api-key:${K.metricsOld}=metrics-old`,
        `api-key:${K.contractorExport}=contractor-export`,
        `custom-role:${CR.deployApprover}=deploy-approver`,
        `custom-role:${CR.incidentResponder}=incident-responder`,
        `custom-role:${CR.billingViewer}=billing-viewer`,
        `group:${G.platformEngineering}=Platform Engineering`,
        `group:${G.sreOnCall}=SRE On-Call`,
        `group:${G.dataAnalysts}=Data Analysts`,
        `group:${G.finance}=Finance`,
        `group:${G.admins}=Admins`,
        `namespace:${NS.paymentsProd}=${NS.paymentsProd}`,
        `namespace:${NS.paymentsDev}=${NS.paymentsDev}`,
        `namespace:${NS.ordersProd}=${NS.ordersProd}`,
        `namespace:${NS.analytics}=${NS.analytics}`,
        `service-account:${SA.ciDeployer}=ci-deployer`,
        `service-account:${SA.batonConnector}=baton-connector`,
        `service-account:${SA.metricsExporter}=metrics-exporter`,
        `service-account:${SA.paymentsWorker}=payments-worker`,
        `service-account:${SA.analyticsReader}=analytics-reader`,
        `service-account:${SA.legacyBatch}=legacy-batch`,
        // No name: the id is shown (docs/compatibility.md, "Resource types").
        `service-account:${SA.unnamed}=${SA.unnamed}`,
        `service-account:${SA.deployBot}=deploy-bot`,
        ...withProjects(`service-account:${SA.paymentsDeployer}=payments-deployer`, `project:${P.default}=Default`, `project:${P.payments}=Payments`, `project:${P.data}=Data`),
        ...Object.entries(U).map(([name, id]) => `user:${id}=${name}@acme.example`),
        // The findings (test/server/security-insights.test.ts checks them in full).
        ...[
          "admin-count:account-role:acme7-admin",
          `api-key-expired:api-key:${K.paymentsWorker2025}`,
          `api-key-long-lived:api-key:${K.aliceLaptop}`,
          `api-key-long-lived:api-key:${K.ciDeployerProd}`,
          `api-key-long-lived:api-key:${K.batonConnector}`,
          `api-key-orphaned:api-key:${K.contractorExport}`,
          `group-grants-admin:group:${G.admins}`,
          `invitation-expired-with-access:user:${U.heidi}`,
          `service-account-admin:service-account:${SA.batonConnector}`,
          `service-account-admin:service-account:${SA.deployBot}`,
          ...withProjects(`service-account-admin:service-account:${SA.paymentsDeployer}`),
        ].map((id) => `security-insight:${id}=${resource("security-insight", id).displayName}`),
      ].sort(),
    );
  });

  it("describes users with their trait, legacy id and invitation state", () => {
    const carol = resource("user", U.carol);
    const trait = findAnnotation(carol.annotations, UserTraitSchema)!;
    expect(trait.emails).toEqual([expect.objectContaining({ address: "carol@acme.example", isPrimary: true })]);
    expect(trait.login).toBe("carol@acme.example");
    expect(trait.accountType).toBe(UserTrait_AccountType.HUMAN);
    expect(findAnnotation(carol.annotations, V1IdentifierSchema)?.id).toBe("user:carol@acme.example");
    expect(carol.status?.status).toBe(Status_ResourceStatus.ENABLED);
    expect(timestampDate(carol.createdAt!).toISOString()).toBe("2024-03-18T10:00:00.000Z");
    expect(carol.profile).toMatchObject({ account_role: "developer", custom_roles: CR.deployApprover, email: "carol@acme.example" });

    const grace = resource("user", U.grace);
    expect(grace.status?.status).toBe(Status_ResourceStatus.ENABLED);
    expect(grace.status?.details).toMatch(/^invitation pending until \d{4}-/);
    expect(grace.profile).toMatchObject({ invitation_status: "pending" });

    const heidi = resource("user", U.heidi);
    expect(heidi.status?.status).toBe(Status_ResourceStatus.DISABLED);
    expect(heidi.status?.details).toBe("invitation expired on 2025-01-15T10:00:00.000Z without being accepted");
    expect(heidi.profile).toMatchObject({ invitation_status: "expired" });
  });

  it("describes service accounts, with their scope", () => {
    const worker = resource("service-account", SA.paymentsWorker);
    expect(findAnnotation(worker.annotations, UserTraitSchema)?.accountType).toBe(UserTrait_AccountType.SERVICE);
    expect(worker.profile).toMatchObject({ scope: "namespace", namespace: NS.paymentsProd, namespace_permission: "write", account_role: "read" });
    expect(worker.description).toBe("Payments workers");
    expect(resource("service-account", SA.ciDeployer).profile).toMatchObject({ scope: "account", account_role: "developer" });
    if (projects) expect(resource("service-account", SA.paymentsDeployer).profile).toMatchObject({ scope: "project", project_id: P.payments, project_role: "admin" });
  });

  it("names the project of each namespace, from API v0.18.0 only", () => {
    const projectOf = Object.fromEntries(Object.values(NS).map((ns) => [ns, resource("namespace", ns).profile?.project_id]));
    const expected = { [NS.paymentsProd]: P.payments, [NS.paymentsDev]: P.payments, [NS.ordersProd]: P.default, [NS.analytics]: P.data };
    expect(projectOf).toEqual(projects ? expected : Object.fromEntries(Object.values(NS).map((ns) => [ns, undefined])));
  });

  it.runIf(projects)("describes projects, and their roles with Developer held by the Account Developer role only", () => {
    const payments = resource("project", P.payments);
    expect(payments).toMatchObject({ displayName: "Payments", description: "Payment processing, production and development", status: { status: Status_ResourceStatus.ENABLED } });
    expect(payments.profile).toEqual({ project_id: P.payments, name: "Payments", delete_protection: true, state: "active" });
    expect(timestampDate(payments.createdAt!).toISOString()).toBe("2026-07-20T09:00:00.000Z");
    const byId = new Map(store.entitlements.map((e) => [e.id, e]));
    const write = byId.get(`project:${P.payments}:write`)!;
    expect(write).toMatchObject({ displayName: "Project Payments Write", slug: "write", purpose: Entitlement_PurposeValue.PERMISSION });
    expect(write.grantableTo.map((t) => t.id)).toEqual(["user", "service-account", "group"]);
    expect(findAnnotation(write.annotations, EntitlementImmutableSchema)).toBeUndefined();
    const developer = byId.get(`project:${P.payments}:developer`)!;
    expect(developer.grantableTo.map((t) => t.id)).toEqual(["account-role"]);
    expect(findAnnotation(developer.annotations, EntitlementImmutableSchema)?.metadata).toEqual({ reason: "the Developer project role comes with the Account Developer role and cannot be assigned directly" });
  });

  it("describes groups by source", () => {
    const source = (id: string) => findAnnotation(resource("group", id).annotations, GroupTraitSchema)?.groupSourceType;
    expect([source(G.platformEngineering), source(G.sreOnCall), source(G.dataAnalysts)]).toEqual(["google", "scim", "cloud"]);
    expect(resource("group", G.platformEngineering).profile).toMatchObject({ email: "platform-eng@acme.example", account_role: "developer" });
    expect(resource("group", G.sreOnCall).profile).toMatchObject({ idp_id: "00g1sreoncall" });
  });

  it("shows API keys with their owner, expiry, and disabled or expired status", () => {
    const secret = (id: string) => findAnnotation(resource("api-key", id).annotations, SecretTraitSchema)!;
    expect(secret(K.aliceLaptop).identityId).toMatchObject({ resourceType: "user", resource: U.alice });
    expect(secret(K.ciDeployerProd).identityId).toMatchObject({ resourceType: "service-account", resource: SA.ciDeployer });
    expect(timestampDate(secret(K.paymentsWorker2025).expiresAt!).toISOString()).toBe("2025-06-30T00:00:00.000Z");
    expect(timestampDate(secret(K.aliceLaptop).expiresAt!).getTime()).toBeGreaterThan(Date.now());
    expect(resource("api-key", K.paymentsWorker2025).status).toMatchObject({ status: Status_ResourceStatus.DISABLED, details: "expired on 2025-06-30T00:00:00.000Z" });
    expect(resource("api-key", K.metricsOld).status).toMatchObject({ status: Status_ResourceStatus.DISABLED, details: "disabled" });
    expect(resource("api-key", K.carolCli).status?.status).toBe(Status_ResourceStatus.ENABLED);
    expect(store.resources.filter((r) => r.id!.resourceType === "api-key").every((r) => !JSON.stringify(r.profile).includes("tcsim-"))).toBe(true);
  });

  it("offers the entitlements of docs/compatibility.md, with immutable owner and finance-admin roles", () => {
    const ns = Object.values(NS).flatMap((n) => ["admin", "write", "read"].map((p) => `namespace:${n}:${p}`));
    const roles = ["owner", "admin", "developer", "finance-admin", "read", "metrics-read"].map((r) => `account-role:acme7-${r}:member`);
    const groups = Object.values(G).map((g) => `group:${g}:member`);
    const custom = Object.values(CR).map((c) => `custom-role:${c}:member`);
    const projectRoles = withProjects(...Object.values(P)).flatMap((p) => ["admin", "write", "read", "list", "contribute", "member", "developer"].map((r) => `project:${p}:${r}`));
    expect(store.entitlements.map((e) => e.id).sort()).toEqual([...ns, ...roles, ...groups, ...custom, ...projectRoles].sort());

    const byId = new Map(store.entitlements.map((e) => [e.id, e]));
    const read = byId.get(`namespace:${NS.paymentsProd}:read`)!;
    expect(read).toMatchObject({ displayName: `Namespace ${NS.paymentsProd} Read`, description: `Access to ${NS.paymentsProd} namespace in Temporal Cloud`, slug: "read", purpose: Entitlement_PurposeValue.PERMISSION });
    expect(read.grantableTo.map((t) => t.id)).toEqual(["user", "service-account", "group"]);
    expect(findAnnotation(read.annotations, V1IdentifierSchema)?.id).toBe(`namespace:${NS.paymentsProd}:read`);
    const owner = byId.get("account-role:acme7-owner:member")!;
    expect(owner).toMatchObject({ displayName: "Account Owner Role Member", description: "Has the Account Owner role in Temporal Cloud", purpose: Entitlement_PurposeValue.ASSIGNMENT });
    expect(findAnnotation(owner.annotations, V1IdentifierSchema)?.id).toBe("membership:acme7-owner");
    const immutable = store.entitlements.filter((e) => findAnnotation(e.annotations, EntitlementImmutableSchema)).map((e) => e.id);
    // Owner and finance admin are synced, never provisioned; Google/SCIM memberships belong to the IdP.
    const developer = withProjects(...Object.values(P)).map((p) => `project:${p}:developer`);
    expect(immutable.sort()).toEqual(["account-role:acme7-finance-admin:member", "account-role:acme7-owner:member", `group:${G.platformEngineering}:member`, `group:${G.sreOnCall}:member`, ...developer].sort());
  });

  /** Every grant, summarised as id plus its annotations: E(sources) expandable, I immutable, V1(id). */
  const summary = (g: Grant) => {
    const marks: string[] = [];
    const expandable = findAnnotation(g.annotations, GrantExpandableSchema);
    if (expandable) marks.push(`E(${expandable.entitlementIds.join(",")})`);
    if (findAnnotation(g.annotations, GrantImmutableSchema)) marks.push("I");
    const v1 = findAnnotation(g.annotations, V1IdentifierSchema);
    if (v1) marks.push(`V1(${v1.id})`);
    return [g.id, ...marks].join(" ");
  };

  it("grants exactly the access the demo account holds: explicit, group, inherited, custom roles and memberships", () => {
    const role = (r: string, type: string, id: string, marks = "") =>
      `account-role:acme7-${r}:member:${type}:${id}${type === "user" ? ` ${marks}V1(grant:membership:acme7-${r}:${id})` : marks ? ` ${marks.trim()}` : ""}`;
    const ns = (n: string, p: string, type: string, id: string, marks = "") =>
      `namespace:${n}:${p}:${type}:${id}${type === "user" ? ` V1(grant:namespace:${n}:${p}:${id})` : marks ? ` ${marks}` : ""}`;
    const expandable = (type: string, id: string) => `E(${type}:${id}:member)`;
    const inherited = (n: string) => ["owner", "admin"].map((r) => `namespace:${n}:admin:account-role:acme7-${r} E(account-role:acme7-${r}:member) I`);
    const project = (p: string, r: string, type: string, id: string, marks = "") => `project:${p}:${r}:${type}:${id}${marks ? ` ${marks}` : ""}`;
    expect(store.grants.map(summary).sort()).toEqual(
      [
        role("owner", "user", U.alice, "I "),
        role("admin", "user", U.bob),
        role("admin", "service-account", SA.batonConnector),
        role("admin", "service-account", SA.deployBot),
        role("admin", "group", G.admins, expandable("group", G.admins)),
        role("developer", "user", U.carol),
        role("developer", "user", U.grace),
        role("developer", "user", U.judy),
        role("developer", "service-account", SA.ciDeployer),
        role("developer", "group", G.platformEngineering, expandable("group", G.platformEngineering)),
        role("finance-admin", "user", U.erin, "I "),
        role("read", "user", U.dave),
        role("read", "user", U.heidi),
        role("read", "service-account", SA.legacyBatch),
        role("read", "service-account", SA.unnamed),
        // Namespace-scoped service accounts always have Read; it cannot be revoked on its own.
        role("read", "service-account", SA.paymentsWorker, "I"),
        role("read", "service-account", SA.analyticsReader, "I"),
        role("read", "group", G.sreOnCall, expandable("group", G.sreOnCall)),
        role("read", "group", G.dataAnalysts, expandable("group", G.dataAnalysts)),
        role("metrics-read", "user", U.frank),
        role("metrics-read", "service-account", SA.metricsExporter),

        ns(NS.paymentsProd, "write", "user", U.carol),
        ns(NS.paymentsProd, "write", "service-account", SA.ciDeployer),
        ns(NS.paymentsProd, "write", "service-account", SA.paymentsWorker, "I"),
        ns(NS.paymentsProd, "admin", "group", G.sreOnCall, expandable("group", G.sreOnCall)),
        ns(NS.paymentsDev, "admin", "user", U.carol),
        ns(NS.paymentsDev, "write", "user", U.grace),
        ns(NS.paymentsDev, "write", "group", G.platformEngineering, expandable("group", G.platformEngineering)),
        ns(NS.ordersProd, "read", "user", U.dave),
        ns(NS.ordersProd, "read", "user", U.heidi),
        ns(NS.ordersProd, "write", "service-account", SA.ciDeployer),
        ns(NS.ordersProd, "read", "group", G.platformEngineering, expandable("group", G.platformEngineering)),
        ns(NS.ordersProd, "admin", "group", G.sreOnCall, expandable("group", G.sreOnCall)),
        ns(NS.analytics, "write", "user", U.dave),
        ns(NS.analytics, "read", "service-account", SA.analyticsReader, "I"),
        ns(NS.analytics, "write", "group", G.dataAnalysts, expandable("group", G.dataAnalysts)),
        ...Object.values(NS).flatMap(inherited),
        // The project-scoped service account's permission on a namespace of its project can change.
        ...withProjects(ns(NS.paymentsDev, "write", "service-account", SA.paymentsDeployer)),

        ...withProjects(
          project(P.payments, "write", "user", U.carol),
          project(P.payments, "contribute", "user", U.judy),
          project(P.payments, "write", "service-account", SA.ciDeployer),
          project(P.payments, "admin", "group", G.sreOnCall, expandable("group", G.sreOnCall)),
          // Its role comes with its scope: it can change, not go.
          project(P.payments, "admin", "service-account", SA.paymentsDeployer, "I"),
          project(P.data, "read", "user", U.dave),
          project(P.data, "list", "user", U.frank),
          project(P.data, "write", "group", G.dataAnalysts, expandable("group", G.dataAnalysts)),
          project(P.default, "member", "service-account", SA.legacyBatch),
          project(P.default, "member", "group", G.platformEngineering, expandable("group", G.platformEngineering)),
          // Inherited, like owners' and admins' namespace admin: the Account Developer role's, expanded to its holders.
          ...Object.values(P).map((p) => project(p, "developer", "account-role", "acme7-developer", "E(account-role:acme7-developer:member) I")),
        ),

        `custom-role:${CR.deployApprover}:member:user:${U.carol}`,
        `custom-role:${CR.deployApprover}:member:service-account:${SA.ciDeployer}`,
        `custom-role:${CR.incidentResponder}:member:user:${U.judy}`,
        `custom-role:${CR.incidentResponder}:member:group:${G.sreOnCall} ${expandable("group", G.sreOnCall)}`,

        `group:${G.platformEngineering}:member:user:${U.carol} I`,
        `group:${G.platformEngineering}:member:user:${U.dave} I`,
        `group:${G.sreOnCall}:member:user:${U.ivan} I`,
        `group:${G.sreOnCall}:member:user:${U.judy} I`,
        `group:${G.dataAnalysts}:member:user:${U.dave}`,
        `group:${G.dataAnalysts}:member:user:${U.frank}`,
        `group:${G.dataAnalysts}:member:user:${U.heidi}`,
        `group:${G.finance}:member:user:${U.erin}`,
      ].sort(),
    );
  });

  it("embeds the entitlement and principal identities every reader dereferences", () => {
    for (const g of store.grants) {
      expect(g.id).toBe(`${g.entitlement!.id}:${g.principal!.id!.resourceType}:${g.principal!.id!.resource}`);
      expect(g.entitlement!.id.startsWith(`${g.entitlement!.resource!.id!.resourceType}:${g.entitlement!.resource!.id!.resource}:`)).toBe(true);
    }
  });

  it("reads each upstream list once: 13 requests for the whole account, and the projects' page", () => {
    // current identity + account (Validate), one page each of users, service accounts, groups,
    // namespaces, custom roles and API keys, and the members of each of the five groups; from
    // API v0.18.0 one page of projects too, and nothing else.
    expect(upstreamRequests).toBe(projects ? 14 : 13);
    expect(Object.fromEntries(stack.simulator.stats.byRoute)).toEqual({
      ...(projects ? { GetProjects: 1 } : {}),
      GetCurrentIdentity: 1,
      GetAccount: 1,
      GetUsers: 1,
      GetServiceAccounts: 1,
      GetUserGroups: 1,
      GetNamespaces: 1,
      GetCustomRoles: 1,
      GetApiKeys: 1,
      GetUserGroupMembers: 5,
    });
  });

  it("lists the same entitlements and grants per resource, as older syncers ask for them", async () => {
    const legacy = createMemoryStore();
    const before = stack.simulator.stats.requests;
    await runSync({ api: stack.client, store: legacy, typeScoped: false, skipExpandGrants: true });
    expect(legacy.entitlements.map((e) => e.id).sort()).toEqual(store.entitlements.map((e) => e.id).sort());
    expect(legacy.grants.map(summary).sort()).toEqual(store.grants.map(summary).sort());
    // The same lists, once each (the account id is remembered by the process).
    expect(stack.simulator.stats.requests - before).toBe(upstreamRequests - 1);
  });
});
