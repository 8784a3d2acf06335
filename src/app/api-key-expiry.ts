import { createHash } from "node:crypto";
import { timestampMs, type Any } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { Code, ConnectorError } from "../connector/errors.js";
import type { ApiKey } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { apiKeySecretTrait } from "../resources/api-key.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** EXPIRY_WARNING_MS is how long before its key expires the connector starts to warn: 14 days. */
export const EXPIRY_WARNING_MS = 14 * DAY_MS;

/** HOW_TO_FIX tells an operator what to do about a key that expired, is disabled or expires soon. */
const HOW_TO_FIX =
  "create a new API key for the same service account in Temporal Cloud (an expiry of 90 days at most is good practice), " +
  "put it in the connector's secret (--api-key-file) and delete the old key; the connector picks up the new key without a restart";

/** ApiKeyExpiryOptions configures createApiKeyExpiry. */
export interface ApiKeyExpiryOptions {
  log: Logger;
  /** Clock, in ms since the epoch (default Date.now). */
  now?: () => number;
}

/**
 * ApiKeyExpiry is what the connector knows about its own API key, learnt from GetCurrentIdentity
 * (principalApiKey): its id, expiry and whether it is disabled. What it knows is tied to the key
 * it was learnt with, so a rotated-in key is unknown until it has been looked at.
 */
export interface ApiKeyExpiry {
  /** seen records the key GetCurrentIdentity described when `secret` was sent. */
  seen(key: ApiKey | undefined, secret: string): void;
  /**
   * check judges the key `secret` (as last seen): an expired or disabled key is an UNAUTHENTICATED
   * error saying so and how to fix it; a key within 14 days of its expiry is logged (once a day)
   * and described by the annotations returned; otherwise there is nothing to say.
   */
  check(secret: string): Any[];
  /** refused explains Temporal Cloud's 401 for `secret`, with what is known about that key. */
  refused(secret: string, cause: Error): ConnectorError;
  /** secondsLeft is the time until the key `secret` expires (negative once it has), if known. */
  secondsLeft(secret: string): number | undefined;
}

interface KeyFacts {
  fingerprint: string;
  key: ApiKey;
  expiresAtMs: number | undefined;
}

/** createApiKeyExpiry starts knowing nothing about the key. */
export function createApiKeyExpiry(options: ApiKeyExpiryOptions): ApiKeyExpiry {
  const now = options.now ?? Date.now;
  let facts: KeyFacts | undefined;
  // When the warning was last logged, per key id: once a day, whoever asks.
  const warnedAt = new Map<string, number>();
  // Only a fingerprint of the secret is kept here, to tell which key the facts are about.
  const fingerprint = (secret: string) => createHash("sha256").update(secret).digest("base64url");
  const factsFor = (secret: string) => (facts?.fingerprint === fingerprint(secret) ? facts : undefined);
  const date = (ms: number) => new Date(ms).toISOString();

  return {
    seen(key, secret) {
      if (!key) {
        facts = undefined; // not an API key (e.g. another kind of credential): nothing to watch
        return;
      }
      const expiry = key.spec?.expiryTime;
      facts = { fingerprint: fingerprint(secret), key, expiresAtMs: expiry ? timestampMs(expiry) : undefined };
    },

    check(secret) {
      const known = factsFor(secret);
      if (!known) return [];
      const { key, expiresAtMs } = known;
      if (key.spec?.disabled) {
        throw new ConnectorError(Code.Unauthenticated, `the Temporal Cloud API key ${key.id} is disabled: ${HOW_TO_FIX}`);
      }
      if (expiresAtMs === undefined) return [];
      const at = now();
      if (key.state === ResourceState.EXPIRED || expiresAtMs <= at) {
        throw new ConnectorError(Code.Unauthenticated, `the Temporal Cloud API key ${key.id} expired on ${date(expiresAtMs)}: ${HOW_TO_FIX}`);
      }
      if (expiresAtMs - at > EXPIRY_WARNING_MS) return [];
      const last = warnedAt.get(key.id);
      if (last === undefined || at - last >= DAY_MS) {
        warnedAt.set(key.id, at);
        const days = Math.floor((expiresAtMs - at) / DAY_MS);
        options.log.warn(
          { apiKeyId: key.id, expiresAt: date(expiresAtMs), daysLeft: days },
          `the Temporal Cloud API key ${key.id} expires on ${date(expiresAtMs)} (in ${days} days): ${HOW_TO_FIX}`,
        );
      }
      return [apiKeySecretTrait(key)];
    },

    refused(secret, cause) {
      const known = factsFor(secret);
      if (known?.expiresAtMs !== undefined && known.expiresAtMs <= now()) {
        const message = `Temporal Cloud refused the API key ${known.key.id}: it expired on ${date(known.expiresAtMs)}; ${HOW_TO_FIX}`;
        return new ConnectorError(Code.Unauthenticated, message, {}, { cause });
      }
      const which = known ? `the API key ${known.key.id}` : "the API key";
      const message = `Temporal Cloud refused ${which} (HTTP 401): it is unknown, expired, disabled or deleted; ${HOW_TO_FIX}`;
      return new ConnectorError(Code.Unauthenticated, message, {}, { cause });
    },

    secondsLeft(secret) {
      const known = factsFor(secret);
      return known?.expiresAtMs === undefined ? undefined : (known.expiresAtMs - now()) / 1000;
    },
  };
}
