import { createHash } from "node:crypto";
import { invalidArgument } from "./errors.js";

/**
 * PageScope names the list a token belongs to: the operation and the resource type, resource or
 * parent it was issued for. A token presented for another scope is refused, so a token can never
 * be replayed against the wrong list.
 */
export interface PageScope {
  op: "resources" | "entitlements" | "grants" | "type-entitlements" | "type-grants";
  resourceType: string;
  /** The resource (entitlements, grants) or the parent (resources) the list is about. */
  resource?: string;
}

/** Cursor is a resource type's own position in a list: any JSON value. */
export type Cursor = string | number | boolean | null | Cursor[] | { [key: string]: Cursor };

/** MAX_PAGE_TOKEN_BYTES is the protocol's limit on page tokens (1 MiB). */
export const MAX_PAGE_TOKEN_BYTES = 1024 * 1024;

const VERSION = 1;

// The checksum detects truncated, corrupted or hand-edited tokens. It is not a secret: a token
// only carries positions in public lists, and upstream page tokens are checked upstream anyway.
function checksum(payload: string): string {
  return createHash("sha256").update("temporalcloud-connector/page-token\n").update(payload).digest("base64url").slice(0, 16);
}

function scopeKey(scope: PageScope): string {
  return [scope.op, scope.resourceType, scope.resource ?? ""].join("\u0000");
}

/**
 * encodePageToken makes the opaque next_page_token: self-contained (valid after a restart, no
 * server state), bound to its scope, and checksummed.
 */
export function encodePageToken(scope: PageScope, cursor: Cursor): string {
  const payload = Buffer.from(JSON.stringify({ v: VERSION, s: scopeKey(scope), c: cursor })).toString("base64url");
  const token = `${payload}.${checksum(payload)}`;
  if (Buffer.byteLength(token) > MAX_PAGE_TOKEN_BYTES) throw new RangeError("page token exceeds 1 MiB");
  return token;
}

/**
 * decodePageToken returns the cursor of a token issued by encodePageToken for the same scope, or
 * undefined for an empty token (the first page). Anything else is INVALID_ARGUMENT.
 */
export function decodePageToken(scope: PageScope, token: string): Cursor | undefined {
  if (token === "") return undefined;
  const restart = "; start the list again without a page_token";
  const dot = token.lastIndexOf(".");
  const payload = token.slice(0, dot);
  if (dot <= 0 || checksum(payload) !== token.slice(dot + 1)) {
    throw invalidArgument(`page_token is malformed or was not issued by this connector${restart}`);
  }
  let decoded: { v?: unknown; s?: unknown; c?: Cursor };
  try {
    decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof decoded;
  } catch {
    throw invalidArgument(`page_token is malformed${restart}`);
  }
  if (decoded.v !== VERSION) throw invalidArgument(`page_token is from an incompatible connector version${restart}`);
  if (decoded.s !== scopeKey(scope)) {
    const [op, type, resource] = String(decoded.s).split("\u0000");
    const issuedFor = `list ${op} of ${type}${resource ? ` ${resource}` : ""}`;
    throw invalidArgument(`page_token was issued for another list (${issuedFor})${restart}`);
  }
  return decoded.c;
}

/** stringCursor reads a cursor that a list stored as a string ("" for the first page). */
export function stringCursor(cursor: Cursor | undefined): string {
  if (cursor === undefined) return "";
  if (typeof cursor !== "string") throw invalidArgument("page_token does not belong to this list; start again without a page_token");
  return cursor;
}
