/**
 * TemporalErrorKind classifies every failure of a Temporal Cloud API call. It is the client's
 * own vocabulary: callers translate it (the connector maps it to gRPC codes in one place).
 */
export type TemporalErrorKind =
  | "invalid-argument" // 400 with INVALID_ARGUMENT (includes "nothing to change" and version conflicts, told apart by re-reading)
  | "failed-precondition" // 400 with FAILED_PRECONDITION
  | "unauthenticated" // 401
  | "permission-denied" // 403
  | "not-found" // 404
  | "already-exists" // 409
  | "rate-limited" // 429
  | "unavailable" // 502, 503, 504, connection failures, lost responses: worth retrying
  | "upstream-error" // other 5xx, e.g. 500: possibly deterministic, so not retried
  | "timeout" // no answer within the per-request timeout
  | "cancelled" // the caller aborted
  | "operation-failed" // an async operation ended FAILED, CANCELLED or REJECTED
  | "operation-timeout" // an async operation did not finish before the deadline
  | "invalid-response"; // the API answered something we cannot parse

/** TemporalApiErrorInit describes a TemporalApiError. */
export interface TemporalApiErrorInit {
  kind: TemporalErrorKind;
  /** HTTP status, or 0 when no response arrived. */
  status?: number;
  /** The gRPC status code from the error body, when Temporal sent one. */
  upstreamCode?: number;
  /** What went wrong, safe to show: never contains the API key. */
  message: string;
  /** Retry-After, when the server asked us to wait. */
  retryAfterMs?: number;
  /** The async operation this error is about. */
  operationId?: string;
  cause?: unknown;
}

/**
 * TemporalApiError is the only error the Temporal client throws. Its message names the request
 * (method and path) and the upstream reason, and is redacted of the API key by construction:
 * the key only ever travels in the Authorization header.
 */
export class TemporalApiError extends Error {
  override readonly name = "TemporalApiError";
  readonly kind: TemporalErrorKind;
  readonly status: number;
  readonly upstreamCode: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly operationId: string | undefined;

  constructor(init: TemporalApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status ?? 0;
    this.upstreamCode = init.upstreamCode;
    this.retryAfterMs = init.retryAfterMs;
    this.operationId = init.operationId;
  }

  /** True for failures a later identical request may not hit (the transport retries these). */
  get retryable(): boolean {
    return this.kind === "rate-limited" || this.kind === "unavailable" || this.kind === "timeout";
  }

  /**
   * hint guesses from the wording what a refusal was about ("version conflict", "nothing to
   * change"), for logs only: the service may word it otherwise, so no decision rests on it
   * (read-modify-write reads the resource's version instead).
   */
  get hint(): string | undefined {
    if (/resource version/i.test(this.message)) return "version conflict";
    if (/nothing to change/i.test(this.message)) return "nothing to change";
    return undefined;
  }
}

/** kindFromStatus maps an HTTP status (and the gRPC code in its body) to an error kind. */
export function kindFromStatus(status: number, upstreamCode: number | undefined): TemporalErrorKind {
  switch (status) {
    case 400:
      // The gateway maps both INVALID_ARGUMENT (3) and FAILED_PRECONDITION (9) to 400.
      return upstreamCode === 9 ? "failed-precondition" : "invalid-argument";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission-denied";
    case 404:
      return "not-found";
    case 408:
      return "timeout";
    case 409:
      return "already-exists";
    case 429:
      return "rate-limited";
    case 502:
    case 503:
    case 504:
      return "unavailable";
    default:
      return status >= 500 ? "upstream-error" : "invalid-argument";
  }
}
