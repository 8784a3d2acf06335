import { invalidArgument } from "./api-error.js";
import type { SortedView } from "./sorted-collection.js";

/** DEFAULT_PAGE_SIZE is the page size of every list call that does not ask for one (docs/temporal-cloud-api.md, "Pagination"). */
export const DEFAULT_PAGE_SIZE = 100;

/** MAX_PAGE_SIZE is the largest page size the API accepts; larger values are refused. */
export const MAX_PAGE_SIZE = 1000;

/**
 * resolvePageSize applies the paging rules to a requested page size: 0 (unset) means the
 * default; negative values and values above MAX_PAGE_SIZE are INVALID_ARGUMENT.
 */
export function resolvePageSize(requested: number): number {
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  if (requested < 0) throw invalidArgument("page size must not be negative");
  // (uncertain) the API could also clamp; the reference suggests refusing for a simulator.
  if (requested > MAX_PAGE_SIZE) throw invalidArgument(`page size cannot exceed ${MAX_PAGE_SIZE}`);
  return requested;
}

/**
 * encodePageToken makes the opaque token for the page after `lastKey` of the list `tag`.
 * The token carries the last key seen rather than an offset, so inserts and deletes between
 * pages never make a walk skip or repeat an item that stayed in the list.
 */
export function encodePageToken(tag: string, lastKey: string): string {
  return Buffer.from(JSON.stringify([tag, lastKey]), "utf8").toString("base64url");
}

/**
 * decodePageToken returns the last key carried by `token`, or undefined for an empty token.
 * A token that is malformed or was issued for another list (`tag`) is INVALID_ARGUMENT.
 */
export function decodePageToken(tag: string, token: string): string | undefined {
  if (token === "") return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidArgument("invalid page token");
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    decoded[0] !== tag ||
    typeof decoded[1] !== "string"
  ) {
    throw invalidArgument("invalid page token");
  }
  return decoded[1];
}

/**
 * pageById pages rows the store does not keep in id order (groups are kept by display name):
 * the rows are sorted by id here, and the page starts after the id its token carries, like
 * every keyed list of the simulator.
 */
export function pageById<T extends { id: string }>(rows: readonly T[], tag: string, request: { pageSize: number; pageToken: string }): { rows: T[]; nextPageToken: string } {
  const size = resolvePageSize(request.pageSize);
  const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const after = decodePageToken(tag, request.pageToken);
  const start = after === undefined ? 0 : sorted.findIndex((row) => row.id > after);
  const slice = start < 0 ? [] : sorted.slice(start, start + size);
  const more = start >= 0 && start + size < sorted.length;
  return { rows: slice, nextPageToken: more ? encodePageToken(tag, slice.at(-1)!.id) : "" };
}

/**
 * keyedPage is one page of a list the store keeps in key order: the rows `select` keeps after
 * the key the request's token carries, and the token of the next page ("" on the last).
 */
export function keyedPage<T, R>(
  view: SortedView<T>,
  tag: string,
  request: { pageSize: number; pageToken: string },
  select: (item: T) => R | undefined,
): { rows: R[]; nextPageToken: string } {
  const size = resolvePageSize(request.pageSize);
  const page = view.page(decodePageToken(tag, request.pageToken), size, select);
  return { rows: page.rows, nextPageToken: page.nextKey === undefined ? "" : encodePageToken(tag, page.nextKey) };
}
