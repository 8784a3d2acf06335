import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { create, fromBinary } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compress } from "zstd-napi";
import { createC1zWriter } from "../../src/c1z/c1z-writer.js";
import { formatSyncTimestamp, parseSyncTimestamp } from "../../src/c1z/sync-timestamp.js";
import { GrantSchema, ResourceSchema, type Resource } from "../../src/connector/c1.js";
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

/** writeSync writes one finished sync of these resources into path; resolves to its sync id. */
async function writeSync(path: string, resources: Resource[], keepSyncs?: number): Promise<string> {
  const writer = await createC1zWriter({ path, tempDir: dirname(path), keepSyncs });
  for (const resource of resources) writer.putResource(resource);
  await writer.finish();
  return writer.syncId;
}

/** syncsIn lists the file's sync runs, oldest first, with the users each holds. */
function syncsIn(path: string): { sync_id: string; users: string[] }[] {
  const file = decodeC1z(path);
  try {
    const runs = file.db.prepare("select sync_id from v1_sync_runs order by id").all() as { sync_id: string }[];
    const users = file.db.prepare("select data from v1_resources where sync_id = ? order by id");
    return runs.map(({ sync_id }) => ({
      sync_id,
      users: (users.all(sync_id) as { data: Buffer }[]).map((r) => fromBinary(ResourceSchema, r.data).id!.resource),
    }));
  } finally {
    file.close();
  }
}

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

  it("stores a resource once per sync and answers hasResource and entitlement owners from SQLite", async () => {
    const writer = await createC1zWriter({ path: join(dir, "sync.c1z"), tempDir: dir });
    expect(writer.putResource(user(1))).toBe(true);
    expect(writer.putResource(user(1))).toBe(false);
    const resource = user(1);
    writer.putEntitlement({ $typeName: "c1.connector.v2.Entitlement", id: "user:u000001:self", resource, displayName: "", description: "", grantableTo: [], annotations: [], purpose: 0, slug: "self" });
    expect(writer.hasResource(resource.id!)).toBe(true);
    expect(writer.hasResource(user(2).id!)).toBe(false);
    expect(writer.expansion().entitlementOwner("user:u000001:self")).toBe("user\u0000u000001");
    expect(writer.expansion().entitlementOwner("nope")).toBeUndefined();
    await writer.finish();
    const file = decodeC1z(join(dir, "sync.c1z"));
    try {
      const rows = file.db.prepare("select data from v1_resources").all() as { data: Buffer }[];
      expect(rows.map((r) => fromBinary(ResourceSchema, r.data).id?.resource)).toEqual(["u000001"]);
    } finally {
      file.close();
    }
  });

  it("keeps the last copy of a grant listed twice, as the SDK's upsert does, and ends with the SDK's grant indexes", async () => {
    const writer = await createC1zWriter({ path: join(dir, "sync.c1z"), tempDir: dir });
    const entitlement = { id: "group:g:member", resource: { id: { resourceType: "group", resource: "g" } } };
    const grant = (principal: string, displayName: string) => create(GrantSchema, { id: `group:g:member:user:${principal}`, entitlement, principal: { id: { resourceType: "user", resource: principal }, displayName } });
    writer.putGrant(grant("u1", "first"));
    writer.putGrant(grant("u2", "other"));
    writer.putGrant(grant("u1", "second"));
    await writer.finish();
    const file = decodeC1z(join(dir, "sync.c1z"));
    try {
      const rows = file.db.prepare("select external_id, data from v1_grants order by external_id").all() as { external_id: string; data: Buffer }[];
      expect(rows.map((r) => [r.external_id, fromBinary(GrantSchema, r.data).principal?.displayName])).toEqual([
        ["group:g:member:user:u1", "second"],
        ["group:g:member:user:u2", "other"],
      ]);
      const indexes = (file.db.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'v1_grants' order by name").all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toEqual([
        "idx_grants_entitlement_id_principal_id_v1",
        "idx_grants_entitlement_sync_grant_v1",
        "idx_grants_external_sync_v1",
        "idx_grants_principal_id_v1",
        "idx_grants_resource_type_id_resource_id_v1",
        "idx_grants_sync_expansion_v1",
        "idx_grants_sync_needs_expansion_v1",
      ]);
    } finally {
      file.close();
    }
  });

  it("publishes atomically: the previous file stays until the new one is complete, and aborting leaves it", async () => {
    const target = join(dir, "sync.c1z");
    await writeSync(target, [user(0)]);
    const previous = readFileSync(target);
    const aborted = await createC1zWriter({ path: target, tempDir: dir });
    aborted.putResource(user(1));
    await aborted.abort();
    expect(readFileSync(target).equals(previous)).toBe(true);
    expect(readdirSync(dir)).toEqual(["sync.c1z"]);

    const cancelled = await createC1zWriter({ path: target, tempDir: dir });
    cancelled.putResource(user(1));
    await expect(cancelled.finish(AbortSignal.abort())).rejects.toThrow();
    expect(readFileSync(target).equals(previous)).toBe(true);
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

  it("never replaces a file that is not a c1z", async () => {
    const target = join(dir, "notes.txt");
    writeFileSync(target, "my notes");
    await expect(createC1zWriter({ path: target, tempDir: dir })).rejects.toThrow(`${target} is not a c1z file (it does not start with "C1ZF\\0")`);
    expect(readFileSync(target, "utf8")).toBe("my notes");
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("keeps the newest full syncs of the file, like the SDK's cleanup, so that baton diff has the previous one", async () => {
    const target = join(dir, "sync.c1z");
    const ids = [];
    for (let i = 1; i <= 3; i++) ids.push(await writeSync(target, [user(i)]));
    expect(syncsIn(target)).toEqual([
      { sync_id: ids[1], users: ["u000002"] },
      { sync_id: ids[2], users: ["u000003"] },
    ]);
    // Nothing of the dropped sync is left in any table.
    const file = decodeC1z(target);
    try {
      for (const { name } of file.db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]) {
        expect(file.db.prepare(`select count(*) as n from ${name} where sync_id = ?`).get(ids[0]), name).toEqual({ n: 0 });
      }
    } finally {
      file.close();
    }

    ids.push(await writeSync(target, [user(4)], Infinity));
    expect(syncsIn(target).map((s) => s.users)).toEqual([["u000002"], ["u000003"], ["u000004"]]);
    ids.push(await writeSync(target, [user(5)], 1));
    expect(syncsIn(target)).toEqual([{ sync_id: ids[4], users: ["u000005"] }]);
  });

  it("drops partial syncs that ended before the oldest full sync kept, and leaves unfinished ones alone", async () => {
    const target = join(dir, "sync.c1z");
    await writeSync(target, [user(1)]);
    // Add the rows a Go connector could have left, with nothing but SQLite and zstd.
    const file = decodeC1z(target);
    const copy = join(dir, "edited.db");
    writeFileSync(copy, file.sqlite);
    file.close();
    const db = new Database(copy);
    const run = db.prepare(
      "insert into v1_sync_runs (sync_id, started_at, ended_at, sync_token, sync_type, parent_sync_id, linked_sync_id) values (?, ?, ?, '', ?, '', '')",
    );
    run.run("partial-old", "2020-01-01 00:00:00", "2020-01-01 00:00:01", "partial");
    run.run("unfinished", "2020-01-01 00:00:00", null, "full");
    run.run("partial-new", "2999-01-01 00:00:00", "2999-01-01 00:00:01", "partial");
    db.close();
    writeFileSync(target, Buffer.concat([Buffer.from("C1ZF\0", "latin1"), compress(readFileSync(copy))]));
    rmSync(copy);

    const second = await writeSync(target, [user(2)]);
    const third = await writeSync(target, [user(3)]);
    const runs = decodeC1z(target);
    try {
      const ids = (runs.db.prepare("select sync_id from v1_sync_runs order by id").all() as { sync_id: string }[]).map((r) => r.sync_id);
      expect(ids).toEqual(["unfinished", "partial-new", second, third]);
    } finally {
      runs.close();
    }
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
