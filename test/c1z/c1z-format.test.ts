import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistry, fromBinary, toJson, type DescFile, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { anyIs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openC1z } from "../../src/c1z/c1z-reader.js";
import { createC1zWriter } from "../../src/c1z/c1z-writer.js";
import { findAnnotation } from "../../src/connector/annotations.js";
import * as c1 from "../../src/connector/c1.js";
import { EntitlementSchema, GrantExpandableSchema, GrantImmutableSchema, GrantSchema, ResourceSchema, ResourceTypeSchema, type Grant } from "../../src/connector/c1.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync, type MemoryStore } from "../../src/sync/syncer.js";
import { startStack, type Stack } from "../helpers/stack.js";
import { decodeC1z, type DecodedC1z } from "./decode-c1z.js";

const { users: U, serviceAccounts: SA, groups: G, namespaces: NS } = DEMO_IDS;

/** The v1 schema as docs/c1z-format.md, "SQLite schema", lists it: [name, declared type, not null, default, pk]. */
const COLUMNS: Record<string, [string, string, number, string | null, number][]> = {
  v1_resource_types: [
    ["id", "integer", 0, null, 1],
    ["external_id", "text", 1, null, 0],
    ["data", "blob", 1, null, 0],
    ["sync_id", "text", 1, null, 0],
    ["discovered_at", "datetime", 1, null, 0],
  ],
  v1_resources: [
    ["id", "integer", 0, null, 1],
    ["resource_type_id", "text", 1, null, 0],
    ["external_id", "text", 1, null, 0],
    ["parent_resource_type_id", "text", 0, null, 0],
    ["parent_resource_id", "text", 0, null, 0],
    ["data", "blob", 1, null, 0],
    ["sync_id", "text", 1, null, 0],
    ["discovered_at", "datetime", 1, null, 0],
  ],
  v1_entitlements: [
    ["id", "integer", 0, null, 1],
    ["resource_type_id", "text", 1, null, 0],
    ["resource_id", "text", 1, null, 0],
    ["external_id", "text", 1, null, 0],
    ["data", "blob", 1, null, 0],
    ["sync_id", "text", 1, null, 0],
    ["discovered_at", "datetime", 1, null, 0],
  ],
  v1_grants: [
    ["id", "integer", 0, null, 1],
    ["resource_type_id", "text", 1, null, 0],
    ["resource_id", "text", 1, null, 0],
    ["entitlement_id", "text", 1, null, 0],
    ["principal_resource_type_id", "text", 1, null, 0],
    ["principal_resource_id", "text", 1, null, 0],
    ["external_id", "text", 1, null, 0],
    ["expansion", "blob", 0, null, 0],
    ["needs_expansion", "integer", 1, "0", 0],
    ["data", "blob", 1, null, 0],
    ["sync_id", "text", 1, null, 0],
    ["discovered_at", "datetime", 1, null, 0],
  ],
  v1_sync_runs: [
    ["id", "integer", 0, null, 1],
    ["sync_id", "text", 1, null, 0],
    ["started_at", "datetime", 1, null, 0],
    ["ended_at", "datetime", 0, null, 0],
    ["sync_token", "text", 1, null, 0],
    ["sync_type", "text", 1, "'full'", 0],
    ["parent_sync_id", "text", 1, "''", 0],
    ["linked_sync_id", "text", 1, "''", 0],
    ["supports_diff", "integer", 1, "0", 0],
    ["grants_backfilled", "integer", 1, "0", 0],
    ["stats", "text", 0, null, 0],
    ["ingest_invariant_generation", "text", 1, "''", 0],
    ["ingest_invariant_coverage", "text", 1, "''", 0],
    ["ingest_invariant_mode", "text", 1, "''", 0],
  ],
  v1_assets: [
    ["id", "integer", 0, null, 1],
    ["external_id", "text", 1, null, 0],
    ["content_type", "text", 1, null, 0],
    ["data", "blob", 1, null, 0],
    ["sync_id", "text", 1, null, 0],
    ["discovered_at", "datetime", 1, null, 0],
  ],
  v1_connector_sessions: [
    ["id", "integer", 0, null, 1],
    ["sync_id", "text", 1, null, 0],
    ["key", "text", 1, null, 0],
    ["value", "blob", 1, null, 0],
  ],
};

/** Indexes per table as docs/c1z-format.md, "SQLite schema", lists them: name → [unique, partial, columns]. */
const INDEXES: Record<string, Record<string, [number, number, string[]]>> = {
  v1_resource_types: { idx_resource_types_external_sync_v1: [1, 0, ["external_id", "sync_id"]] },
  v1_resources: {
    idx_resources_resource_type_id_v1: [0, 0, ["resource_type_id"]],
    idx_resources_external_sync_v1: [0, 0, ["parent_resource_type_id", "parent_resource_id"]],
    idx_resources_parent_resource_id_v1: [1, 0, ["external_id", "sync_id"]],
  },
  v1_entitlements: {
    idx_entitlements_resource_id_v1: [0, 0, ["resource_type_id", "resource_id"]],
    idx_entitlements_external_sync_v1: [1, 0, ["external_id", "sync_id"]],
  },
  v1_grants: {
    idx_grants_resource_type_id_resource_id_v1: [0, 0, ["resource_type_id", "resource_id"]],
    idx_grants_principal_id_v1: [0, 0, ["principal_resource_type_id", "principal_resource_id"]],
    idx_grants_entitlement_id_principal_id_v1: [0, 0, ["entitlement_id", "principal_resource_type_id", "principal_resource_id"]],
    idx_grants_external_sync_v1: [1, 0, ["external_id", "sync_id"]],
    idx_grants_sync_expansion_v1: [0, 1, ["sync_id"]],
    idx_grants_sync_needs_expansion_v1: [0, 1, ["sync_id"]],
    idx_grants_entitlement_sync_grant_v1: [0, 0, ["entitlement_id", "sync_id", "id"]],
  },
  v1_sync_runs: { idx_sync_runs_sync_id_v1: [1, 0, ["sync_id"]] },
  v1_assets: { idx_assets_external_sync_v1: [1, 0, ["external_id", "sync_id"]] },
  v1_connector_sessions: { idx_session_store_sync_key_v1: [1, 0, ["sync_id", "key"]] },
};

/** Go's "2006-01-02 15:04:05.999999999": trailing fraction zeros trimmed, no zone (docs/c1z-format.md, "Timestamps"). */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{0,8}[1-9]))?$/;

/** parseLocal reads the SDK's zone-less timestamp as local time, as the Go reader does. */
function parseLocal(text: string): Date {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new Error(`not a c1z timestamp: ${text}`);
  const [, y, mo, d, h, mi, s, frac = ""] = m.map((x) => x ?? "") as string[];
  return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, "0").slice(0, 3)));
}

// The test's own registry, so that JSON comparisons render every annotation.
const registry = createRegistry(...Object.entries(c1).flatMap(([name, value]) => (name.startsWith("file_") ? [value as DescFile] : [])));
const json = <S extends DescMessage>(schema: S, message: MessageShape<S>): JsonValue => toJson(schema, message, { registry });
const withoutExpandable = (g: Grant): Grant => ({ ...g, annotations: g.annotations.filter((a) => !anyIs(a, GrantExpandableSchema)) });

/** observedAtLeftOut drops the time a security insight was observed: two syncs observe at two times. */
function observedAtLeftOut(resource: JsonValue): JsonValue {
  const annotations = (resource as { annotations?: { observedAt?: string }[] }).annotations;
  for (const a of annotations ?? []) delete a.observedAt;
  return resource;
}

/**
 * A sync of the demo account through the real stack (simulator, connector server, gRPC) into a
 * c1z, read back with nothing but zstd and SQLite: the file must be exactly what the baton
 * readers expect (docs/c1z-format.md) and hold exactly what the sync found.
 */
describe("c1z file of the demo account", () => {
  let stack: Stack;
  let dir: string;
  let expected: MemoryStore;
  let file: DecodedC1z;
  let syncId: string;
  let before: Date;
  let after: Date;

  beforeAll(async () => {
    stack = await startStack();
    dir = mkdtempSync(join(tmpdir(), "c1z-format-"));
    expected = createMemoryStore();
    await runSync({ api: stack.client, store: expected });

    before = new Date(Date.now() - 1000);
    const writer = await createC1zWriter({ path: join(dir, "sync.c1z"), tempDir: dir });
    syncId = writer.syncId;
    await runSync({ api: stack.client, store: writer });
    await writer.finish();
    after = new Date(Date.now() + 1000);
    file = decodeC1z(join(dir, "sync.c1z"));
  });
  afterAll(async () => {
    file?.close();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = <T>(sql: string, ...args: unknown[]) => file.db.prepare(sql).all(...args) as T[];

  it("is a self-contained SQLite 3 database in rollback-journal mode, with no triggers or views", () => {
    expect(file.sqlite.subarray(0, 16).toString("latin1")).toBe("SQLite format 3\0");
    // File format bytes 18 and 19 are 2 in WAL mode; the copy must need no -wal file (docs/c1z-format.md, "Reader limits").
    expect([file.sqlite[18], file.sqlite[19]]).toEqual([1, 1]);
    expect(rows<{ integrity_check: string }>("pragma integrity_check")).toEqual([{ integrity_check: "ok" }]);
    expect(rows("select type, name from sqlite_master where type in ('trigger', 'view')")).toEqual([]);
  });

  it("has exactly the seven v1 tables, with the SDK's column names, types, nullability and defaults", () => {
    const tables = rows<{ name: string }>("select name from sqlite_master where type = 'table' order by name").map((t) => t.name);
    expect(tables).toEqual(Object.keys(COLUMNS).sort());
    for (const [table, columns] of Object.entries(COLUMNS)) {
      const info = rows<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>(`pragma table_info(${table})`);
      expect(
        info.map((c) => [c.name, c.type.toLowerCase(), c.notnull, c.dflt_value, c.pk]),
        table,
      ).toEqual(columns);
    }
  });

  it("has the SDK's indexes, by name, uniqueness and columns", () => {
    for (const [table, indexes] of Object.entries(INDEXES)) {
      const list = rows<{ name: string; unique: number; partial: number }>(`pragma index_list(${table})`);
      const actual = Object.fromEntries(
        list.map((i) => {
          // An index on the INTEGER PRIMARY KEY lists it as the rowid (cid -1, no name).
          const columns = rows<{ name: string | null; cid: number }>(`pragma index_info(${i.name})`).map((c) => c.name ?? (c.cid === -1 ? "id" : "?"));
          return [i.name, [i.unique, i.partial, columns]];
        }),
      );
      expect(actual, table).toEqual(indexes);
    }
  });

  it("records one finished full sync run, as the readers require", () => {
    const runs = rows<Record<string, unknown>>("select * from v1_sync_runs");
    expect(runs).toEqual([
      {
        id: 1,
        sync_id: syncId,
        started_at: expect.stringMatching(TIMESTAMP),
        ended_at: expect.stringMatching(TIMESTAMP),
        sync_token: "",
        sync_type: "full",
        parent_sync_id: "",
        linked_sync_id: "",
        supports_diff: 1,
        grants_backfilled: 1,
        stats: null,
        ingest_invariant_generation: "",
        ingest_invariant_coverage: "",
        ingest_invariant_mode: "",
      },
    ]);
    expect(syncId).toMatch(/^[0-9A-Za-z]{27}$/);
    const [started, ended] = [parseLocal(runs[0]!.started_at as string), parseLocal(runs[0]!.ended_at as string)];
    expect(started.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(ended.getTime()).toBeGreaterThanOrEqual(started.getTime());
    expect(ended.getTime()).toBeLessThanOrEqual(after.getTime());
  });

  it("stamps every row with the sync id and a discovered_at in the sync's time span", () => {
    for (const table of ["v1_resource_types", "v1_resources", "v1_entitlements", "v1_grants"]) {
      const stamps = rows<{ sync_id: string; discovered_at: string }>(`select sync_id, discovered_at from ${table}`);
      expect(stamps.length, table).toBeGreaterThan(0);
      for (const { sync_id, discovered_at } of stamps) {
        expect(sync_id).toBe(syncId);
        const at = parseLocal(discovered_at).getTime();
        expect(at).toBeGreaterThanOrEqual(before.getTime());
        expect(at).toBeLessThanOrEqual(after.getTime());
      }
    }
    expect(rows("select * from v1_assets")).toEqual([]);
    expect(rows("select * from v1_connector_sessions")).toEqual([]);
  });

  it("stores every resource type as a binary ResourceType, exactly as synced", () => {
    const stored = rows<{ external_id: string; data: Buffer }>("select external_id, data from v1_resource_types order by id").map((r) => {
      const type = fromBinary(ResourceTypeSchema, r.data);
      expect(r.external_id).toBe(type.id);
      return json(ResourceTypeSchema, type);
    });
    expect(stored).toEqual(expected.resourceTypes.map((t) => json(ResourceTypeSchema, t)));
    expect(stored.map((t) => (t as { id: string }).id)).toEqual(["security-insight", "account-role", "api-key", "custom-role", "namespace", "project", "service-account", "user", "group"]);
  });

  it("stores every resource under `type:id` with its parent columns, exactly as synced", () => {
    const stored = rows<{ resource_type_id: string; external_id: string; parent_resource_type_id: string | null; parent_resource_id: string | null; data: Buffer }>(
      "select resource_type_id, external_id, parent_resource_type_id, parent_resource_id, data from v1_resources order by id",
    );
    const byKey = new Map<string, JsonValue>();
    for (const row of stored) {
      const resource = fromBinary(ResourceSchema, row.data);
      expect(row.resource_type_id).toBe(resource.id!.resourceType);
      expect(row.external_id).toBe(`${resource.id!.resourceType}:${resource.id!.resource}`);
      expect([row.parent_resource_type_id, row.parent_resource_id]).toEqual(resource.parentResourceId ? [resource.parentResourceId.resourceType, resource.parentResourceId.resource] : [null, null]);
      byKey.set(row.external_id, observedAtLeftOut(json(ResourceSchema, resource)));
    }
    // 45 principals, roles, namespaces, projects and keys, and the 11 security-insight findings.
    expect(byKey.size).toBe(58);
    expect(byKey).toEqual(new Map(expected.resources.map((r) => [`${r.id!.resourceType}:${r.id!.resource}`, observedAtLeftOut(json(ResourceSchema, r))])));
    expect(byKey.get(`user:${U.carol}`)).toMatchObject({ displayName: "carol@acme.example" });
    expect(byKey.get(`namespace:${NS.paymentsProd}`)).toMatchObject({ displayName: NS.paymentsProd });
    expect(byKey.get(`service-account:${SA.unnamed}`)).toMatchObject({ displayName: SA.unnamed });
  });

  it("stores every entitlement with its resource columns, exactly as synced", () => {
    const stored = rows<{ resource_type_id: string; resource_id: string; external_id: string; data: Buffer }>(
      "select resource_type_id, resource_id, external_id, data from v1_entitlements order by id",
    );
    const byId = new Map<string, JsonValue>();
    for (const row of stored) {
      const entitlement = fromBinary(EntitlementSchema, row.data);
      expect(row.external_id).toBe(entitlement.id);
      expect([row.resource_type_id, row.resource_id]).toEqual([entitlement.resource!.id!.resourceType, entitlement.resource!.id!.resource]);
      byId.set(row.external_id, json(EntitlementSchema, entitlement));
    }
    // 26 before projects, and the seven roles of each of the three projects.
    expect(byId.size).toBe(47);
    expect(byId).toEqual(new Map(expected.entitlements.map((e) => [e.id, json(EntitlementSchema, e)])));
    expect(byId.get(`namespace:${NS.paymentsProd}:read`)).toMatchObject({ displayName: `Namespace ${NS.paymentsProd} Read`, slug: "read" });
    expect(byId.has("account-role:acme7-owner:member")).toBe(true);
  });

  it("stores every grant with GrantExpandable moved to the expansion column, exactly as synced", () => {
    const stored = rows<{
      resource_type_id: string;
      resource_id: string;
      entitlement_id: string;
      principal_resource_type_id: string;
      principal_resource_id: string;
      external_id: string;
      expansion: Buffer | null;
      needs_expansion: number;
      data: Buffer;
    }>("select * from v1_grants order by id");
    const expectedById = new Map(expected.grants.map((g) => [g.id, g]));
    expect(stored.map((r) => r.external_id).sort()).toEqual([...expectedById.keys()].sort());
    // The 70 grants the connector lists and the 59 that expansion derives from them.
    expect(stored).toHaveLength(129);

    for (const row of stored) {
      const grant = fromBinary(GrantSchema, row.data);
      const want = expectedById.get(row.external_id)!;
      expect(grant.id).toBe(row.external_id);
      expect([row.resource_type_id, row.resource_id, row.entitlement_id]).toEqual([grant.entitlement!.resource!.id!.resourceType, grant.entitlement!.resource!.id!.resource, grant.entitlement!.id]);
      expect([row.principal_resource_type_id, row.principal_resource_id]).toEqual([grant.principal!.id!.resourceType, grant.principal!.id!.resource]);
      // Never in data (docs/c1z-format.md, "Rows"); in the expansion column instead, marked for the Go expander.
      expect(grant.annotations.some((a) => anyIs(a, GrantExpandableSchema)), row.external_id).toBe(false);
      expect(json(GrantSchema, grant)).toEqual(json(GrantSchema, withoutExpandable(want)));
      const wanted = findAnnotation(want.annotations, GrantExpandableSchema);
      if (wanted) {
        expect(row.needs_expansion, row.external_id).toBe(1);
        expect(json(GrantExpandableSchema, fromBinary(GrantExpandableSchema, row.expansion!))).toEqual(json(GrantExpandableSchema, wanted));
      } else {
        expect([row.expansion, row.needs_expansion], row.external_id).toEqual([null, 0]);
      }
    }
  });

  it("holds the demo account's known grants", () => {
    const grant = (id: string) => {
      const row = file.db.prepare("select data, expansion from v1_grants where external_id = ?").get(id) as { data: Buffer; expansion: Buffer | null } | undefined;
      if (!row) throw new Error(`no grant ${id}`);
      return { grant: fromBinary(GrantSchema, row.data), expansion: row.expansion && fromBinary(GrantExpandableSchema, row.expansion) };
    };
    expect(grant(`namespace:${NS.paymentsProd}:write:user:${U.carol}`).expansion).toBeNull();
    const admins = grant(`account-role:acme7-admin:member:group:${G.admins}`);
    expect(admins.expansion?.entitlementIds).toEqual([`group:${G.admins}:member`]);
    const owner = grant(`account-role:acme7-owner:member:user:${U.alice}`);
    expect(findAnnotation(owner.grant.annotations, GrantImmutableSchema)?.metadata).toEqual({ reason: "the Account Owner role can only be changed by Temporal Support" });
    expect(owner.grant.principal?.id).toMatchObject({ resourceType: "user", resource: U.alice });
    expect(grant(`namespace:${NS.analytics}:admin:account-role:acme7-owner`).expansion?.entitlementIds).toEqual(["account-role:acme7-owner:member"]);
  });

  it("reads back through openC1z, the reader inspect and the one-shot flags use", async () => {
    const reader = await openC1z(join(dir, "sync.c1z"), { tempDir: dir });
    try {
      expect(reader.sync).toMatchObject({ syncId, syncType: "full" });
      const counts = reader.counts();
      expect(Object.fromEntries(counts.resources)).toEqual({ "account-role": 6, "api-key": 7, "custom-role": 3, group: 5, namespace: 4, project: 3, "security-insight": 11, "service-account": 9, user: 10 });
      expect([counts.entitlements, counts.grants, counts.derivedGrants]).toEqual([47, 129, 59]);
      expect(reader.resource("user", U.dave)?.displayName).toBe("dave@acme.example");
      expect(reader.grant(`group:${G.finance}:member:user:${U.erin}`)?.principal?.id?.resource).toBe(U.erin);
      expect([...reader.grants()]).toHaveLength(129);
    } finally {
      await reader.close();
    }
  });
});
