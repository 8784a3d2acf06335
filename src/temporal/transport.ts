import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { Pool, request } from "undici";
import { staticApiKey, type ApiKeySource } from "./api-key-source.js";
import { TemporalApiError, kindFromStatus } from "./errors.js";
import type { TemporalObserver } from "./observer.js";
import type { RateLimiter } from "./rate-limiter.js";

/**
 * requestsWritten resolves once the requests started just before it have been written to their
 * sockets, so that synchronous work that follows does not hold them back. undici writes a
 * request on a reused keep-alive socket from a setImmediate of its own (it first lets the idle
 * socket report a close), queued after the caller's first turn: it takes two turns of the check
 * phase. Measured: with one, the next upstream page left 20-130 ms late, behind a conversion.
 */
export async function requestsWritten(): Promise<void> {
  await setImmediate();
  await setImmediate();
}

/** RetryPolicy bounds how a failed request is repeated. */
export interface RetryPolicy {
  /** Attempts in total, including the first. */
  maxAttempts: number;
  /** Delay before the first retry; doubled each time, with ±50% jitter. */
  baseDelayMs: number;
  /** Largest delay between two attempts. */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is returned instead. */
  maxRetryAfterMs: number;
}

/**
 * DEFAULT_RETRY_POLICY gives up after about 8 s of a failing upstream, so that a sync fails fast
 * with UNAVAILABLE while the Go syncer, which retries UNAVAILABLE itself, decides what to do next.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
};

export { DEFAULT_API_VERSION } from "./api-version.js";

/** TransportOptions configures createTransport. */
export interface TransportOptions {
  /** e.g. https://saas-api.tmprl.cloud */
  baseUrl: string;
  /** The API key, or where to read the current one (read for every attempt). */
  apiKey: string | ApiKeySource;
  /** Value of the temporal-cloud-api-version header. */
  apiVersion: string;
  /** Plain-text http:// base URLs are refused unless this is set (test servers, the simulator). */
  allowInsecure?: boolean;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  rateLimiter?: RateLimiter;
  retry?: RetryPolicy;
  /** Keep-alive connections to the API. */
  connections?: number;
  userAgent?: string;
  log?: Logger;
  observer?: TemporalObserver;
}

/** ApiRequest is one logical call; the transport may send it several times. */
export interface ApiRequest {
  /** The API method's name, e.g. GetUser: what logs and metrics call the request (never the path). */
  route: string;
  method: "GET" | "POST" | "DELETE";
  /** Path below the base URL, already percent-encoded, e.g. /cloud/users/abc. */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** JSON body for POST. */
  body?: unknown;
  signal?: AbortSignal;
}

/** TransportStats counts what went over the wire. */
export interface TransportStats {
  requests: number;
  retries: number;
}

/** Transport sends requests to the Temporal Cloud API; call returns the parsed JSON body. */
export interface Transport {
  call(req: ApiRequest): Promise<unknown>;
  readonly stats: TransportStats;
  close(): Promise<void>;
}

/**
 * createTransport builds the HTTP layer: a keep-alive undici pool, bearer auth, the API version
 * header, a client-side rate limit applied to every attempt, per-attempt timeouts, and retries of
 * 429/502/503/504, timeouts and connection failures with exponential backoff, jitter and
 * Retry-After. Retrying a POST is safe because every mutation carries its asyncOperationId, which
 * Temporal uses as an idempotency key. The API key is read for every attempt; a 401 asks the key
 * source once per call for a newer key and, when there is one, sends the request again with it.
 * The retry loop is written out here rather than composed from undici's RetryAgent because that
 * one has no jitter and cannot share our rate limiter.
 */
export function createTransport(options: TransportOptions): Transport {
  const origin = new URL(options.baseUrl);
  if (origin.protocol !== "https:" && origin.protocol !== "http:") {
    throw new RangeError(`base URL must be http(s), got ${origin.protocol}`);
  }
  if (origin.protocol === "http:" && !options.allowInsecure) {
    throw new RangeError("refusing a plain-text http:// base URL without --allow-insecure");
  }
  // Trailing slashes trimmed in one pass (the pattern /\/+$/ takes quadratic time over a run of them).
  let end = origin.pathname.length;
  while (end > 0 && origin.pathname[end - 1] === "/") end--;
  const basePath = origin.pathname.slice(0, end);
  const pool = new Pool(origin.origin, {
    connections: options.connections ?? 32,
    keepAliveTimeout: 30_000,
    connect: { timeout: 10_000 },
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  const keys = typeof options.apiKey === "string" ? staticApiKey(options.apiKey) : options.apiKey;
  const { observer } = options;
  const headers: Record<string, string> = {
    "temporal-cloud-api-version": options.apiVersion,
    "user-agent": options.userAgent ?? "temporalcloud-connector",
    accept: "application/json",
  };
  const stats: TransportStats = { requests: 0, retries: 0 };

  async function attempt(req: ApiRequest, url: string, body: string | undefined, apiKey: string): Promise<unknown> {
    const what = `${req.method} ${req.path}`;
    // Belt and braces: nothing upstream should echo the key, but no message of ours ever carries it.
    const redact = (text: string) => text.split(apiKey).join("[REDACTED]");
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    stats.requests++;
    const started = performance.now();
    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    try {
      const res = await request(url, {
        dispatcher: pool,
        method: req.method,
        headers: { ...headers, authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body,
        signal,
      });
      status = res.statusCode;
      retryAfter = res.headers["retry-after"];
      text = await res.body.text();
    } catch (err) {
      let failure: TemporalApiError;
      if (req.signal?.aborted) {
        failure = new TemporalApiError({ kind: "cancelled", message: `temporal cloud: ${what}: cancelled by the caller`, cause: err });
      } else if (timeout.aborted) {
        failure = new TemporalApiError({ kind: "timeout", message: `temporal cloud: ${what}: no response within ${timeoutMs} ms`, cause: err });
      } else {
        const reason = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
        failure = new TemporalApiError({ kind: "unavailable", message: `temporal cloud: ${what}: connection failed (${redact(reason)})`, cause: err });
      }
      observer?.requestEnded(req.route, failure.kind, (performance.now() - started) / 1000);
      throw failure;
    }
    observer?.requestEnded(req.route, status, (performance.now() - started) / 1000);
    if (status >= 200 && status < 300) {
      if (text === "") return {};
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new TemporalApiError({ kind: "invalid-response", status, message: `temporal cloud: ${what}: response is not JSON` });
      }
    }
    const { code, message } = parseErrorBody(text);
    throw new TemporalApiError({
      kind: kindFromStatus(status, code),
      status,
      upstreamCode: code,
      message: `temporal cloud: ${what}: HTTP ${status}${message ? `: ${redact(message)}` : ""}`,
      retryAfterMs: parseRetryAfter(retryAfter),
    });
  }

  return {
    stats,
    async call(req) {
      const url = origin.origin + basePath + req.path + queryString(req.query);
      const body = req.body === undefined ? undefined : JSON.stringify(req.body);
      let refreshedKey = false;
      for (let n = 1; ; n++) {
        if (options.rateLimiter) {
          const queued = performance.now();
          await options.rateLimiter.acquire(req.signal);
          observer?.rateLimitWaited((performance.now() - queued) / 1000);
        }
        const apiKey = keys.current();
        try {
          return await attempt(req, url, body, apiKey);
        } catch (err) {
          if (!(err instanceof TemporalApiError)) throw err;
          // A refused key may have been rotated since it was read: read it again, once per call,
          // and send the request at once with the new key (it is not the upstream's fault).
          if (err.kind === "unauthenticated" && !refreshedKey) {
            refreshedKey = true;
            if (await keys.refresh(apiKey)) {
              stats.retries++;
              observer?.retrying(req.route, err.kind);
              options.log?.info({ route: req.route }, "temporal cloud refused the API key; retrying with the key read again from its file");
              n--;
              continue;
            }
          }
          if (!err.retryable || n >= retry.maxAttempts) throw err;
          if (err.retryAfterMs !== undefined && err.retryAfterMs > retry.maxRetryAfterMs) throw err;
          const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1)) * (0.5 + Math.random());
          const delay = Math.max(backoff, err.retryAfterMs ?? 0);
          stats.retries++;
          observer?.retrying(req.route, err.kind);
          options.log?.debug({ route: req.route, method: req.method, path: req.path, attempt: n, delayMs: Math.round(delay), reason: err.message }, "retrying temporal cloud request");
          await sleep(delay, undefined, { signal: req.signal }).catch((abortErr: unknown) => {
            throw new TemporalApiError({ kind: "cancelled", message: `temporal cloud: ${req.method} ${req.path}: cancelled by the caller`, cause: abortErr });
          });
        }
      }
    },
    close: () => pool.close(),
  };
}

function queryString(query: ApiRequest["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** parseErrorBody reads a google.rpc.Status JSON body, tolerating anything else. */
function parseErrorBody(text: string): { code?: number; message?: string } {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    return {
      code: typeof body.code === "number" ? body.code : undefined,
      message: typeof body.message === "string" ? body.message : undefined,
    };
  } catch {
    return { message: text.slice(0, 200).trim() || undefined };
  }
}

/** parseRetryAfter accepts delta-seconds or an HTTP date. */
function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
