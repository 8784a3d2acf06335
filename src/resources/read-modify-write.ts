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
 * - if the state changed in between (a version conflict), it reads again and re-plans, so a
 *   concurrent change is never overwritten — up to MAX_ATTEMPTS times;
 * - Temporal's "nothing to change" means someone else already made the change: the unchanged
 *   result is returned;
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
    /** Result when the server reports there was nothing to change. */
    unchanged: (state: S) => R;
    describe: string;
  },
): Promise<Outcome<R>> {
  for (let attempt = 1; ; attempt++) {
    const state = await change.read();
    const plan = change.plan(state);
    if (!plan.write) return plan.result;
    let op: AsyncOperation;
    try {
      op = await plan.write({ operationId: randomUUID(), resourceVersion: change.version(state), signal: ctx.signal });
    } catch (err) {
      if (err instanceof TemporalApiError && err.nothingToChange) return change.unchanged(state);
      if (err instanceof TemporalApiError && err.versionConflict) {
        if (attempt >= MAX_ATTEMPTS) {
          throw new ConnectorError(Code.Aborted, `${change.describe}: the principal kept changing while we tried to update it (${attempt} attempts); try again`, {}, { cause: err });
        }
        ctx.log.info({ attempt, what: change.describe }, "resource changed since it was read; reading it again");
        await sleep(50 * attempt * Math.random(), undefined, { signal: ctx.signal });
        continue;
      }
      throw err;
    }
    const done = await account.awaitOperation(op, ctx);
    return { ...plan.result, requestId: done.id };
  }
}
