import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * TokenSealer authenticates what the connector hands out and later reads back: page tokens and
 * event-feed cursors (docs/security.md, "Page tokens and cursors"). Both carry positions the
 * connector acts on, upstream page tokens included, so only a token the connector sealed is
 * opened: a caller cannot make the connector forward a page token of its choosing or read a
 * window it would never open.
 */
export interface TokenSealer {
  /** seal returns the tag of a payload, bound to a domain ("page-token", "event-cursor"). */
  seal(domain: string, payload: string): string;
  /**
   * verify is true when tag is the payload's seal under the current key, or under a key this
   * process used before, for SEAL_GRACE_MS after it saw the key change.
   */
  verify(domain: string, payload: string, tag: string): boolean;
}

/** TokenSealerOptions configures createTokenSealer. */
export interface TokenSealerOptions {
  /**
   * secret is what the key is derived from, read at every use: configuration every replica has
   * (the Temporal Cloud API key), so a token sealed by one replica opens on any other.
   */
  secret: () => string;
  /** How long seals of the previous key stay valid after this process saw the secret change. */
  graceMs?: number;
  /** Clock, in ms (default Date.now). */
  now?: () => number;
}

/** SEAL_CHARS is the length of a tag: 128 bits in base64url. */
export const SEAL_CHARS = 22;

/**
 * SEAL_GRACE_MS is how long a process keeps accepting tokens sealed with the key it used before a
 * rotation it saw: a sync in progress and a feed polled daily go on across it. A process that
 * started after the rotation never knew the old key and refuses them (INVALID_ARGUMENT: the
 * syncer starts the list again, a feed starts again from its start_at).
 */
export const SEAL_GRACE_MS = 24 * 60 * 60_000;

// The label makes the derived key useless for anything but sealing tokens; changing it would
// invalidate every open token and cursor.
const KEY_LABEL = "temporalcloud-connector/token-seal/v1";

/**
 * createTokenSealer seals with HMAC-SHA-256 under a key derived from the secret with HKDF
 * (RFC 5869; fixed label, no salt). The secret never appears in a token: a tag reveals nothing
 * of the key, and the key nothing of the secret.
 */
export function createTokenSealer(options: TokenSealerOptions): TokenSealer {
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? SEAL_GRACE_MS;
  let secret: string | undefined;
  let key: Buffer = Buffer.alloc(0);
  let previous: { key: Buffer; until: number }[] = [];

  /** keys are the key to seal with and, after it, those still accepted. */
  function keys(): Buffer[] {
    const next = options.secret();
    const at = now();
    if (next !== secret) {
      if (secret !== undefined) previous.unshift({ key, until: at + graceMs });
      secret = next;
      key = deriveKey(next);
    }
    // A few at most: keys are rotated days apart, not by the dozen.
    previous = previous.filter((p) => p.until > at && !p.key.equals(key)).slice(0, 4);
    return [key, ...previous.map((p) => p.key)];
  }

  return {
    seal: (domain, payload) => tagOf(keys()[0]!, domain, payload),
    verify(domain, payload, tag) {
      const given = Buffer.from(tag);
      if (given.length !== SEAL_CHARS) return false;
      return keys().some((k) => timingSafeEqual(Buffer.from(tagOf(k, domain, payload)), given));
    },
  };
}

function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), KEY_LABEL, 32));
}

function tagOf(key: Buffer, domain: string, payload: string): string {
  return createHmac("sha256", key).update(domain).update("\n").update(payload).digest("base64url").slice(0, SEAL_CHARS);
}
