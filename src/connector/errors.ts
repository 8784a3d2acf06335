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

/**
 * ErrorTranslator turns a failure of whatever the resource types call (the upstream API) into a
 * ConnectorError, or returns undefined for an error it does not know. The connector is given one
 * where it is assembled (src/app/app.ts), so that this core knows no upstream.
 */
export type ErrorTranslator = (err: unknown) => ConnectorError | undefined;

/**
 * toConnectorError is what a failure means for the caller: a ConnectorError as it is, an upstream
 * failure as the translator says, an abort as Canceled. Anything else is a bug and returns
 * undefined: the edge reports it as Internal, without its text.
 */
export function toConnectorError(err: unknown, translate?: ErrorTranslator): ConnectorError | undefined {
  if (err instanceof ConnectorError) return err;
  const translated = translate?.(err);
  if (translated) return translated;
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
    return new ConnectorError(Code.Canceled, "the call was cancelled", {}, { cause: err });
  }
  return undefined;
}
