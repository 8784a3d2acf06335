import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { create, fromBinary } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createC1zWriter } from "../../src/c1z/c1z-writer.js";
import { formatSyncTimestamp, parseSyncTimestamp } from "../../src/c1z/sync-timestamp.js";
import { ResourceSchema, type Resource } from "../../src/connector/c1.js";
import { decodeC1z } from "./decode-c1z.js";

// A real collection before each memory reading, without restarting node with --expose-gc.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const heapMB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
};

const user = (i: number): Resource =>
  create(ResourceSchema, { id: { resourceType: "user", resource: `u${String(i).padStart(6, "0")}` }, displayName: `user ${i}@example.com`, description: "x".repeat(200) });

describe("the c1z writer", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "c1z-writer-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps no rows in memory: the heap does not grow with the number of rows written or read back", async () => {
    const writer = await createC1zWriter({ path: join(dir, "big.c1z"), tempDir: dir });
    for (let i = 0; i < 10_000; i++) writer.putResource(user(i));
    const afterFew = heapMB();
    for (let i = 10_000; i < 60_000; i++) writer.putResource(user(i));
    const afterMany = heapMB();
    // 50,000 more resources would take ≈ 23 MB of heap if they were kept (measured).
    expect(afterMany - afterFew).toBeLessThan(5);

    let seen = 0;
    let during = 0;
    for await (const resource of writer.resourcesOfType("user")) {
      expect(resource.id!.resource).toBe(`u${String(seen).padStart(6, "0")}`);
      if (++seen === 50_000) during = heapMB();
    }
    expect(seen).toBe(60_000);
    expect(during - afterFew).toBeLessThan(5);
    expect(writer.counts()).toEqual({ resourceTypes: 0, resources: 60_000, entitlements: 0, grants: 0 });
    await writer.finish();
  });

  it("stores a resource once per sync and answers entitlementOwner from SQLite", async () => {
    const writer = await createC1zWriter({ path: join(dir, "sync.c1z"), tempDir: dir });
    expect(writer.putResource(user(1))).toBe(true);
    expect(writer.putResource(user(1))).toBe(false);
    const resource = user(1);
    writer.putEntitlement({ $typeName: "c1.connector.v2.Entitlement", id: "user:u000001:self", resource, displayName: "", description: "", grantableTo: [], annotations: [], purpose: 0, slug: "self" });
    expect(writer.entitlementOwner("user:u000001:self")).toMatchObject({ resourceType: "user", resource: "u000001" });
    expect(writer.entitlementOwner("nope")).toBeUndefined();
    await writer.finish();
    const file = decodeC1z(join(dir, "sync.c1z"));
    try {
      const rows = file.db.prepare("select data from v1_resources").all() as { data: Buffer }[];
      expect(rows.map((r) => fromBinary(ResourceSchema, r.data).id?.resource)).toEqual(["u000001"]);
    } finally {
      file.close();
    }
  });

  it("publishes atomically: the previous file stays until the new one is complete, and aborting leaves it", async () => {
    const target = join(dir, "sync.c1z");
    writeFileSync(target, "previous");
    const aborted = await createC1zWriter({ path: target, tempDir: dir });
    aborted.putResource(user(1));
    await aborted.abort();
    expect(readFileSync(target, "utf8")).toBe("previous");
    expect(readdirSync(dir)).toEqual(["sync.c1z"]);

    const cancelled = await createC1zWriter({ path: target, tempDir: dir });
    cancelled.putResource(user(1));
    await expect(cancelled.finish(AbortSignal.abort())).rejects.toThrow();
    expect(readFileSync(target, "utf8")).toBe("previous");
    expect(readdirSync(dir)).toEqual(["sync.c1z"]);

    const writer = await createC1zWriter({ path: target, tempDir: dir });
    writer.putResource(user(1));
    const { bytes } = await writer.finish();
    expect(readFileSync(target).subarray(0, 5).toString("latin1")).toBe("C1ZF\0");
    expect(readFileSync(target).length).toBe(bytes);
    expect(readdirSync(dir)).toEqual(["sync.c1z"]);
    expect(() => writer.putResource(user(2))).toThrow(/closed/);
  });

  it("refuses, before syncing, a file it could never publish", async () => {
    await expect(createC1zWriter({ path: join(dir, "missing", "sync.c1z"), tempDir: dir })).rejects.toMatchObject({ code: "ENOENT" });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("formats timestamps as Go's 2006-01-02 15:04:05.999999999, in local time", () => {
    expect(formatSyncTimestamp(new Date(2026, 0, 2, 3, 4, 5, 670))).toBe("2026-01-02 03:04:05.67");
    expect(formatSyncTimestamp(new Date(2026, 10, 28, 23, 59, 59, 0))).toBe("2026-11-28 23:59:59");
    expect(formatSyncTimestamp(new Date(2026, 10, 28, 23, 59, 59, 5))).toBe("2026-11-28 23:59:59.005");
    const now = new Date();
    expect(parseSyncTimestamp(formatSyncTimestamp(now))?.getTime()).toBe(now.getTime());
    expect(parseSyncTimestamp("2024-01-01T00:00:00Z")?.toISOString()).toBe("2024-01-01T00:00:00.000Z");
    expect(parseSyncTimestamp("2024-01-01 02:00:00.123456789+02:00")?.toISOString()).toBe("2024-01-01T00:00:00.123Z");
    expect(parseSyncTimestamp("1704067200")).toBeUndefined();
  });
});
