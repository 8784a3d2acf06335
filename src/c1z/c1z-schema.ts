/**
 * DEFERRED_GRANT_INDEXES are the indexes of v1_grants that a sync never reads: the writer creates
 * them when it finishes, over every row at once, instead of updating them row by row (grants
 * arrive in no useful order for them, and keeping them up to date took most of the time of
 * writing 200,000 grants). The unique one is also why the writer inserts grants without an
 * upsert and removes a grant listed twice when it finishes.
 */
export const DEFERRED_GRANT_INDEXES: readonly { name: string; create: string }[] = [
  { name: "idx_grants_resource_type_id_resource_id_v1", create: "create index if not exists idx_grants_resource_type_id_resource_id_v1 on v1_grants (resource_type_id, resource_id)" },
  { name: "idx_grants_principal_id_v1", create: "create index if not exists idx_grants_principal_id_v1 on v1_grants (principal_resource_type_id, principal_resource_id)" },
  {
    name: "idx_grants_entitlement_id_principal_id_v1",
    create: "create index if not exists idx_grants_entitlement_id_principal_id_v1 on v1_grants (entitlement_id, principal_resource_type_id, principal_resource_id)",
  },
  { name: "idx_grants_external_sync_v1", create: "create unique index if not exists idx_grants_external_sync_v1 on v1_grants (external_id, sync_id)" },
];

/**
 * C1Z_SCHEMA is the SQLite schema of a v1 c1z, statement by statement, exactly as the baton SDK
 * creates it (docs/c1z-format.md, "SQLite schema"): the same `v1_*` tables, column names, declared types,
 * defaults and index names, in the SDK's creation order (sync_runs before grants). Readers run
 * their own `CREATE … IF NOT EXISTS` and migrations on every open, so anything that differs —
 * a column type, a missing default — breaks their queries. No triggers or views: newer SDKs
 * reject files that have them.
 */
export const C1Z_SCHEMA: readonly string[] = [
  `create table if not exists v1_resource_types (
    id integer primary key,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  "create unique index if not exists idx_resource_types_external_sync_v1 on v1_resource_types (external_id, sync_id)",

  `create table if not exists v1_resources (
    id integer primary key,
    resource_type_id text not null,
    external_id text not null,
    parent_resource_type_id text,
    parent_resource_id text,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  // The SDK's index names and contents are swapped for these two; copied as they are.
  "create index if not exists idx_resources_resource_type_id_v1 on v1_resources (resource_type_id)",
  "create index if not exists idx_resources_external_sync_v1 on v1_resources (parent_resource_type_id, parent_resource_id)",
  "create unique index if not exists idx_resources_parent_resource_id_v1 on v1_resources (external_id, sync_id)",

  `create table if not exists v1_entitlements (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  "create index if not exists idx_entitlements_resource_id_v1 on v1_entitlements (resource_type_id, resource_id)",
  "create unique index if not exists idx_entitlements_external_sync_v1 on v1_entitlements (external_id, sync_id)",

  `create table if not exists v1_sync_runs (
    id integer primary key,
    sync_id text not null,
    started_at datetime not null,
    ended_at datetime,
    sync_token text not null,
    sync_type text not null default 'full',
    parent_sync_id text not null default '',
    linked_sync_id text not null default '',
    supports_diff integer not null default 0,
    grants_backfilled integer not null default 0,
    stats text,
    ingest_invariant_generation text not null default '',
    ingest_invariant_coverage text not null default '',
    ingest_invariant_mode text not null default ''
  )`,
  "create unique index if not exists idx_sync_runs_sync_id_v1 on v1_sync_runs (sync_id)",

  `create table if not exists v1_grants (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    entitlement_id text not null,
    principal_resource_type_id text not null,
    principal_resource_id text not null,
    external_id text not null,
    expansion blob,
    needs_expansion integer not null default 0,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  ...DEFERRED_GRANT_INDEXES.map((index) => index.create),
  // Added by the SDK's migrations; creating them here spares readers the work.
  "create index if not exists idx_grants_sync_expansion_v1 on v1_grants (sync_id) where expansion is not null",
  "create index if not exists idx_grants_sync_needs_expansion_v1 on v1_grants (sync_id) where needs_expansion = 1",
  "create index if not exists idx_grants_entitlement_sync_grant_v1 on v1_grants (entitlement_id, sync_id, id)",

  `create table if not exists v1_assets (
    id integer primary key,
    external_id text not null,
    content_type text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
  )`,
  "create unique index if not exists idx_assets_external_sync_v1 on v1_assets (external_id, sync_id)",

  `create table if not exists v1_connector_sessions (
    id integer primary key,
    sync_id text not null,
    key text not null,
    value blob not null
  )`,
  "create unique index if not exists idx_session_store_sync_key_v1 on v1_connector_sessions (sync_id, key)",
];
