/**
 * Code holds the gRPC status codes that the Cloud Ops HTTP gateway puts in error bodies.
 */
export const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** GrpcCode is one of the values of Code. */
export type GrpcCode = (typeof Code)[keyof typeof Code];

/**
 * httpStatusFromCode maps a gRPC code to the HTTP status stock grpc-gateway v2 uses
 * (docs/temporal-cloud-api.md, "Errors"): FAILED_PRECONDITION is 400, not 412, and 409 means ALREADY_EXISTS/ABORTED.
 */
export function httpStatusFromCode(code: GrpcCode): number {
  switch (code) {
    case Code.INVALID_ARGUMENT:
    case Code.FAILED_PRECONDITION:
    case Code.OUT_OF_RANGE:
      return 400;
    case Code.UNAUTHENTICATED:
      return 401;
    case Code.PERMISSION_DENIED:
      return 403;
    case Code.NOT_FOUND:
      return 404;
    case Code.CANCELLED:
      return 408;
    case Code.ALREADY_EXISTS:
    case Code.ABORTED:
      return 409;
    case Code.RESOURCE_EXHAUSTED:
      return 429;
    case Code.UNIMPLEMENTED:
      return 501;
    case Code.UNAVAILABLE:
      return 503;
    case Code.DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

/**
 * ApiError is what simulator handlers throw to answer with a `google.rpc.Status` body. The
 * HTTP status follows from the code unless `status` overrides it (405 for a wrong method).
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: GrpcCode,
    message: string,
    options: { status?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.status = options.status ?? httpStatusFromCode(code);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** invalidArgument returns an INVALID_ARGUMENT (400) ApiError. */
export function invalidArgument(message: string): ApiError {
  return new ApiError(Code.INVALID_ARGUMENT, message);
}

/** failedPrecondition returns a FAILED_PRECONDITION (400) ApiError. */
export function failedPrecondition(message: string): ApiError {
  return new ApiError(Code.FAILED_PRECONDITION, message);
}

/** notFound returns a NOT_FOUND (404) ApiError. */
export function notFound(message: string): ApiError {
  return new ApiError(Code.NOT_FOUND, message);
}

/** alreadyExists returns an ALREADY_EXISTS (409) ApiError. */
export function alreadyExists(message: string): ApiError {
  return new ApiError(Code.ALREADY_EXISTS, message);
}

/** permissionDenied returns a PERMISSION_DENIED (403) ApiError. */
export function permissionDenied(message: string): ApiError {
  return new ApiError(Code.PERMISSION_DENIED, message);
}
