import { timestampDate } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";
import { findAnnotation } from "../../src/connector/annotations.js";
import {
  ResourceType_Trait,
  ResourceTypesService,
  ResourcesService,
  SecurityInsightTraitSchema,
  SkipEntitlementsAndGrantsSchema,
  type Resource,
} from "../../src/connector/c1.js";
import { validateMessage } from "../../src/connector/validate.js";
import { AccountAccess_Role as Role, ProjectAccess_ProjectRole as ProjectRole, type Access } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { DEMO_IDS, generateAccount, type AccountData } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync, type ConnectorApi, type MemoryStore } from "../../src/sync/syncer.js";
import { startStack, type Stack } from "../helpers/stack.js";

const { users: U, serviceAccounts: SA, groups: G, apiKeys: K } = DEMO_IDS;

/** Finding is what a test compares of a security-insight resource. */
interface Finding {
  id: string;
  kind: string;
  severity: string;
  target: string;
}

function findingsOf(store: MemoryStore): { findings: Finding[]; resources: Resource[] } {
  const resources = store.resources.filter((r) => r.id!.resourceType === "security-insight");
  const findings = resources.map((r) => {
    const trait = findAnnotation(r.annotations, SecurityInsightTraitSchema)!;
    const issue = trait.insightType.case === "issue" ? trait.insightType.value : undefined;
    const target = trait.target.case === "resourceId" ? `${trait.target.value.resourceType}:${trait.target.value.resource}` : "";
    return { id: r.id!.resource, kind: issue?.value ?? "", severity: issue?.severity ?? "", target };
  });
  return { findings, resources };
}

/** withoutInsights hides the security-insight type from a syncer: a sync as before the type existed. */
function withoutInsights(api: ConnectorApi): ConnectorApi {
  return {
    async call(method, request, signal) {
      const response = await api.call(method, request, signal);
      if (method === (ResourceTypesService.method.listResourceTypes as unknown)) {
        const types = response as unknown as { list: { id: string }[] };
        types.list = types.list.filter((t) => t.id !== "security-insight");
      }
      return response;
    },
  };
}

async function fullSync(options: { account?: AccountData; insights: boolean }): Promise<{ store: MemoryStore; byRoute: Map<string, number>; started: Date; ended: Date }> {
  const stack: Stack = await startStack({ account: options.account });
  try {
    const store = createMemoryStore();
    const started = new Date();
    await runSync({ api: options.insights ? stack.client : withoutInsights(stack.client), store });
    return { store, byRoute: new Map(stack.simulator.stats.byRoute), started, ended: new Date() };
  } finally {
    await stack.close();
  }
}

/**
 * A full sync through the protocol lists, beside the access, the findings the rules of issue 16
 * give for the account (the expectations here are written from those rules, not from the
 * connector's code), observed at the sync's time, at no upstream request of their own.
 */
describe("security insights of the demo account", () => {
  let sync: Awaited<ReturnType<typeof fullSync>>;
  let without: Awaited<ReturnType<typeof fullSync>>;
  beforeAll(async () => {
    sync = await fullSync({ insights: true });
    without = await fullSync({ insights: false });
  });

  it("announces security-insight as a TRAIT_SECURITY_INSIGHT type without entitlements or grants", () => {
    const type = sync.store.resourceTypes.find((t) => t.id === "security-insight")!;
    expect(type).toMatchObject({ displayName: "Security Insight", traits: [ResourceType_Trait.SECURITY_INSIGHT] });
    expect(findAnnotation(type.annotations, SkipEntitlementsAndGrantsSchema)).toBeTruthy();
    expect(sync.store.entitlements.filter((e) => e.resource?.id?.resourceType === "security-insight")).toEqual([]);
    expect(sync.store.grants.filter((g) => g.entitlement?.resource?.id?.resourceType === "security-insight")).toEqual([]);
  });

  it("lists exactly the findings of the demo account, in id order", () => {
    const { findings } = findingsOf(sync.store);
    const f = (kind: string, severity: string, type: string, id: string) => ({ id: `${kind}:${type}:${id}`, kind, severity, target: `${type}:${id}` });
    expect(findings).toEqual([
      f("admin-count", "medium", "account-role", "acme7-admin"),
      f("api-key-expired", "low", "api-key", K.paymentsWorker2025),
      f("api-key-long-lived", "medium", "api-key", K.aliceLaptop),
      f("api-key-long-lived", "medium", "api-key", K.ciDeployerProd),
      f("api-key-long-lived", "medium", "api-key", K.batonConnector),
      f("api-key-orphaned", "high", "api-key", K.contractorExport),
      f("group-grants-admin", "high", "group", G.admins),
      f("invitation-expired-with-access", "medium", "user", U.heidi),
      f("service-account-admin", "high", "service-account", SA.batonConnector),
      f("service-account-admin", "high", "service-account", SA.deployBot),
      // Admin of a project (API v0.18.0): the same rule, within the project.
      f("service-account-admin", "high", "service-account", SA.paymentsDeployer),
    ]);
  });

  it("names each finding in a sentence a reviewer understands", () => {
    const names = findingsOf(sync.store).resources.map((r) => r.displayName);
    expect(names).toEqual([
      "4 users and service accounts hold Account Owner or Account Admin, more than the 3 allowed for 10 users",
      "API key payments-worker-2025 expired on 2025-06-30 but was never disabled or deleted",
      expect.stringMatching(/^API key alice-laptop is valid for \d+ days \(until \d{4}-\d\d-\d\d\), more than the 90 allowed$/),
      expect.stringMatching(/^API key ci-deployer-prod is valid for \d+ days \(until \d{4}-\d\d-\d\d\), more than the 90 allowed$/),
      expect.stringMatching(/^API key baton-connector is valid for \d+ days \(until \d{4}-\d\d-\d\d\), more than the 90 allowed$/),
      `API key contractor-export is enabled but its owner, user ${DEMO_IDS.removedUsers.contractor}, is no longer in the account`,
      "Group Admins makes every member an Account Admin",
      "User heidi@acme.example never accepted an invitation that expired on 2025-01-15 but still holds read on orders-prod.acme7",
      "Service account baton-connector holds Account Admin",
      "Service account deploy-bot holds Account Admin",
      "Service account payments-deployer is Admin of project Payments",
    ]);
    const descriptions = new Map(findingsOf(sync.store).resources.map((r) => [r.id!.resource, r.description]));
    expect(descriptions.get(`service-account-admin:service-account:${SA.paymentsDeployer}`)).toBe(
      "A service account holds the Admin role of a project: its API keys can change the project's namespaces and who may access them.",
    );
    expect(descriptions.get(`service-account-admin:service-account:${SA.deployBot}`)).toMatch(/^A service account holds the Account Admin role/);
  });

  it("observes every finding at the sync's one time, and satisfies the protocol's field rules", () => {
    const { resources } = findingsOf(sync.store);
    const times = new Set(resources.map((r) => timestampDate(findAnnotation(r.annotations, SecurityInsightTraitSchema)!.observedAt!).getTime()));
    expect(times.size).toBe(1);
    const [observed] = [...times];
    expect(observed).toBeGreaterThanOrEqual(sync.started.getTime());
    expect(observed).toBeLessThanOrEqual(sync.ended.getTime());
    for (const r of resources) {
      expect(() => validateMessage(SecurityInsightTraitSchema, findAnnotation(r.annotations, SecurityInsightTraitSchema)!)).not.toThrow();
      expect(r.description).not.toBe("");
      expect(r.profile).toMatchObject({ kind: expect.any(String), severity: expect.any(String), target_type: expect.any(String), target_id: expect.any(String) });
    }
  });

  it("makes no upstream request of its own: the same requests as a sync without the type", () => {
    expect(Object.fromEntries(sync.byRoute)).toEqual(Object.fromEntries(without.byRoute));
    expect(findingsOf(without.store).findings).toEqual([]);
  });

  it("outside a sync, lists the same findings observed at the call's time", async () => {
    const stack = await startStack();
    try {
      const before = Date.now();
      const page = await stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "security-insight" });
      const after = Date.now();
      expect(page.nextPageToken).toBe("");
      expect(page.list.map((r) => r.id!.resource)).toEqual(findingsOf(sync.store).findings.map((f) => f.id));
      for (const r of page.list) {
        const observed = timestampDate(findAnnotation(r.annotations, SecurityInsightTraitSchema)!.observedAt!).getTime();
        expect(observed).toBeGreaterThanOrEqual(before);
        expect(observed).toBeLessThanOrEqual(after);
      }
    } finally {
      await stack.close();
    }
  });
});

/**
 * expectedFindings applies the rules of issue 16 to an account's data, written apart from the
 * connector's code: what the findings of a sync of that account at `now` must be.
 */
function expectedFindings(account: AccountData, now: Date): Finding[] {
  const out: Finding[] = [];
  const add = (kind: string, severity: string, type: string, id: string) => out.push({ id: `${kind}:${type}:${id}`, kind, severity, target: `${type}:${id}` });
  const role = (access: Access | undefined) => access?.accountAccess?.role ?? Role.UNSPECIFIED;
  const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t === undefined ? undefined : Number(t.seconds) * 1000 + t.nanos / 1e6);
  const invitationExpired = (u: AccountData["users"][number]) => u.invitation?.expiredTime !== undefined && ms(u.invitation.expiredTime)! <= now.getTime();

  for (const sa of account.serviceAccounts) {
    const projectAdmin =
      sa.spec?.projectScopedAccess?.access?.role === ProjectRole.ADMIN || Object.values(sa.spec?.access?.projectAccesses ?? {}).some((p) => p.role === ProjectRole.ADMIN);
    if ((!sa.spec?.namespaceScopedAccess && role(sa.spec?.access) === Role.ADMIN) || projectAdmin) add("service-account-admin", "high", "service-account", sa.id);
  }
  for (const g of account.groups) if (role(g.spec?.access) === Role.ADMIN) add("group-grants-admin", "high", "group", g.id);
  const users = new Map(account.users.map((u) => [u.id, u]));
  const serviceAccounts = new Set(account.serviceAccounts.map((s) => s.id));
  for (const k of account.apiKeys) {
    const expiry = ms(k.spec?.expiryTime);
    const expired = k.state === ResourceState.EXPIRED || (expiry !== undefined && expiry <= now.getTime());
    if (k.spec?.disabled) continue;
    if (expired) {
      add("api-key-expired", "low", "api-key", k.id);
      continue;
    }
    const owner = users.get(k.spec?.ownerId ?? "");
    if ((!owner && !serviceAccounts.has(k.spec?.ownerId ?? "")) || (owner && invitationExpired(owner))) add("api-key-orphaned", "high", "api-key", k.id);
    const created = ms(k.createdTime);
    if (created !== undefined && (expiry === undefined || expiry - created > 90 * 24 * 3600 * 1000)) add("api-key-long-lived", "medium", "api-key", k.id);
  }
  for (const u of account.users) {
    if (!invitationExpired(u)) continue;
    const access = u.spec?.access;
    const aboveRead = [Role.OWNER, Role.ADMIN, Role.DEVELOPER, Role.FINANCE_ADMIN].includes(role(access));
    if (aboveRead || (access?.accountAccess?.customRoles.length ?? 0) > 0 || Object.keys(access?.namespaceAccesses ?? {}).length > 0) add("invitation-expired-with-access", "medium", "user", u.id);
  }
  const admins =
    account.users.filter((u) => [Role.OWNER, Role.ADMIN].includes(role(u.spec?.access))).length +
    account.serviceAccounts.filter((s) => !s.spec?.namespaceScopedAccess && role(s.spec?.access) === Role.ADMIN).length;
  if (admins > Math.max(3, account.users.length * 0.05)) add("admin-count", "medium", "account-role", `${account.accountId}-admin`);
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

describe("security insights of a generated account", () => {
  // Enough API keys for more than one page of findings (1,000 a page).
  const account = generateAccount({ users: 2_000, serviceAccounts: 150, namespaces: 10, groups: 30, customRoles: 5, apiKeys: 9_000, seed: 16 });
  let sync: Awaited<ReturnType<typeof fullSync>>;
  let without: Awaited<ReturnType<typeof fullSync>>;
  beforeAll(async () => {
    sync = await fullSync({ account, insights: true });
    without = await fullSync({ account, insights: false });
  }, 60_000);

  it("holds a case of every kind, and the findings the rules give, over several pages", () => {
    const { findings, resources } = findingsOf(sync.store);
    const observed = timestampDate(findAnnotation(resources[0]!.annotations, SecurityInsightTraitSchema)!.observedAt!);
    const expected = expectedFindings(account, observed);
    expect(expected.length).toBeGreaterThan(1000);
    expect(new Set(expected.map((f) => f.kind))).toEqual(
      new Set(["service-account-admin", "group-grants-admin", "api-key-orphaned", "api-key-long-lived", "api-key-expired", "invitation-expired-with-access", "admin-count"]),
    );
    expect(findings).toEqual(expected);
  });

  it("makes no upstream request of its own", () => {
    expect(Object.fromEntries(sync.byRoute)).toEqual(Object.fromEntries(without.byRoute));
  });
});

