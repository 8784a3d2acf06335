import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrantsService, GrantsServiceListGrantsResponseSchema, ResourcesService, ResourcesServiceListResourcesResponseSchema, TypeScopedGrantsSchema } from "../../src/connector/c1.js";
import { createTemporalConnector } from "../../src/app/app.js";
import { createLogger } from "../../src/logger.js";
import { startServer } from "../../src/server/server.js";
import { generateAccount } from "../../src/simulator/temporal/index.js";
import { createGrpcClient } from "../../src/sync/grpc-client.js";
import { startStack, type Stack } from "../helpers/stack.js";

const account = generateAccount({ users: 2_500, serviceAccounts: 20, namespaces: 2, groups: 3, customRoles: 3, apiKeys: 10, seed: 7 });

/**
 * Page tokens are self-contained: a list started on one connector process finishes on another
 * (a restart, or another replica) with every item exactly once. Pages never exceed the gRPC
 * message limit, whatever the data.
 */
describe("paging", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ account });
  });
  afterAll(() => stack.close());

  /** restarted starts a second connector process-equivalent (fresh state) on the same simulator. */
  async function restarted() {
    const log = createLogger({ level: "error", format: "json", destination: { write: () => true } });
    const app = createTemporalConnector({ baseUrl: stack.simulator.url, apiKey: account.apiKey, allowInsecure: true, provisioning: false, log });
    const server = await startServer({ connector: app.connector, log, host: "127.0.0.1", port: 0 });
    const client = createGrpcClient({ address: `127.0.0.1:${server.port}` });
    return {
      client,
      async close() {
        client.close();
        await server.close();
        await app.close();
      },
    };
  }

  it("resumes a resource list on a restarted connector with every user exactly once", async () => {
    const activeSyncId = "sync-restart-1";
    const first = await stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", activeSyncId });
    expect(first.nextPageToken).not.toBe("");
    const ids = first.list.map((r) => r.id!.resource);
    const other = await restarted();
    try {
      let pageToken = first.nextPageToken;
      while (pageToken) {
        const res = await other.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", pageToken, activeSyncId });
        ids.push(...res.list.map((r) => r.id!.resource));
        pageToken = res.nextPageToken;
      }
    } finally {
      await other.close();
    }
    expect(ids).toHaveLength(account.users.length);
    expect(new Set(ids).size).toBe(account.users.length);
  });

  it("resumes a grants list after a restart, inside and outside a sync", async () => {
    // The type-scoped list of every namespace's grants: long enough for several pages.
    const typeScoped = [anyPack(TypeScopedGrantsSchema, create(TypeScopedGrantsSchema))];
    for (const activeSyncId of ["sync-restart-2", ""]) {
      const all: string[] = [];
      let pageToken = "";
      let page = 0;
      let client = stack.client;
      let other: Awaited<ReturnType<typeof restarted>> | undefined;
      do {
        const res = await client.call(GrantsService.method.listGrants, { resource: { id: { resourceType: "namespace", resource: "namespace" } }, pageToken, activeSyncId, annotations: typeScoped });
        all.push(...res.list.map((g) => g.id));
        pageToken = res.nextPageToken;
        if (++page === 1) {
          other = await restarted();
          client = other.client;
        }
      } while (pageToken);
      await other?.close();
      expect(page, activeSyncId || "outside a sync").toBeGreaterThan(1);
      expect(new Set(all).size, activeSyncId || "outside a sync").toBe(all.length);
      const explicit = account.users.reduce((n, u) => n + Object.keys(u.spec?.access?.namespaceAccesses ?? {}).length, 0);
      expect(all.filter((id) => id.includes(":user:")).length).toBe(explicit);
    }
  });

  it("splits pages that would exceed the message limit and still lists everything once", async () => {
    // Make every user huge: long custom role lists are echoed in the profile and the user trait.
    const manyRoles = Array.from({ length: 150 }, (_, i) => `custom-role-${String(i).padStart(4, "0")}-${"x".repeat(24)}`);
    for (const user of account.users) stack.simulator.store.updateUser(user.id, (spec) => (spec.access!.accountAccess!.customRoles = manyRoles));
    const activeSyncId = "sync-big";
    let pageToken = "";
    let pages = 0;
    const ids = new Set<string>();
    let largest = 0;
    do {
      const res = await stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user", pageToken, activeSyncId });
      largest = Math.max(largest, toBinary(ResourcesServiceListResourcesResponseSchema, res).length);
      for (const r of res.list) ids.add(r.id!.resource);
      pageToken = res.nextPageToken;
      pages++;
    } while (pageToken);
    expect(ids.size).toBe(account.users.length);
    expect(largest).toBeLessThan(4 * 1024 * 1024);
    expect(pages).toBeGreaterThan(Math.ceil(account.users.length / 1000)); // the first upstream page was split
    const grants = await stack.client.call(GrantsService.method.listGrants, { resource: { id: { resourceType: "account-role", resource: `${account.accountId}-read` } }, activeSyncId });
    expect(toBinary(GrantsServiceListGrantsResponseSchema, grants).length).toBeLessThan(4 * 1024 * 1024);
  });
});
