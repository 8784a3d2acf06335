import { create, fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { EncodedMessage } from "../../src/codec/codecs.js";
import { ResourceSchema, ResourcesServiceListResourcesRequestSchema, ResourcesServiceListResourcesResponseSchema, ResourceTypeSchema, type Resource } from "../../src/connector/c1.js";
import { createConnector } from "../../src/connector/connector.js";
import { createTokenSealer } from "../../src/connector/token-seal.js";
import { createReadAhead } from "../../src/connector/read-ahead.js";
import type { CallContext, ResourceSyncer } from "../../src/connector/resource-syncer.js";

const log = pino({ enabled: false });
const scope = { op: "resources", resourceType: "user" } as const;
const callOf = (syncId?: string) => {
  const call = new AbortController();
  return { ctx: { signal: call.signal, log, syncId } satisfies CallContext, end: () => call.abort() };
};
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("createReadAhead", () => {
  const options = { maxSyncs: 2, idleMs: 60_000, perSync: 2 };

  it("builds the next page once the call that returned its token has ended, and hands it over once", async () => {
    const ahead = createReadAhead<string>(options);
    const { ctx, end } = callOf("sync-1");
    const built: string[] = [];
    ahead.start(ctx, scope, "t2", async (c) => {
      expect(c.signal).not.toBe(ctx.signal); // its own signal: the call is over
      built.push("t2");
      return "page 2";
    });
    await tick();
    expect(built).toEqual([]); // the response is still being sent
    end();
    await tick();
    expect(built).toEqual(["t2"]);
    expect(await ahead.take(ctx, scope, "t2")).toBe("page 2");
    expect(await ahead.take(ctx, scope, "t2")).toBeUndefined();
  });

  it("keeps nothing outside a sync, nor for another sync, scope or token", async () => {
    const ahead = createReadAhead<string>(options);
    const outside = callOf(undefined);
    ahead.start(outside.ctx, scope, "t2", async () => "page 2");
    outside.end();
    await tick();
    expect(await ahead.take(outside.ctx, scope, "t2")).toBeUndefined();

    const { ctx, end } = callOf("sync-1");
    ahead.start(ctx, scope, "t2", async () => "page 2");
    end();
    await tick();
    expect(await ahead.take({ ...ctx, syncId: "sync-2" }, scope, "t2")).toBeUndefined();
    expect(await ahead.take(ctx, { op: "resources", resourceType: "group" }, "t2")).toBeUndefined();
    expect(await ahead.take(ctx, scope, "t3")).toBeUndefined();
    expect(await ahead.take(ctx, scope, "t2")).toBe("page 2");
  });

  it("never waits for a page whose call has not ended, and drops a page that failed", async () => {
    const ahead = createReadAhead<string>(options);
    const pending = callOf("sync-1");
    let built = false;
    ahead.start(pending.ctx, scope, "t2", async () => {
      built = true;
      return "page 2";
    });
    expect(await ahead.take(pending.ctx, scope, "t2")).toBeUndefined();
    pending.end();
    await tick();
    expect(built).toBe(false);

    const failing = callOf("sync-1");
    ahead.start(failing.ctx, scope, "t3", async () => {
      throw new Error("upstream unavailable");
    });
    failing.end();
    await tick();
    expect(await ahead.take(failing.ctx, scope, "t3")).toBeUndefined();
  });

  it("builds at most perSync pages ahead per sync, and forget stops them", async () => {
    const ahead = createReadAhead<string>(options);
    const { ctx, end } = callOf("sync-1");
    const signals: AbortSignal[] = [];
    for (const token of ["a", "b", "c"]) {
      ahead.start(ctx, scope, token, (c) => {
        signals.push(c.signal);
        return new Promise(() => {}); // still building
      });
    }
    end();
    await tick();
    expect(signals).toHaveLength(2);
    ahead.forget("sync-1");
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(await ahead.take(ctx, scope, "a")).toBeUndefined();
  });
});

describe("the connector's read-ahead", () => {
  const users = Array.from({ length: 5 }, (_, i) => create(ResourceSchema, { id: { resourceType: "user", resource: `u${i}` }, displayName: `User ${i}` }));
  /** A resource type serving two users per page, counting its calls. */
  function pagedUsers(): ResourceSyncer & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      resourceType: create(ResourceTypeSchema, { id: "user", displayName: "User" }),
      async list(_ctx, _parent, cursor) {
        const at = typeof cursor === "number" ? cursor : 0;
        calls.push(`list ${at}`);
        const items: Resource[] = users.slice(at, at + 2);
        return { items, next: at + 2 < users.length ? at + 2 : undefined };
      },
    };
  }
  const connectorOf = (syncer: ResourceSyncer) =>
    createConnector({ resourceTypes: [syncer], metadata: { displayName: "test" }, provisioning: false, validate: async () => {}, tokenSealer: createTokenSealer({ secret: () => "key" }) });
  // List responses come encoded: compare their bytes, read their token.
  const bytes = (response: EncodedMessage<DescMessage>) => response.bytes;
  const nextToken = (response: EncodedMessage<typeof ResourcesServiceListResourcesResponseSchema>) => fromBinary(response.schema, response.bytes).nextPageToken;

  it("serves a sync's next page from the read-ahead, byte for byte what it would have built", async () => {
    const syncer = pagedUsers();
    const connector = connectorOf(syncer);
    const fresh = connectorOf(pagedUsers());
    let token = "";
    for (let page = 0; page < 3; page++) {
      const { ctx, end } = callOf();
      const request = create(ResourcesServiceListResourcesRequestSchema, { resourceTypeId: "user", pageToken: token, activeSyncId: "sync-1" });
      const response = await connector.listResources(request, ctx);
      const expected = await fresh.listResources({ ...request, activeSyncId: "" }, callOf().ctx);
      expect(bytes(response)).toEqual(bytes(expected));
      end(); // the response has been sent
      await tick();
      token = nextToken(expected);
      // The next page is listed now, before anyone asks for it.
      expect(syncer.calls).toHaveLength(token ? page + 2 : page + 1);
    }
    expect(token).toBe("");
    expect(syncer.calls).toEqual(["list 0", "list 2", "list 4"]); // each page listed once
  });

  it("forgets the pages built ahead when the sync is cleaned up", async () => {
    const syncer = pagedUsers();
    const connector = connectorOf(syncer);
    const { ctx, end } = callOf();
    const first = await connector.listResources(create(ResourcesServiceListResourcesRequestSchema, { resourceTypeId: "user", activeSyncId: "sync-1" }), ctx);
    end();
    await tick();
    connector.cleanup("sync-1");
    await connector.listResources(create(ResourcesServiceListResourcesRequestSchema, { resourceTypeId: "user", pageToken: nextToken(first), activeSyncId: "sync-1" }), callOf().ctx);
    expect(syncer.calls).toEqual(["list 0", "list 2", "list 2"]); // built ahead, dropped, built again
  });
});
