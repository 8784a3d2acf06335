import { create, equals, fromJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { DurationSchema, timestampFromMs, type Duration } from "@bufbuild/protobuf/wkt";
import {
  AsyncOperation_State,
  AsyncOperationSchema,
  type AsyncOperation,
} from "../../gen/temporal/api/cloud/operation/v1/message_pb.js";
import type { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import { alreadyExists, ApiError, Code } from "./api-error.js";
import type { Prng } from "./prng.js";
import type { ResourceKind, SimulatorStore } from "./simulator-store.js";
import { increment, type SimulatorStats } from "./simulator-stats.js";

/** OperationOutcomeState is how a simulated async operation ends ("never": it stays IN_PROGRESS). */
export type OperationOutcomeState = "fulfilled" | "failed" | "rejected" | "cancelled" | "never";

/**
 * OperationOutcome is the decision for one async operation: a state, or a state with a
 * failure reason and a per-operation delay overriding operationDelayMs.
 */
export type OperationOutcome =
  | OperationOutcomeState
  | { state: OperationOutcomeState; reason?: string; delayMs?: number };

/** OperationOutcomeDecider decides the outcome of an operation when it is created. */
export type OperationOutcomeDecider = (op: { id: string; operationType: string }) => OperationOutcome;

/**
 * PreparedMutation is what a mutation handler hands to AsyncOperations once the request is
 * valid: which resource it changes and the closures that change it.
 */
export interface PreparedMutation {
  /**
   * The resource shown as in flight (asyncOperationId, `state`) while the operation runs. A
   * new resourceVersion is assigned at acceptance unless bumpVersion is false, so a second
   * write carrying the old version fails.
   */
  target?: { kind: ResourceKind; id: string; state: ResourceState; bumpVersion?: boolean };
  /** begin runs when the request is accepted, e.g. to insert a resource being created. */
  begin?(): void;
  /** apply makes the change when the operation is FULFILLED. */
  apply(): void;
  /** discard undoes begin when the operation ends any other way. */
  discard?(): void;
  /** Response fields beside the operation (new ids, an API key's token) that a replay repeats. */
  extras?: Record<string, string>;
}

/** OperationRecord is an accepted operation with the request that started it. */
export interface OperationRecord {
  readonly operation: AsyncOperation;
  readonly route: string;
  readonly extras: Record<string, string>;
}

/** MutationRequest is the part of every mutation request AsyncOperations reads. */
export interface MutationRequest {
  asyncOperationId: string;
}

/**
 * AsyncOperations runs the simulator's asynchronous operations: idempotent acceptance,
 * the account-wide concurrency limit, outcomes, and lazy settlement.
 */
export interface AsyncOperations {
  /**
   * submit accepts a mutation, or replays the operation an earlier identical request with
   * the same asyncOperationId started (without validating or applying anything again). The
   * same id with a different request is ALREADY_EXISTS. `prepare` validates and may throw.
   */
  submit<Desc extends DescMessage>(
    route: string,
    schema: Desc,
    request: MessageShape<Desc> & MutationRequest,
    prepare: () => PreparedMutation,
  ): OperationRecord;
  /** settle completes every operation that is due; the simulator calls it at the start of each request. */
  settle(): void;
  /** pendingCount returns how many operations are not yet terminal. */
  pendingCount(): number;
  setOutcome(decide: OperationOutcomeDecider | undefined): void;
}

/** AsyncOperationsOptions configures createAsyncOperations. */
export interface AsyncOperationsOptions {
  store: SimulatorStore;
  stats: SimulatorStats;
  prng: Prng;
  /** How long operations stay PENDING/IN_PROGRESS (default 0: done by the next request). */
  operationDelayMs?: number;
  /** checkDuration returned on operations (default "0.1s"). */
  checkDuration?: string;
  /** Pending operations allowed account-wide before mutations get 429 (default 10). */
  maxConcurrentOperations?: number;
}

interface Entry extends OperationRecord {
  readonly schema: DescMessage;
  readonly request: MutationRequest;
  readonly prepared: PreparedMutation;
  readonly outcome: { state: OperationOutcomeState; reason: string };
  readonly dueAt: number;
  readonly halfwayAt: number;
}

/**
 * createAsyncOperations returns the AsyncOperations of one simulator.
 */
export function createAsyncOperations(options: AsyncOperationsOptions): AsyncOperations {
  const { store, stats, prng } = options;
  const delayMs = options.operationDelayMs ?? 0;
  const maxConcurrent = options.maxConcurrentOperations ?? 10;
  const checkDuration: Duration = fromJson(DurationSchema, options.checkDuration ?? "0.1s");
  const entries = new Map<string, Entry>();
  let pending: Entry[] = [];
  let decide: OperationOutcomeDecider | undefined;

  const finish = (entry: Entry, now: number): void => {
    const { operation, prepared, outcome } = entry;
    switch (outcome.state) {
      case "fulfilled":
        try {
          prepared.apply();
          increment(stats.appliedMutations, operation.id);
          operation.state = AsyncOperation_State.FULFILLED;
        } catch (error) {
          // A test removed the target behind the operation's back; report it like the service would.
          operation.state = AsyncOperation_State.FAILED;
          operation.failureReason = `the resource changed while the operation ran: ${String(error)}`;
        }
        break;
      case "failed":
        prepared.discard?.();
        operation.state = AsyncOperation_State.FAILED;
        operation.failureReason = outcome.reason;
        break;
      case "cancelled":
        prepared.discard?.();
        operation.state = AsyncOperation_State.CANCELLED;
        break;
      case "rejected":
        prepared.discard?.();
        operation.state = AsyncOperation_State.REJECTED;
        break;
      case "never":
        return;
    }
    operation.finishedTime = timestampFromMs(now);
    if (prepared.target !== undefined) {
      store.clearOperation(prepared.target.kind, prepared.target.id, operation.id);
    }
  };

  return {
    submit(route, schema, request, prepare) {
      const requestedId = request.asyncOperationId;
      if (requestedId !== "") {
        const existing = entries.get(requestedId);
        if (existing !== undefined) {
          // (uncertain, docs/temporal-cloud-api.md, "Async operations") same id + same request replays the operation unchanged.
          if (existing.route === route && existing.schema === schema && equals(schema, existing.request as never, request)) {
            return existing;
          }
          throw alreadyExists(`async operation id "${requestedId}" was already used by a different request`);
        }
      }
      const prepared = prepare();
      // (uncertain, docs/temporal-cloud-api.md, "Async operations") the limit's error is undocumented; RESOURCE_EXHAUSTED is plausible.
      if (pending.length >= maxConcurrent) {
        throw new ApiError(
          Code.RESOURCE_EXHAUSTED,
          `too many concurrent async operations: the account limit is ${maxConcurrent}, please retry later`,
        );
      }
      const id = requestedId !== "" ? requestedId : prng.uuid();
      const now = store.now();
      const operation = create(AsyncOperationSchema, {
        id,
        state: AsyncOperation_State.PENDING,
        checkDuration,
        operationType: route,
        startedTime: timestampFromMs(now),
      });
      const decided = decide?.({ id, operationType: route }) ?? "fulfilled";
      const outcome = typeof decided === "string" ? { state: decided } : decided;
      const opDelay = typeof decided === "string" ? delayMs : (decided.delayMs ?? delayMs);
      prepared.begin?.();
      const { target } = prepared;
      if (target !== undefined) {
        if (target.bumpVersion ?? true) store.bumpVersion(target.kind, target.id);
        store.markOperation(target.kind, target.id, id, target.state);
      }
      store.putOperation(operation);
      const entry: Entry = {
        operation,
        route,
        extras: prepared.extras ?? {},
        schema,
        request,
        prepared,
        outcome: { state: outcome.state, reason: outcome.reason ?? "simulated failure" },
        dueAt: now + opDelay,
        halfwayAt: now + opDelay / 2,
      };
      entries.set(id, entry);
      pending.push(entry);
      return entry;
    },

    settle() {
      if (pending.length === 0) return;
      const now = store.now();
      const stillPending: Entry[] = [];
      // Operations settle in acceptance order, so queued changes to one resource apply in order.
      for (const entry of pending) {
        if (now >= entry.halfwayAt) entry.operation.state = AsyncOperation_State.IN_PROGRESS;
        if (now < entry.dueAt || entry.outcome.state === "never") {
          stillPending.push(entry);
          continue;
        }
        finish(entry, now);
      }
      pending = stillPending;
    },

    pendingCount: () => pending.length,
    setOutcome(decider) {
      decide = decider;
    },
  };
}
