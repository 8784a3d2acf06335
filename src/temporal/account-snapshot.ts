import type { ApiKey, CustomRole, ServiceAccount, User, UserGroup, UserGroupMember } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import type { Namespace } from "../gen/temporal/api/cloud/namespace/v1/message_pb.js";
import type { CallOptions, Page, PageRequest, TemporalClient } from "./client.js";
import { createSharedFetches } from "./shared-fetches.js";
import { requestsWritten } from "./transport.js";

/** ListSource is one list endpoint seen through a snapshot. */
export interface ListSource<T> {
  /** One upstream page ("" = the first). */
  page(token: string, signal?: AbortSignal): Promise<Page<T>>;
  /** Every item, walking the pages once. */
  all(signal?: AbortSignal): Promise<T[]>;
  /**
   * prefetch starts walking every page in the background, so that the pages a sync asks for next
   * are already there: upstream round trips overlap with the sync's own work. Failures are left
   * for the caller who asks for the page to see.
   */
  prefetch(): void;
}

/**
 * AccountSnapshot is a view of the account's lists in which each upstream page is fetched at most
 * once, however many callers (and concurrent callers) ask for it. A sync uses one snapshot from
 * start to end, so its resources and grants come from the same data and no list is read twice.
 */
export interface AccountSnapshot {
  /** takenAt is when the snapshot was made: for a sync, the sync's time. */
  readonly takenAt: Date;
  readonly users: ListSource<User>;
  readonly serviceAccounts: ListSource<ServiceAccount>;
  readonly groups: ListSource<UserGroup>;
  readonly namespaces: ListSource<Namespace>;
  readonly customRoles: ListSource<CustomRole>;
  readonly apiKeys: ListSource<ApiKey>;
  groupMembers(groupId: string): ListSource<UserGroupMember>;
  /**
   * list is any other list endpoint seen through the snapshot, named by the caller: one source
   * per name, so a new resource type needs no change here.
   */
  list<T>(name: string, fetchPage: PageFetcher<T>): ListSource<T>;
  /** prefetchMembers reads the members of these groups ahead, a few groups at a time. */
  prefetchMembers(groupIds: readonly string[]): void;
  /** derive computes a value from the snapshot (an index, say) once and shares it. */
  derive<T>(key: string, compute: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** dispose stops read-ahead and drops everything held; calls in flight still get their answers. */
  dispose(): void;
}

/**
 * memberReadAheadFor is how many groups' members a snapshot reads ahead at once under a rate
 * limit: about 50 ms of the limit, at least 4 and at most 32. Enough to keep the limit busy at
 * upstream latencies of tens of milliseconds, and never so many that a call the syncer waits for
 * queues behind more than ~50 ms of read-ahead in the limiter (which serves in arrival order).
 * At the default 80/s it is 4; at 1,000/s, 32 (issue 22's bench: the 300 member requests of the
 * 10,000-user account took 1.5 s of the sync four at a time, at 20 ms each).
 */
export function memberReadAheadFor(requestsPerSecond: number): number {
  return Math.min(32, Math.max(4, Math.ceil(requestsPerSecond / 20)));
}

/** PageFetcher fetches one page of a list endpoint (a TemporalClient list method). */
export type PageFetcher<T> = (page: PageRequest, opts: CallOptions) => Promise<Page<T>>;

/** createAccountSnapshot makes an empty snapshot over a client; it fetches lazily. */
export function createAccountSnapshot(client: TemporalClient, options: { memberReadAhead?: number } = {}): AccountSnapshot {
  const memberReadAhead = options.memberReadAhead ?? 4;
  const shared = createSharedFetches();

  function source<T>(name: string, fetchPage: PageFetcher<T>): ListSource<T> {
    // A page and the whole list have keys of their own kind: a page token is any string (a caller's included), even "*".
    const page = (token: string, signal?: AbortSignal) =>
      shared.get(`page\u0000${name}\u0000${token}`, (s) => fetchPage({ pageToken: token || undefined }, { signal: s }), signal);
    const all = (signal?: AbortSignal) =>
      shared.get(
        `all\u0000${name}`,
        async (s) => {
          const items: T[] = [];
          let next = page("", s);
          for (;;) {
            const current = await next;
            // Ask for the next page before reading this one: the client converts a page's items
            // when they are first read, and that should overlap with the next round trip.
            if (current.nextPageToken) {
              next = page(current.nextPageToken, s);
              next.catch(() => {}); // awaited below; a failure while this page is read must not go unhandled
              // Let the request go out before this page's conversion holds the thread.
              await requestsWritten();
            }
            for (const item of current.items) items.push(item);
            if (!current.nextPageToken) return items;
          }
        },
        signal,
      );
    return { page, all, prefetch: () => void all().catch(() => {}) };
  }

  const readAhead = new Set<string>();
  const named = new Map<string, ListSource<unknown>>();
  const members = (groupId: string) => source(`members/${groupId}`, (page, opts) => client.listUserGroupMembers(groupId, page, opts));

  return {
    takenAt: new Date(),
    users: source("users", client.listUsers),
    serviceAccounts: source("service-accounts", client.listServiceAccounts),
    groups: source("groups", client.listUserGroups),
    namespaces: source("namespaces", client.listNamespaces),
    customRoles: source("custom-roles", client.listCustomRoles),
    apiKeys: source("api-keys", client.listApiKeys),
    groupMembers: members,
    list<T>(name: string, fetchPage: PageFetcher<T>) {
      let found = named.get(name) as ListSource<T> | undefined;
      if (!found) named.set(name, (found = source(`list/${name}`, fetchPage) as ListSource<unknown> as ListSource<T>));
      return found;
    },
    prefetchMembers(groupIds) {
      // A few at a time: enough to keep the rate limit busy without queueing hundreds of
      // requests ahead of the calls the syncer is waiting for.
      const queue = groupIds.filter((id) => !readAhead.has(id));
      queue.forEach((id) => readAhead.add(id));
      const worker = async (): Promise<void> => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) await members(id).all().catch(() => {});
      };
      for (let i = 0; i < memberReadAhead; i++) void worker();
    },
    derive: (key, compute, signal) => shared.get(`derived\u0000${key}`, compute, signal),
    dispose: () => shared.dispose(),
  };
}
