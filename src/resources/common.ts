import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Status_ResourceStatus, type Status } from "../connector/c1.js";
import { newStatus } from "../connector/ids.js";
import { stringCursor, type Cursor } from "../connector/page-token.js";
import { lazily, type CallContext, type ListPage } from "../connector/resource-syncer.js";
import type { ListSource } from "../temporal/account-snapshot.js";
import { ResourceState } from "../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { TemporalApiError } from "../temporal/errors.js";
import { requestsWritten } from "../temporal/transport.js";

/** profile builds a Resource.profile object, leaving out empty values. */
export function profile(fields: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    out[key] = value;
  }
  return out;
}

/** iso renders a protobuf timestamp for a profile. */
export function iso(ts: Timestamp | undefined): string | undefined {
  return ts && timestampDate(ts).toISOString();
}

/** stateName renders a Temporal resource state for people: RESOURCE_STATE_ACTIVE → "active". */
export function stateName(state: ResourceState): string {
  let name = stateNames.get(state);
  if (name === undefined) {
    name = (ResourceState[state] ?? "unspecified").toLowerCase().replace(/_/g, "-");
    stateNames.set(state, name);
  }
  return name;
}
const stateNames = new Map<ResourceState, string>();


/**
 * resourceStatus maps a Temporal resource state to the protocol's coarse status: deleting and
 * deleted are DELETED, suspended/expired/failed activations are DISABLED, anything else ENABLED.
 */
export function resourceStatus(state: ResourceState, details?: string): Status {
  let status = Status_ResourceStatus.ENABLED;
  switch (state) {
    case ResourceState.DELETING:
    case ResourceState.DELETED:
      status = Status_ResourceStatus.DELETED;
      break;
    case ResourceState.SUSPENDED:
    case ResourceState.EXPIRED:
    case ResourceState.ACTIVATION_FAILED:
      status = Status_ResourceStatus.DISABLED;
      break;
  }
  return newStatus(status, clipToBytes(details ?? (status === Status_ResourceStatus.ENABLED ? "" : stateName(state)), 1024));
}

/** clipToBytes shortens text to a byte budget (protocol limits are in UTF-8 bytes), marking the cut with "...". */
export function clipToBytes(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most texts are clearly short enough without measuring.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  let end = maxBytes - 3;
  // Never cut inside a character: back up to the start of the one the cut would split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString("utf8")}...`;
}

/** isNotFound tells whether an upstream call failed because the object does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof TemporalApiError && err.kind === "not-found";
}

/** orUndefinedIfMissing resolves to undefined when the upstream object does not exist. */
export async function orUndefinedIfMissing<T>(fetch: Promise<T>): Promise<T | undefined> {
  try {
    return await fetch;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * pageOf serves one page of a list method from one upstream page of a snapshot list (the cursor
 * is the upstream page token). In a sync, the next pages are wanted next: it starts reading them
 * ahead while this one is served.
 */
export async function pageOf<T, R>(ctx: CallContext, source: ListSource<T>, cursor: Cursor | undefined, convert: (item: T) => R | R[]): Promise<ListPage<R>> {
  if (ctx.syncId) source.prefetch();
  const page = await source.page(stringCursor(cursor), ctx.signal);
  // The read-ahead may have just asked for the next page: let that request go out before this
  // page's conversion holds the thread (it would wait behind it, and the whole chain with it).
  if (ctx.syncId) await requestsWritten();
  return { items: lazily(page.items, convert), next: page.nextPageToken || undefined };
}
