import type { CallContext } from "../connector/resource-syncer.js";
import { createSyncCache } from "../connector/sync-cache.js";
import type { AsyncOperation } from "../gen/temporal/api/cloud/operation/v1/message_pb.js";
import { createAccountSnapshot, type AccountSnapshot } from "../temporal/account-snapshot.js";
import type { TemporalClient } from "../temporal/client.js";
import type { TemporalObserver } from "../temporal/observer.js";
import { awaitOperation } from "../temporal/operations.js";
import type { RoleSlug } from "./temporal-access.js";
import { createUserDirectory, type UserDirectory } from "./user-directory.js";

/** TemporalAccountOptions configures createTemporalAccount. */
export interface TemporalAccountOptions {
  client: TemporalClient;
  /** How many concurrent syncs keep a snapshot, how long an idle one is kept, and how many groups it reads ahead at once. */
  snapshots?: { maxSyncs?: number; idleMs?: number; memberReadAhead?: number };
  /** How long to wait for an async operation, and the bounds of the polling interval. */
  operations?: { deadlineMs?: number; minPollMs?: number; maxPollMs?: number };
  /** Account role given to accounts the connector creates. */
  defaultAccountRole?: RoleSlug;
  /** Told about each wait for an async operation (metrics). */
  observer?: TemporalObserver;
  /** The API version spoken has projects (v0.18.0 and later; default false). */
  projects?: boolean;
}

/**
 * TemporalAccount is what resource types share: the client, the snapshot a call reads, the
 * account id, and how mutations are awaited.
 */
export interface TemporalAccount {
  readonly client: TemporalClient;
  readonly defaultAccountRole: RoleSlug;
  /**
   * projects says whether the API version the connector speaks has projects (v0.18.0 and
   * later). Without them, nothing about projects is asked for or shown: older versions neither
   * return nor honour project access (docs/temporal-cloud-api.md, "Version header").
   */
  readonly projects: boolean;
  /** The users the connector has seen, by email (for audit records that name a user only by email). */
  readonly users: UserDirectory;
  /**
   * snapshot returns the sync's shared snapshot when the call belongs to a sync (active_sync_id),
   * so every list is read once per sync; otherwise a fresh one, so a call outside a sync never
   * sees stale data.
   */
  snapshot(ctx: CallContext): AccountSnapshot;
  /** accountId is the short account id (namespace ids end in it); fetched once per process. */
  accountId(): Promise<string>;
  /** awaitOperation waits for a mutation's async operation to finish. */
  awaitOperation(op: AsyncOperation, ctx: CallContext): Promise<AsyncOperation>;
  /** forgetSync drops a sync's snapshot (Cleanup). */
  forgetSync(syncId: string): void;
  close(): void;
}

/** createTemporalAccount builds the shared state of the resource types. */
export function createTemporalAccount(options: TemporalAccountOptions): TemporalAccount {
  const { client } = options;
  const snapshots = createSyncCache<AccountSnapshot>({
    maxEntries: options.snapshots?.maxSyncs ?? 4,
    idleMs: options.snapshots?.idleMs ?? 10 * 60_000,
    create: () => createAccountSnapshot(client, { memberReadAhead: options.snapshots?.memberReadAhead }),
    dispose: (snapshot) => snapshot.dispose(),
  });
  let accountId: Promise<string> | undefined;
  const operations = { deadlineMs: 10 * 60_000, ...options.operations, observer: options.observer };
  return {
    client,
    defaultAccountRole: options.defaultAccountRole ?? "read",
    projects: options.projects ?? false,
    users: createUserDirectory(),
    snapshot: (ctx) => (ctx.syncId ? snapshots.get(ctx.syncId) : createAccountSnapshot(client)),
    accountId() {
      // Not tied to one caller's signal: concurrent callers share this one request.
      accountId ??= client.getAccount().then(
        (account) => account.id,
        (err: unknown) => {
          accountId = undefined;
          throw err;
        },
      );
      return accountId;
    },
    awaitOperation: (op, ctx) => awaitOperation(client, op, { ...operations, signal: ctx.signal }),
    forgetSync: (syncId) => snapshots.delete(syncId),
    close: () => snapshots.clear(),
  };
}
