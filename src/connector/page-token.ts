import { invalidArgument } from "./errors.js";
import type { TokenSealer } from "./token-seal.js";

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

// Version 2: sealed with the connector's key (token-seal.ts). Version 1 tokens carried a public
// checksum and are refused, so a sync in progress during the upgrade starts its list again.
const VERSION = 2;
const DOMAIN = "page-token";

function scopeKey(scope: PageScope): string {
  return [scope.op, scope.resourceType, scope.resource ?? ""].join("\u0000");
}

/**
 * encodePageToken makes the opaque next_page_token: self-contained (valid after a restart and on
 * any replica, no server state), bound to its scope, and sealed, so that only the connector
 * makes tokens it will open (upstream page tokens travel inside them).
 */
export function encodePageToken(sealer: TokenSealer, scope: PageScope, cursor: Cursor): string {
  const payload = Buffer.from(JSON.stringify({ v: VERSION, s: scopeKey(scope), c: cursor })).toString("base64url");
  const token = `${payload}.${sealer.seal(DOMAIN, payload)}`;
  if (Buffer.byteLength(token) > MAX_PAGE_TOKEN_BYTES) throw new RangeError("page token exceeds 1 MiB");
  return token;
}

/**
 * decodePageToken returns the cursor of a token issued by encodePageToken for the same scope, or
 * undefined for an empty token (the first page). Anything else is INVALID_ARGUMENT.
 */
export function decodePageToken(sealer: TokenSealer, scope: PageScope, token: string): Cursor | undefined {
  if (token === "") return undefined;
  const restart = "; start the list again without a page_token";
  const dot = token.lastIndexOf(".");
  const payload = token.slice(0, dot);
  if (dot <= 0 || !sealer.verify(DOMAIN, payload, token.slice(dot + 1))) {
    throw invalidArgument(`page_token is malformed or was not issued by this connector (or was sealed with an API key it no longer holds)${restart}`);
  }
  let decoded: { v?: unknown; s?: unknown; c?: Cursor };
  try {
    decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof decoded;
  } catch {
    throw invalidArgument(`page_token is malformed${restart}`);
  }
  if (typeof decoded !== "object" || decoded === null) throw invalidArgument(`page_token is malformed${restart}`);
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
