import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import {
  EntitlementSchema,
  GrantExpandableSchema,
  GrantSchema,
  ResourceSchema,
  ResourceTypeSchema,
  type Entitlement,
  type Grant,
  type GrantExpandable,
  type Resource,
  type ResourceType,
} from "../connector/c1.js";
import { C1zFormatError, readC1zEnvelope } from "./c1z-envelope.js";
import { readGrantParts } from "./grant-rows.js";
import { trackTempPath } from "./temp-paths.js";

/** SyncRun is a row of v1_sync_runs, as stored. */
export interface SyncRun {
  syncId: string;
  startedAt: string;
  /** null while the sync is unfinished. */
  endedAt: string | null;
  syncType: string;
  /** The full sync a partial sync was made against ('' for none). */
  parentSyncId: string;
}

/** OpenC1zOptions configures openC1z. */
export interface OpenC1zOptions {
  /** Directory for the decompressed database; os.tmpdir() by default. */
  tempDir?: string;
  signal?: AbortSignal;
}

/** C1zCountsByType is what inspect prints: resources per type, entitlements and grants. */
export interface C1zCountsByType {
  resources: Map<string, number>;
  entitlements: number;
  grants: number;
  /**
   * Grants derived by expansion (their sources name other entitlements, never their own): the
   * rest came from the connector.
   */
  derivedGrants: number;
}

/**
 * C1zReader reads one sync of a c1z: the newest finished `full` sync, as the `baton` CLI shows
 * by default (else the newest finished sync of any type, else the newest sync; a file without
 * sync runs shows all rows). Lists are iterators, so a large file is never loaded at once.
 */
export interface C1zReader {
  readonly path: string;
  /** The sync shown, or undefined when the file has no sync run. */
  readonly sync: SyncRun | undefined;
  resourceTypes(): ResourceType[];
  resources(resourceTypeId?: string): IterableIterator<Resource>;
  entitlements(): IterableIterator<Entitlement>;
  /** Grants as stored: GrantExpandable, if any, lives in the `expansion` column, not here. */
  grants(): IterableIterator<Grant>;
  /** The GrantExpandable kept beside each grant that carried one (the `expansion` column), by grant id. */
  grantExpansions(): IterableIterator<{ grantId: string; expansion: GrantExpandable }>;
  /** Every sync run of the file, oldest first. */
  syncRuns(): SyncRun[];
  resourceType(id: string): ResourceType | undefined;
  resource(resourceType: string, resource: string): Resource | undefined;
  entitlement(id: string): Entitlement | undefined;
  grant(id: string): Grant | undefined;
  counts(): C1zCountsByType;
  /** close removes the decompressed copy. */
  close(): Promise<void>;
}

/** SyncRunRow is a row of v1_sync_runs as SQLite gives it: its columns may hold any type. */
interface SyncRunRow {
  sync_id: unknown;
  started_at: unknown;
  ended_at: unknown;
  sync_type?: unknown;
  parent_sync_id?: unknown;
}

/** text reads a column that should hold text: SQLite lets any column hold any type. */
function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return String(value);
}

/** isC1zReadError tells the errors of a file that cannot be read (corrupt, not SQLite, missing tables) from bugs. */
export function isC1zReadError(err: unknown): err is Error {
  return err instanceof C1zFormatError || err instanceof Database.SqliteError;
}

/**
 * openC1z decompresses a v1 c1z into a temporary SQLite file and opens it. It reads files of
 * the Go SDK too: only the columns every v1 writer has are queried.
 */
export async function openC1z(path: string, options: OpenC1zOptions = {}): Promise<C1zReader> {
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "c1z-read-"));
  const untrack = trackTempPath(dir);
  const remove = async () => {
    await rm(dir, { recursive: true, force: true });
    untrack();
  };
  let db: Database.Database | undefined;
  let sync: SyncRun | undefined;
  let runs: SyncRun[] = [];
  try {
    const databasePath = join(dir, "db");
    await readC1zEnvelope(path, databasePath, options.signal);
    // Not read-only: a Go-written file may still be marked WAL, and read-only WAL needs a -shm
    // file. This is a private copy that is deleted on close, so nothing is ever written back.
    db = new Database(databasePath);
    // The first query is also where a payload that is not SQLite shows (SQLITE_NOTADB).
    runs = syncRunsOf(db.prepare<[], SyncRunRow>("select * from v1_sync_runs order by id").all());
    sync = pickSync(runs);
  } catch (err) {
    db?.close();
    await remove();
    throw err;
  }
  const database = db;
  // One parameter decides the filter: with no sync run, every row is shown, as baton does.
  const syncId = sync?.syncId ?? null;
  const where = "(@sync is null or sync_id = @sync)";
  type Params = { sync: string | null; key?: string };

  /** decode reads a row's data: a row that is not the message it should be makes the file corrupt, not the reader. */
  function decode<S extends DescMessage>(schema: S, data: unknown): MessageShape<S> {
    if (!(data instanceof Uint8Array)) throw new C1zFormatError(`${path} is corrupt: a ${schema.typeName} row holds no protobuf data`);
    try {
      return fromBinary(schema, data);
    } catch (err) {
      throw new C1zFormatError(`${path} is corrupt: a row does not decode as ${schema.typeName} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  function one<S extends DescMessage>(schema: S, sql: string, key: string): MessageShape<S> | undefined {
    const row = database.prepare<Params, { data: unknown }>(sql).get({ sync: syncId, key });
    return row && decode(schema, row.data);
  }
  function* many<S extends DescMessage>(schema: S, sql: string, key?: string): Generator<MessageShape<S>> {
    const params: Params = key === undefined ? { sync: syncId } : { sync: syncId, key };
    for (const row of database.prepare<Params, { data: unknown }>(sql).iterate(params)) yield decode(schema, row.data);
  }

  return {
    path,
    sync,
    resourceTypes: () => [...many(ResourceTypeSchema, `select data from v1_resource_types where ${where} order by id`)],
    resources: (type) =>
      type === undefined
        ? many(ResourceSchema, `select data from v1_resources where ${where} order by id`)
        : many(ResourceSchema, `select data from v1_resources where ${where} and resource_type_id = @key order by id`, type),
    entitlements: () => many(EntitlementSchema, `select data from v1_entitlements where ${where} order by id`),
    grants: () => many(GrantSchema, `select data from v1_grants where ${where} order by id`),
    *grantExpansions() {
      const rows = database.prepare<Params, { external_id: string; expansion: Buffer }>(`select external_id, expansion from v1_grants where ${where} and expansion is not null order by id`);
      for (const row of rows.iterate({ sync: syncId })) yield { grantId: row.external_id, expansion: fromBinary(GrantExpandableSchema, row.expansion) };
    },
    syncRuns: () => runs,
    resourceType: (id) => one(ResourceTypeSchema, `select data from v1_resource_types where ${where} and external_id = @key order by id desc`, id),
    resource: (type, id) => one(ResourceSchema, `select data from v1_resources where ${where} and external_id = @key order by id desc`, `${type}:${id}`),
    entitlement: (id) => one(EntitlementSchema, `select data from v1_entitlements where ${where} and external_id = @key order by id desc`, id),
    grant: (id) => one(GrantSchema, `select data from v1_grants where ${where} and external_id = @key order by id desc`, id),
    counts() {
      const count = (table: string) => database.prepare<Params, { n: number }>(`select count(*) as n from ${table} where ${where}`).get({ sync: syncId })!.n;
      const perType = database
        .prepare<Params, { type: string; n: number }>(`select resource_type_id as type, count(*) as n from v1_resources where ${where} group by resource_type_id`)
        .all({ sync: syncId });
      let derivedGrants = 0;
      for (const row of database.prepare<Params, { entitlement_id: unknown; data: unknown }>(`select entitlement_id, data from v1_grants where ${where}`).iterate({ sync: syncId })) {
        if (!(row.data instanceof Uint8Array)) continue;
        try {
          const { sources } = readGrantParts(row.data);
          if (sources.size > 0 && !sources.has(text(row.entitlement_id))) derivedGrants++;
        } catch {
          // A damaged grant counts as the connector's: inspect --json names what it cannot read.
        }
      }
      return { resources: new Map(perType.map((r) => [text(r.type), r.n])), entitlements: count("v1_entitlements"), grants: count("v1_grants"), derivedGrants };
    },
    async close() {
      if (database.open) database.close();
      await remove();
    },
  };
}

function syncRunsOf(rows: SyncRunRow[]): SyncRun[] {
  return rows.map((r) => ({
    syncId: text(r.sync_id),
    startedAt: text(r.started_at),
    endedAt: r.ended_at === null ? null : text(r.ended_at),
    syncType: r.sync_type == null ? "full" : text(r.sync_type),
    parentSyncId: r.parent_sync_id == null ? "" : text(r.parent_sync_id),
  }));
}

/** pickSync chooses the sync baton's list commands show (docs/c1z-format.md, "Which sync readers show"). */
function pickSync(runs: SyncRun[]): SyncRun | undefined {
  // ended_at is text in one layout, so text order is time order, as in the SDK's ORDER BY.
  const newestFinished = (list: SyncRun[]) => list.filter((r) => r.endedAt !== null).sort((a, b) => (a.endedAt! < b.endedAt! ? 1 : a.endedAt! > b.endedAt! ? -1 : 0))[0];
  return newestFinished(runs.filter((r) => r.syncType === "full")) ?? newestFinished(runs) ?? runs[runs.length - 1];
}
