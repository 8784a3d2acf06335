import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectorError } from "../connector/errors.js";
import type { CallContext } from "../connector/resource-syncer.js";
import type { AsyncOperation } from "../gen/temporal/api/cloud/operation/v1/message_pb.js";
import type { WriteOptions } from "../temporal/client.js";
import { TemporalApiError } from "../temporal/errors.js";
import type { TemporalAccount } from "./temporal-account.js";

/** MAX_ATTEMPTS bounds how often a write is re-planned after the resource changed under it. */
const MAX_ATTEMPTS = 5;

/** Plan is what to do given the current state: write (and what that achieves), or nothing. */
export type Plan<R extends object> = { write: (opts: WriteOptions) => Promise<AsyncOperation>; result: R } | { write?: undefined; result: R };

/** Outcome is the result of a plan, with the id of the operation that applied it, if any. */
export type Outcome<R extends object> = R & { requestId?: string };

/**
 * readModifyWrite applies one logical change safely:
 * - it reads the latest state and plans from it (a plan may refuse by throwing, or find there is
 *   nothing to write, in which case nothing is written);
 * - it writes with the version it read and one fresh asyncOperationId, which the transport reuses
 *   on every retry, so a write whose response was lost is still applied once;
 * - when Temporal refuses the write, it reads the state again and lets the state say why, never
 *   the wording of the refusal: a new resourceVersion means the resource changed in between (a
 *   version conflict, or a concurrent "nothing to change"), so it plans again from the new state,
 *   which never overwrites the concurrent change and writes nothing if the change is already
 *   there — up to MAX_ATTEMPTS times; the same version means the refusal is about the write
 *   itself, and it stands unless the state already holds what the plan wanted;
 * - it waits for the async operation: only a FULFILLED operation counts as done, and its id is
 *   returned for the RequestId annotation.
 */
export async function readModifyWrite<S, R extends object>(
  ctx: CallContext,
  account: TemporalAccount,
  change: {
    read: () => Promise<S>;
    version: (state: S) => string;
    plan: (state: S) => Plan<R>;
    describe: string;
  },
): Promise<Outcome<R>> {
  let state = await change.read();
  for (let attempt = 1; ; attempt++) {
    const plan = change.plan(state);
    if (!plan.write) return plan.result;
    const version = change.version(state);
    let op: AsyncOperation;
    try {
      op = await plan.write({ operationId: randomUUID(), resourceVersion: version, signal: ctx.signal });
    } catch (err) {
      if (!isRefusal(err)) throw err;
      const now = await change.read();
      if (change.version(now) === version) {
        const again = change.plan(now);
        if (!again.write) return again.result;
        throw err;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConnectorError(Code.Aborted, `${change.describe}: the principal kept changing while we tried to update it (${attempt} attempts); try again`, {}, { cause: err });
      }
      // The refusal's wording is only a hint for whoever reads the log.
      ctx.log.info({ attempt, what: change.describe, refusal: err.hint }, "resource changed since it was read; planning again");
      await sleep(50 * attempt * Math.random(), undefined, { signal: ctx.signal });
      state = now;
      continue;
    }
    const done = await account.awaitOperation(op, ctx);
    return { ...plan.result, requestId: done.id };
  }
}

/** isRefusal tells a write Temporal refused as a request (400, 409), which re-reading can explain. */
function isRefusal(err: unknown): err is TemporalApiError {
  return err instanceof TemporalApiError && (err.kind === "invalid-argument" || err.kind === "failed-precondition" || err.kind === "already-exists");
}
