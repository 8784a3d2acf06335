import type { TemporalErrorKind } from "./errors.js";

/**
 * TemporalObserver is told what the Temporal Cloud client does, for metrics. Every value it gets
 * is bounded: a route is the API method's name (GetUser, never a path with an id in it), a status
 * an HTTP status or an error kind. Methods are called synchronously and must not throw.
 */
export interface TemporalObserver {
  /** requestEnded reports one attempt: its HTTP status, or the kind of failure when none arrived. */
  requestEnded(route: string, status: number | TemporalErrorKind, seconds: number): void;
  /** retrying reports that an attempt failed and will be repeated. */
  retrying(route: string, reason: TemporalErrorKind): void;
  /** rateLimitWaited reports how long the client-side rate limiter held an attempt back. */
  rateLimitWaited(seconds: number): void;
  /** operationWaited reports a wait for an async operation and how it ended. */
  operationWaited(outcome: OperationOutcome, seconds: number): void;
}

/**
 * OperationOutcome is how a wait for an async operation ended: fulfilled; failed (the operation
 * ended FAILED, CANCELLED or REJECTED); timeout (still running at --operation-timeout); error
 * (the wait itself failed, e.g. the caller went away).
 */
export type OperationOutcome = "fulfilled" | "failed" | "timeout" | "error";
