import { TemporalApiError, type TemporalErrorKind } from "../temporal/errors.js";

/** Code is the gRPC status code set; values are the wire numbers. */
export enum Code {
  Canceled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

/** ConnectorErrorDetails are extra facts the server edge turns into gRPC status details. */
export interface ConnectorErrorDetails {
  /** When a retry makes sense (becomes a c1.connector.v2.RateLimitDescription detail). */
  retryAfterMs?: number;
}

/**
 * ConnectorError is an error with a gRPC code and a message meant for the person calling the
 * connector. Anything else that escapes a handler is reported as Internal without its text.
 */
export class ConnectorError extends Error {
  override readonly name = "ConnectorError";
  constructor(
    readonly code: Code,
    message: string,
    readonly details: ConnectorErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** invalidArgument is shorthand for the most common refusal. */
export function invalidArgument(message: string): ConnectorError {
  return new ConnectorError(Code.InvalidArgument, message);
}

/** failedPrecondition is shorthand for "understood, but not in this state". */
export function failedPrecondition(message: string): ConnectorError {
  return new ConnectorError(Code.FailedPrecondition, message);
}

const codeOfKind: Record<TemporalErrorKind, Code> = {
  "invalid-argument": Code.InvalidArgument,
  "failed-precondition": Code.FailedPrecondition,
  unauthenticated: Code.Unauthenticated,
  "permission-denied": Code.PermissionDenied,
  "not-found": Code.NotFound,
  "already-exists": Code.AlreadyExists,
  "rate-limited": Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  "upstream-error": Code.Unavailable,
  timeout: Code.DeadlineExceeded,
  cancelled: Code.Canceled,
  "operation-failed": Code.Aborted,
  "operation-timeout": Code.DeadlineExceeded,
  "invalid-response": Code.Unavailable,
};

/**
 * toConnectorError is the single place where failures become gRPC codes. Temporal API errors map
 * by kind (401→Unauthenticated, 403→PermissionDenied, 404→NotFound, 429→ResourceExhausted,
 * 5xx→Unavailable, …); their messages are already free of secrets. Aborts map to Canceled.
 * Anything else is a bug and returns undefined: the edge reports it as Internal.
 */
export function toConnectorError(err: unknown): ConnectorError | undefined {
  if (err instanceof ConnectorError) return err;
  if (err instanceof TemporalApiError) {
    const details = err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {};
    return new ConnectorError(codeOfKind[err.kind], err.message, details, { cause: err });
  }
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
    return new ConnectorError(Code.Canceled, "the call was cancelled", {}, { cause: err });
  }
  return undefined;
}
