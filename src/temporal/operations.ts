import { setTimeout as sleep } from "node:timers/promises";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { AsyncOperation_State, type AsyncOperation } from "../gen/temporal/api/cloud/operation/v1/message_pb.js";
import type { TemporalClient } from "./client.js";
import { TemporalApiError } from "./errors.js";
import type { OperationOutcome, TemporalObserver } from "./observer.js";

/** OperationWaitOptions configures awaitOperation. */
export interface OperationWaitOptions {
  /** Give up after this long (the operation may still finish later). */
  deadlineMs: number;
  /** Bounds on the wait between two polls; Temporal suggests the wait in checkDuration. */
  minPollMs?: number;
  maxPollMs?: number;
  signal?: AbortSignal;
  /** Told how long each wait took and how it ended. */
  observer?: TemporalObserver;
}

/**
 * awaitOperation polls an async operation until it ends: it checks at once, then waits the
 * operation's checkDuration (clamped) between checks. FULFILLED returns the final operation;
 * FAILED, CANCELLED and REJECTED throw with the failure reason; the deadline throws naming the
 * operation so that an operator can follow it up. Unknown states keep polling, as the official
 * clients do.
 */
export async function awaitOperation(client: TemporalClient, started: AsyncOperation, options: OperationWaitOptions): Promise<AsyncOperation> {
  if (!options.observer) return poll(client, started, options);
  const { observer } = options;
  const since = performance.now();
  const report = (outcome: OperationOutcome) => observer.operationWaited(outcome, (performance.now() - since) / 1000);
  try {
    const done = await poll(client, started, options);
    report("fulfilled");
    return done;
  } catch (err) {
    report(outcomeOf(err));
    throw err;
  }
}

function outcomeOf(err: unknown): OperationOutcome {
  if (!(err instanceof TemporalApiError)) return "error";
  if (err.kind === "operation-timeout") return "timeout";
  return err.kind === "operation-failed" ? "failed" : "error";
}

async function poll(client: TemporalClient, started: AsyncOperation, options: OperationWaitOptions): Promise<AsyncOperation> {
  const { minPollMs = 500, maxPollMs = 30_000 } = options;
  const deadline = Date.now() + options.deadlineMs;
  let op = started;
  for (;;) {
    op = await client.getAsyncOperation(started.id, { signal: options.signal });
    switch (op.state) {
      case AsyncOperation_State.FULFILLED:
        return op;
      case AsyncOperation_State.FAILED:
      case AsyncOperation_State.CANCELLED:
      case AsyncOperation_State.REJECTED:
        throw new TemporalApiError({
          kind: "operation-failed",
          operationId: op.id,
          message: `temporal cloud: operation ${op.id} (${op.operationType || "mutation"}) ended ${AsyncOperation_State[op.state]}${op.failureReason ? `: ${op.failureReason}` : ""}`,
        });
    }
    const suggested = op.checkDuration ? Number(op.checkDuration.seconds) * 1000 + op.checkDuration.nanos / 1e6 : 1000;
    const wait = Math.min(Math.max(suggested, minPollMs), maxPollMs);
    if (Date.now() + wait > deadline) {
      const since = op.startedTime ? ` since ${timestampDate(op.startedTime).toISOString()}` : "";
      throw new TemporalApiError({
        kind: "operation-timeout",
        operationId: op.id,
        message: `temporal cloud: operation ${op.id} (${op.operationType || "mutation"}) still ${AsyncOperation_State[op.state] ?? "pending"}${since} after ${Math.round(options.deadlineMs / 1000)} s; check it later with GET /cloud/operations/${op.id}`,
      });
    }
    await sleep(wait, undefined, { signal: options.signal });
  }
}
