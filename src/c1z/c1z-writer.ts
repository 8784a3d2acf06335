import { access, constants, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create, fromBinary } from "@bufbuild/protobuf";
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import {
  EntitlementSchema,
  GrantExpandableSchema,
  GrantSchema,
  GrantSourcesSchema,
  ResourceSchema,
  ResourceTypeSchema,
  type Grant,
  type Resource,
} from "../connector/c1.js";
import { encoder } from "../codec/codecs.js";
import type { ExpansionStore, StoredGrant } from "../sync/expand.js";
import { newSyncId, type SyncStore, type SyncType } from "../sync/syncer.js";
import { createDerivedGrantEncoder, ENTITLEMENT, lengthDelimited, readGrantParts } from "./grant-rows.js";
import { C1zFormatError, readC1zEnvelope, writeC1zEnvelope } from "./c1z-envelope.js";
import { C1Z_SCHEMA, DEFERRED_GRANT_INDEXES } from "./c1z-schema.js";
import { formatSyncTimestamp } from "./sync-timestamp.js";
import { trackTempPath } from "./temp-paths.js";

// The data column of every row is a binary c1.connector.v2 message.
const encodeResourceType = encoder(ResourceTypeSchema);
const encodeResource = encoder(ResourceSchema);
const encodeEntitlement = encoder(EntitlementSchema);
const encodeGrant = encoder(GrantSchema);
const encodeGrantExpandable = encoder(GrantExpandableSchema);

/** RESOURCE_PAGE is how many resources resourcesOfType reads from SQLite at a time. */
const RESOURCE_PAGE = 200;

/** C1zWriterOptions configures createC1zWriter. */
export interface C1zWriterOptions {
  /** The c1z to publish when the sync finishes (replaced atomically). */
  path: string;
  /** Directory of the working SQLite database; os.tmpdir() by default, as the SDK does. */
  tempDir?: string;
  /**
   * Rows per transaction (default 1000). Committing in batches is what makes SQLite fast:
   * one transaction per row would create and delete a journal file for every row.
   */
  batchSize?: number;
  /** zstd level of the published file (default 3, the SDK's default). */
  compressionLevel?: number;
  /**
   * How many finished full syncs the published file keeps, this one included (default 2, the
   * SDK's BATON_KEEP_SYNC_COUNT: the previous sync is what `baton diff` compares with);
   * Infinity keeps them all (BATON_SKIP_CLEANUP).
   */
  keepSyncs?: number;
  /**
   * The kind of sync run (default `full`). A `partial` run names as its parent the newest
   * finished full sync of the file, as the SDK's targeted syncs do.
   */
  syncType?: SyncType;
  /** Clock, for tests. */
  now?: () => Date;
}

/** C1zCounts is how many objects a writer has stored so far. */
export interface C1zCounts {
  resourceTypes: number;
  resources: number;
  entitlements: number;
  grants: number;
}

/** C1zWriter is a SyncStore that ends up as a c1z file. */
export interface C1zWriter extends SyncStore {
  /** The KSUID of the sync run every row carries. */
  readonly syncId: string;
  /** The c1z the writer publishes. */
  readonly path: string;
  counts(): C1zCounts;
  /**
   * finish ends the sync run (ended_at), closes the database and publishes it as the c1z,
   * atomically; then the temporary files are gone. The writer cannot be used afterwards.
   */
  finish(signal?: AbortSignal): Promise<{ bytes: number }>;
  /** abort discards the sync: the c1z is left as it was and the temporary files are removed. */
  abort(): Promise<void>;
}

/**
 * createC1zWriter starts a full sync run in a working copy of the target c1z (or a fresh
 * database) with the exact v1 c1z schema (docs/c1z-format.md, "SQLite schema" and "Rows"): a `full` sync-run row
 * with `supports_diff` and `grants_backfilled` set, so readers never backfill; every `data`
 * column a binary c1.connector.v2 message; GrantExpandable moved from a grant's annotations to
 * its `expansion` column. Like the SDK, finishing keeps the newest `keepSyncs` full syncs of
 * the file. An existing target that is not a v1 c1z is refused (C1zFormatError), never replaced.
 * Memory stays bounded whatever the account's size: rows go to disk in batches and
 * resourcesOfType pages through SQLite instead of keeping resources in memory.
 */
export async function createC1zWriter(options: C1zWriterOptions): Promise<C1zWriter> {
  const now = options.now ?? (() => new Date());
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const keepSyncs = Math.max(1, options.keepSyncs ?? 2);
  // Fail before the sync, not after it, when the c1z could never be published.
  await access(dirname(options.path), constants.W_OK);

  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "c1z-"));
  const untrackDir = trackTempPath(dir);
  const databasePath = join(dir, "db");
  const syncId = newSyncId(now());
  const syncType = options.syncType ?? "full";
  let db: Database.Database;
  try {
    const previous = await exists(options.path);
    if (previous) await readC1zEnvelope(options.path, databasePath);
    try {
      db = openWorkingDatabase(databasePath, { syncId, syncType, startedAt: formatSyncTimestamp(now()) });
    } catch (err) {
      // E.g. a file of an SDK version whose tables differ from the ones we write.
      if (previous && err instanceof Error) throw new C1zFormatError(`${options.path} cannot take another sync: ${err.message}`);
      throw err;
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    untrackDir();
    throw err;
  }

  const insertResourceType = db.prepare(
    `insert into v1_resource_types (external_id, data, sync_id, discovered_at) values (?, ?, ?, ?)
     on conflict (external_id, sync_id) do update set data = excluded.data, discovered_at = excluded.discovered_at`,
  );
  const insertResource = db.prepare(
    `insert into v1_resources (resource_type_id, external_id, parent_resource_type_id, parent_resource_id, data, sync_id, discovered_at)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (external_id, sync_id) do nothing`,
  );
  const insertEntitlement = db.prepare(
    `insert into v1_entitlements (resource_type_id, resource_id, external_id, data, sync_id, discovered_at) values (?, ?, ?, ?, ?, ?)
     on conflict (external_id, sync_id) do update set resource_type_id = excluded.resource_type_id, resource_id = excluded.resource_id,
       data = excluded.data, discovered_at = excluded.discovered_at`,
  );
  // No upsert: the unique index on (external_id, sync_id) is made when the sync finishes
  // (DEFERRED_GRANT_INDEXES), and a grant listed twice is reduced to its last copy then.
  const insertGrant = db.prepare(
    `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id,
       expansion, needs_expansion, data, sync_id, discovered_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectResources = db.prepare<[string, string, number, number], { id: number; data: Buffer }>(
    "select id, data from v1_resources where resource_type_id = ? and sync_id = ? and id > ? order by id limit ?",
  );
  const selectEntitlement = db.prepare<[string, string], { resource_type_id: string; resource_id: string; data: Buffer }>(
    "select resource_type_id, resource_id, data from v1_entitlements where external_id = ? and sync_id = ?",
  );
  const selectResourceExists = db.prepare<[string, string], { one: number }>("select 1 as one from v1_resources where external_id = ? and sync_id = ?");
  const selectExpandable = db.prepare<[string], { entitlement_id: string; principal_resource_type_id: string; principal_resource_id: string; expansion: Buffer }>(
    "select entitlement_id, principal_resource_type_id, principal_resource_id, expansion from v1_grants where sync_id = ? and expansion is not null and needs_expansion = 1 order by id",
  );
  const selectGrantsOn = db.prepare<[string, string], { id: number; principal_resource_type_id: string; principal_resource_id: string; data: Buffer }>(
    "select id, principal_resource_type_id, principal_resource_id, data from v1_grants where entitlement_id = ? and sync_id = ? order by id",
  );
  const selectGrantData = db.prepare<[number], { data: Buffer }>("select data from v1_grants where id = ?");
  const updateGrantData = db.prepare("update v1_grants set data = ? where id = ?");
  const insertDerivedGrant = db.prepare(
    `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id,
       expansion, needs_expansion, data, sync_id, discovered_at)
     values (?, ?, ?, ?, ?, ?, null, 0, ?, ?, ?)`,
  );
  const endSync = db.prepare("update v1_sync_runs set ended_at = ? where sync_id = ? and ended_at is null");

  // Rows are written inside an open transaction that is committed every batchSize rows. Reads
  // on the same connection see the uncommitted rows, so nothing has to be flushed before one.
  db.exec("begin");
  let pending = 0;
  const wrote = () => {
    if (++pending < batchSize) return;
    db.exec("commit");
    db.exec("begin");
    pending = 0;
  };

  let lastMs = Number.NaN;
  let lastStamp = "";
  const discoveredAt = () => {
    const date = now();
    if (date.getTime() !== lastMs) [lastMs, lastStamp] = [date.getTime(), formatSyncTimestamp(date)];
    return lastStamp;
  };

  const types = new Set<string>();
  const counts = { resources: 0, entitlements: 0, grants: 0 };
  let state: "open" | "finishing" | "closed" = "open";
  const ensureOpen = () => {
    if (state !== "open") throw new Error(`c1z writer for ${options.path} is ${state === "closed" ? "closed" : "finishing"}`);
  };

  async function discard(): Promise<void> {
    state = "closed";
    if (db.open) {
      try {
        if (db.inTransaction) db.exec("rollback");
      } finally {
        db.close();
      }
    }
    await rm(dir, { recursive: true, force: true });
    untrackDir();
  }

  /**
   * The grant rows as expansion reads and writes them: principals stay encoded, as the principal
   * field of their grant (a derived grant embeds its source grant's principal as it is), the entitlement a derived grant embeds is the
   * row of v1_entitlements, and GrantExpandable is read from the `expansion` column.
   */
  type RowGrant = StoredGrant<Uint8Array> & { rowId: number };
  let derivedFor: { id: string; field: Uint8Array; resourceType: string; resource: string } | undefined;
  const encodeDerivedGrant = createDerivedGrantEncoder();
  const expansionStore: ExpansionStore<Uint8Array, RowGrant> = {
    *expandableGrants() {
      for (const row of selectExpandable.all(syncId)) {
        const expandable = fromBinary(GrantExpandableSchema, row.expansion);
        yield {
          entitlementId: row.entitlement_id,
          principalType: row.principal_resource_type_id,
          principalId: row.principal_resource_id,
          entitlementIds: expandable.entitlementIds,
          shallow: expandable.shallow,
          resourceTypeIds: expandable.resourceTypeIds,
        };
      }
    },
    entitlementOwner(id) {
      const row = selectEntitlement.get(id, syncId);
      return row && `${row.resource_type_id}\u0000${row.resource_id}`;
    },
    *grantsOn(entitlementId) {
      for (const row of selectGrantsOn.all(entitlementId, syncId)) {
        const { principalField, sources } = readGrantParts(row.data);
        yield { rowId: row.id, principalType: row.principal_resource_type_id, principalId: row.principal_resource_id, principal: principalField, sources };
      }
    },
    putDerived(grant) {
      if (derivedFor?.id !== grant.entitlementId) {
        const row = selectEntitlement.get(grant.entitlementId, syncId)!;
        derivedFor = { id: grant.entitlementId, field: lengthDelimited(ENTITLEMENT, row.data), resourceType: row.resource_type_id, resource: row.resource_id };
      }
      const data = encodeDerivedGrant({ entitlementField: derivedFor.field, principalField: grant.principal, id: grant.id, sources: grant.sources });
      insertDerivedGrant.run(derivedFor.resourceType, derivedFor.resource, grant.entitlementId, grant.principalType, grant.principalId, grant.id, data, syncId, discoveredAt());
      counts.grants++;
      wrote();
    },
    setSources(grant, sources) {
      const stored = fromBinary(GrantSchema, selectGrantData.get(grant.rowId)!.data);
      stored.sources = create(GrantSourcesSchema, { sources: Object.fromEntries([...sources].map(([k, isDirect]) => [k, { isDirect }])) });
      updateGrantData.run(encodeGrant(stored), grant.rowId);
      wrote();
    },
  };

  return {
    syncId,
    path: options.path,

    putResourceType(type) {
      ensureOpen();
      insertResourceType.run(type.id, encodeResourceType(type), syncId, discoveredAt());
      types.add(type.id);
      wrote();
    },

    putResource(resource) {
      ensureOpen();
      const id = resource.id!;
      const parent = resource.parentResourceId;
      const inserted = insertResource.run(
        id.resourceType,
        `${id.resourceType}:${id.resource}`,
        parent ? parent.resourceType : null,
        parent ? parent.resource : null,
        encodeResource(resource),
        syncId,
        discoveredAt(),
      ).changes;
      if (inserted === 0) return false;
      counts.resources++;
      wrote();
      return true;
    },

    putEntitlement(entitlement) {
      ensureOpen();
      const owner = entitlement.resource?.id;
      // baton's `entitlements` command dereferences entitlement.resource.id without a nil check.
      if (!owner) throw new Error(`entitlement ${entitlement.id} has no resource id`);
      insertEntitlement.run(owner.resourceType, owner.resource, entitlement.id, encodeEntitlement(entitlement), syncId, discoveredAt());
      counts.entitlements++;
      wrote();
    },

    putGrant(grant) {
      ensureOpen();
      const owner = grant.entitlement?.resource?.id;
      const principal = grant.principal?.id;
      // Readers dereference both without nil checks (docs/c1z-format.md, "Rows"); the Go store refuses such grants too.
      if (!grant.entitlement?.id || !owner || !principal) throw new Error(`grant ${grant.id} lacks its entitlement or principal identity`);
      const { data, expansion } = splitExpansion(grant);
      insertGrant.run(
        owner.resourceType,
        owner.resource,
        grant.entitlement.id,
        principal.resourceType,
        principal.resource,
        grant.id,
        expansion,
        expansion ? 1 : 0,
        data,
        syncId,
        discoveredAt(),
      );
      counts.grants++;
      wrote();
    },

    *resourcesOfType(resourceTypeId) {
      // Keyset pages, each read completely before it is yielded: an open SQLite cursor would
      // block the writes the caller makes between two resources.
      let after = 0;
      for (;;) {
        ensureOpen();
        const page = selectResources.all(resourceTypeId, syncId, after, RESOURCE_PAGE);
        for (const row of page) yield fromBinary(ResourceSchema, row.data) as Resource;
        if (page.length < RESOURCE_PAGE) return;
        after = page[page.length - 1]!.id;
      }
    },

    hasResource(id) {
      ensureOpen();
      return selectResourceExists.get(`${id.resourceType}:${id.resource}`, syncId) !== undefined;
    },

    expansion() {
      ensureOpen();
      return expansionStore as unknown as ExpansionStore<unknown>;
    },

    counts: () => ({ resourceTypes: types.size, ...counts }),

    async finish(signal) {
      ensureOpen();
      state = "finishing";
      try {
        endSync.run(formatSyncTimestamp(now()), syncId);
        db.exec("commit");
        if (removeOldSyncs(db, keepSyncs) > 0) db.exec("vacuum");
        createDeferredIndexes(db, syncId);
        // A no-op in rollback-journal mode; kept so that the published file is self-contained
        // even if the journal mode is ever changed to WAL (docs/c1z-format.md, "Reader limits": no pending -wal).
        db.pragma("wal_checkpoint(TRUNCATE)");
        db.close();
        await writeC1zEnvelope(databasePath, options.path, { compressionLevel: options.compressionLevel, signal });
        const { size } = await stat(options.path);
        return { bytes: size };
      } finally {
        await discard();
      }
    },

    // While finishing, the signal passed to finish is what stops it; finish cleans up itself.
    abort: () => (state === "open" ? discard() : Promise.resolve()),
  };
}

/**
 * openWorkingDatabase creates the SQLite database a sync writes into: the schema and the
 * unfinished sync-run row as the SDK starts it (docs/c1z-format.md, "Sync runs and cleanup"):
 * `grants_backfilled` set, so that readers never backfill the expansion column; `supports_diff`
 * set for a full sync (the SDK sets it when a full sync reaches grant expansion, even when it
 * skips it) and left 0 for partial and resources-only runs; a partial run's parent is the newest
 * finished full sync of the file.
 */
function openWorkingDatabase(path: string, run: { syncId: string; syncType: SyncType; startedAt: string }): Database.Database {
  const db = new Database(path);
  try {
    // The whole file is compressed at the end, so it must be self-contained: no WAL. The
    // working copy is disposable, so durability comes from the fsync of the published file.
    // A new file gets 16 KiB pages: with rows of about a kilobyte (a derived grant embeds its
    // entitlement and principal), writing and indexing 200,000 grants took a quarter less CPU
    // than with 4 KiB pages. Every SQLite reads any page size; an existing file keeps its own.
    db.pragma("page_size = 16384");
    db.pragma("journal_mode = DELETE");
    db.pragma("synchronous = OFF");
    // A fixed page cache (4 MiB) keeps memory flat; SQLite spills to the file beyond it, and
    // the operating system's file cache makes that cheap.
    db.pragma("cache_size = -4096");
    db.transaction(() => {
      const deferred = new Set(DEFERRED_GRANT_INDEXES.map((index) => index.create));
      for (const statement of C1Z_SCHEMA) if (!deferred.has(statement)) db.exec(statement);
      // A file that held syncs already has them: they are made again, over every row, at the end.
      for (const index of DEFERRED_GRANT_INDEXES) db.exec(`drop index if exists ${index.name}`);
      const parent =
        run.syncType === "partial"
          ? (db.prepare<[], { sync_id: string }>("select sync_id from v1_sync_runs where sync_type = 'full' and ended_at is not null order by ended_at desc, id desc limit 1").get()?.sync_id ?? "")
          : "";
      db.prepare(
        `insert into v1_sync_runs (sync_id, started_at, ended_at, sync_token, sync_type, parent_sync_id, linked_sync_id, supports_diff, grants_backfilled)
         values (?, ?, null, '', ?, ?, '', ?, 1)`,
      ).run(run.syncId, run.startedAt, run.syncType, parent, run.syncType === "full" ? 1 : 0);
    })();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * createDeferredIndexes makes the grant indexes a sync does not read (DEFERRED_GRANT_INDEXES),
 * over every row at once. If the sync holds a grant id twice (a connector that lists a grant on
 * two pages), only its last copy is kept, as the SDK's upsert keeps the last write.
 */
function createDeferredIndexes(db: Database.Database, syncId: string): void {
  const create = () => db.transaction(() => DEFERRED_GRANT_INDEXES.forEach((index) => db.exec(index.create)))();
  try {
    create();
  } catch (err) {
    if ((err as { code?: string }).code !== "SQLITE_CONSTRAINT_UNIQUE") throw err;
    db.transaction(() => {
      db.exec("create index dedupe_grants on v1_grants (sync_id, external_id, id)");
      db.prepare(
        `delete from v1_grants where sync_id = @sync and id in
           (select g.id from v1_grants g where g.sync_id = @sync and exists
              (select 1 from v1_grants later where later.sync_id = @sync and later.external_id = g.external_id and later.id > g.id))`,
      ).run({ sync: syncId });
      db.exec("drop index dedupe_grants");
    })();
    create();
  }
}

/** Every table whose rows belong to a sync. */
const SYNC_TABLES = ["v1_resource_types", "v1_resources", "v1_entitlements", "v1_grants", "v1_assets", "v1_connector_sessions", "v1_sync_runs"];

/**
 * removeOldSyncs is the SDK's cleanup (docs/c1z-format.md, "Sync runs and cleanup"): it keeps the newest `keep`
 * finished full syncs, deletes older full syncs and the partial syncs that ended before the
 * oldest one kept, and leaves unfinished syncs alone. Returns how many syncs it deleted.
 */
function removeOldSyncs(db: Database.Database, keep: number): number {
  const full = db
    .prepare<[], { sync_id: string; ended_at: string }>("select sync_id, ended_at from v1_sync_runs where sync_type = 'full' and ended_at is not null order by ended_at desc, id desc")
    .all();
  if (full.length <= keep) return 0;
  const oldestKept = full[keep - 1]!.ended_at;
  const doomed = db
    .prepare<[string, string], { sync_id: string }>("select sync_id from v1_sync_runs where ended_at is not null and ended_at <= ? and sync_id not in (select value from json_each(?))")
    .all(oldestKept, JSON.stringify(full.slice(0, keep).map((r) => r.sync_id)));
  db.transaction(() => {
    for (const table of SYNC_TABLES) {
      const remove = db.prepare(`delete from ${table} where sync_id = ?`);
      for (const { sync_id } of doomed) remove.run(sync_id);
    }
  })();
  return doomed.length;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/**
 * splitExpansion serializes a grant for the `data` column without its GrantExpandable
 * annotation, and the annotation itself for the `expansion` column, as the SDK's store does:
 * readers expect `data` never to carry it once `supports_diff` is set. An annotation without a
 * usable entitlement id is dropped and leaves `expansion` NULL, as in the SDK.
 */
function splitExpansion(grant: Grant): { data: Uint8Array; expansion: Uint8Array | null } {
  const found = grant.annotations.find((a) => anyIs(a, GrantExpandableSchema));
  if (!found) return { data: encodeGrant(grant), expansion: null };
  const expandable = anyUnpack(found, GrantExpandableSchema)!;
  const stripped = { ...grant, annotations: grant.annotations.filter((a) => !anyIs(a, GrantExpandableSchema)) };
  const usable = expandable.entitlementIds.some((id) => id.trim() !== "");
  return { data: encodeGrant(stripped), expansion: usable ? encodeGrantExpandable(expandable) : null };
}
