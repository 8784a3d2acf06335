import { createRegistry, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { hasAnnotation } from "../../src/connector/annotations.js";
import { GrantsService, ResourcesService, SkipEntitlementsAndGrantsSchema, type Resource } from "../../src/connector/c1.js";
import { PROTOCOL_FILES } from "../../src/connector/protocol-registry.js";
import { DEMO_ACCOUNT_ID, DEMO_IDS, generateAccount } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync, type ConnectorApi } from "../../src/sync/syncer.js";
import { scopeOf, type CorpusData } from "./fuzz-cases.js";
import { long } from "./fuzz-gen.js";
import { startStack, type Stack } from "./stack.js";

type Tokens = CorpusData["tokens"];

/** recordingApi passes calls to a client and keeps every page token a response hands out. */
function recordingApi(api: ConnectorApi, tokens: Tokens): ConnectorApi {
  return {
    async call(method, request, signal) {
      const res = await api.call(method, request, signal);
      const token = (res as { nextPageToken?: string }).nextPageToken;
      if (token) {
        const req: Record<string, unknown> = { ...(request as Record<string, unknown>), pageToken: undefined };
        // Replays use the fuzz's own sync ids: a token does not depend on the sync it came from.
        if (req.activeSyncId) req.activeSyncId = "fuzz-sync-a";
        const desc = method as DescMethod;
        tokens.push({ path: `/${desc.parent.typeName}/${desc.name}`, request: req, token, scope: scopeOf(desc, req) });
      }
      return res;
    },
  };
}

/** walk calls a list until its last page. */
async function walk(fetch: (pageToken: string) => Promise<{ nextPageToken: string }>): Promise<void> {
  let token = "";
  do token = (await fetch(token)).nextPageToken;
  while (token);
}

/** ForeignHarvest is what another account's connector handed out. */
export interface ForeignHarvest {
  tokens: Tokens;
  /** A sample of its resource ids: well-formed ids the demo account does not have. */
  ids: string[];
}

/**
 * harvestLargeAccount syncs a generated account with `users` users (over 1,000 makes the user list
 * and the account-role grants span several pages) on a connector of its own, and returns the page
 * tokens it handed out: on the demo account they are tokens of another connector and account.
 */
export async function harvestLargeAccount(users: number): Promise<ForeignHarvest> {
  const account = generateAccount({ users, serviceAccounts: 3, namespaces: 3, groups: 3, customRoles: 2, apiKeys: 3, seed: 7, now: new Date("2026-01-01T00:00:00Z") });
  const large = await startStack({ account, apiKey: account.apiKey });
  try {
    const tokens: Tokens = [];
    const api = recordingApi(large.client, tokens);
    const store = createMemoryStore();
    await runSync({ api, store });
    await walk((pageToken) => api.call(ResourcesService.method.listResources, { resourceTypeId: "user", pageToken }));
    for (const ns of store.resources.filter((r) => r.id!.resourceType === "namespace")) await walk((pageToken) => api.call(GrantsService.method.listGrants, { resource: ns, pageToken }));
    return { tokens: tokens.map((t) => ({ ...t, foreign: true })), ids: store.resources.filter((_, i) => i % 50 === 0).map((r) => r.id!.resource) };
  } finally {
    await large.close();
  }
}

/**
 * harvest collects real data through the real server: a full sync of the demo account
 * (resources, entitlements, grants) and the page tokens its lists hand out in and outside a
 * sync, then builds the dictionary random values are drawn from. Nothing in it names the
 * connector's own service account or API key: a fuzzed grant, revoke or delete must not take
 * away the connector's access midway (that would make every later answer PERMISSION_DENIED).
 */
export async function harvest(stack: Stack, foreign: ForeignHarvest): Promise<CorpusData> {
  const tokens: Tokens = [];
  const recording = recordingApi(stack.client, tokens);
  const store = createMemoryStore();
  await runSync({ api: recording, store });
  // Outside a sync the namespace grants walk the assignment endpoints, one page per phase.
  for (const ns of store.resources.filter((r) => r.id!.resourceType === "namespace")) await walk((pageToken) => recording.call(GrantsService.method.listGrants, { resource: ns, pageToken }));
  tokens.push(...foreign.tokens);
  if (tokens.length < 10) throw new Error(`harvest found only ${tokens.length} page tokens`);

  const protectedIds: string[] = [DEMO_IDS.serviceAccounts.batonConnector, DEMO_IDS.apiKeys.batonConnector];
  const touchesConnector = (text: string) => protectedIds.some((id) => text.includes(id));
  const emails = [
    ...Array.from({ length: 24 }, (_, i) => `fuzz-${i}@acme.example`),
    "alice@acme.example", "ALICE@ACME.EXAMPLE", "dave@acme.example", "not-an-email", "a@b", "@acme.example", "x@y.z", " spaced@acme.example ",
  ];
  const syncIds = ["", "", "", "fuzz-sync-a", "fuzz-sync-b", "fuzz-sync-c"];
  const byType = new Map<string, Resource[]>();
  for (const r of store.resources) byType.set(r.id!.resourceType, [...(byType.get(r.id!.resourceType) ?? []), r]);
  const sample = <T>(items: T[], n: number) => items.filter((_, i) => i % Math.max(1, Math.floor(items.length / n)) === 0).slice(0, n);
  const strings = [
    "", "", " ", "user", "namespace", "group", "service-account", "account-role", "custom-role", "api-key",
    "User", "users", "repository", "*", "%", ".", "..", "/", "../..", "a/b", "?x=1", "#", "%2F", "%00", "\u0000", "a\u0000b",
    "\uFFFD", "é", "😀", "日本語", "\u202E", "\r\n", "\t", "\\", '"', "'", "<script>", "${x}", "null", "undefined", "true", "0", "-1", "NaN",
    DEMO_ACCOUNT_ID, `${DEMO_ACCOUNT_ID}-admin`, `${DEMO_ACCOUNT_ID}-read`, `${DEMO_ACCOUNT_ID}-owner`, "member", "read", "write", "admin",
    ...emails,
    ...syncIds,
    ...[...byType.values()].flatMap((list) => sample(list, 12).map((r) => r.id!.resource)),
    ...sample(store.entitlements, 40).map((e) => e.id),
    ...sample(store.grants, 40).map((g) => g.id),
    ...Object.values(DEMO_IDS.namespaces).flatMap((ns) => [`namespace:${ns}:read`, `namespace:${ns}:admin`, `namespace:${ns}:nope`]),
    ...sample(tokens, 10).map((t) => t.token),
    ...foreign.ids,
    "temporal_audit_log", "baton_feed_event",
    "c1.connector.v2.ResourcesService", "grpc.health.v1.Health", "c1/connector/v2/resource.proto", "c1.connector.v2.Resource.id", "google.protobuf.Any",
    long(1024), long(1025),
  ].filter((s) => !touchesConnector(s));
  // Any payloads: every protocol message, the annotations the connector reads more often, junk.
  const messages = [...createRegistry(...PROTOCOL_FILES)].filter((d): d is DescMessage => d.kind === "message");
  const read = ["GrantImmutable", "GroupTrait", "TypeScopedGrants", "TypeScopedEntitlements", "UserTrait", "ChildResourceType"];
  const anyTypeUrls = [
    ...messages.map((m) => `type.googleapis.com/${m.typeName}`),
    ...read.flatMap((name) => new Array<string>(8).fill(`type.googleapis.com/c1.connector.v2.${name}`)),
    "", "garbage", "type.googleapis.com/", "type.googleapis.com/does.not.Exist",
  ];
  return {
    strings,
    anyTypeUrls,
    resources: store.resources.filter((r) => !touchesConnector(r.id!.resource)),
    entitlements: store.entitlements,
    grants: sample(store.grants, 2_000).filter((g) => !touchesConnector(g.id)),
    tokens,
    listless: store.resourceTypes.filter((t) => hasAnnotation(t.annotations, SkipEntitlementsAndGrantsSchema)).map((t) => t.id),
    emails,
    syncIds,
    protectedIds,
    sealSecret: stack.apiKey,
  };
}
