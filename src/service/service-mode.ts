import { setTimeout as sleep } from "node:timers/promises";
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { BatonService, type Task } from "../gen/c1/connectorapi/baton/v1/baton_pb.js";
import type { ConnectorApi } from "../sync/syncer.js";
import type { BatonClient } from "./baton-client.js";
import { sendHello, type BuildInfo, type OsInfo } from "./hello.js";
import type { ServiceObserver, TaskOutcomeName } from "./observer.js";
import { describe, runSyncTask } from "./sync-task.js";
import { runConnectorTask } from "./task-handlers.js";
import { failure, taskTypeOf, type TaskOutcome } from "./task-outcome.js";
import { TokenRefusedError, TokenRequestError } from "./token-source.js";

/** ServiceModeOptions configures runServiceMode. */
export interface ServiceModeOptions {
  /** The connector, reached through the protocol (the CLI serves it in process on a loopback port). */
  api: ConnectorApi;
  baton: BatonClient;
  hello: { hostId: string; buildInfo: BuildInfo; osInfo: OsInfo };
  /** Tasks run at once (--task-concurrency). */
  taskConcurrency: number;
  /** How long running tasks may go on once stopping, before they are cancelled (--drain-timeout). */
  drainTimeoutMs: number;
  /** Directory for the syncs' c1z files (BATON_TMPDIR, else os.tmpdir()). */
  tempDir?: string;
  /** Aborted to stop (SIGTERM): no new task is taken, running ones drain. */
  stop: AbortSignal;
  log: Logger;
  observer?: ServiceObserver;
  /** onReady is called once ConductorOne answered the startup Hello. */
  onReady?(): void;
  /** onStopping is called when the connector stops taking tasks. */
  onStopping?(): void;
}

/** ServiceModeError ends service mode: ConductorOne cannot be used with this configuration. */
export class ServiceModeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceModeError";
  }
}

/** Startup Hello backoff, as the Go SDK's: 1 s, doubling, at most 5 minutes. */
const HELLO_BACKOFF_MS = 1_000;
const HELLO_BACKOFF_MAX_MS = 5 * 60_000;
/** next_poll is clamped to [0, 5 min], as the Go SDK does. */
const POLL_MAX_MS = 5 * 60_000;
/** GetTask errors back off errors² seconds, at most a minute (the Go SDK's runner). */
const GET_TASK_BACKOFF_MAX_MS = 60_000;
/** After the drain timeout, how long cancelled tasks get to report that they were cancelled. */
const CANCEL_GRACE_MS = 10_000;
/** gRPC codes that make the Go SDK give up the startup Hello at once. */
const PERMANENT_HELLO_CODES = new Set([16, 7, 3, 12, 9, 5]); // UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, UNIMPLEMENTED, FAILED_PRECONDITION, NOT_FOUND

/**
 * runServiceMode is the connector working for ConductorOne (docs/service-mode.md): one Hello,
 * retried with backoff on transient errors; then GetTask at the pace ConductorOne sets, with up to
 * taskConcurrency tasks running at once, each ended by one FinishTask (hello tasks by a Hello).
 * Nothing a task does ends the process. It resolves once `stop` was aborted and the running tasks
 * drained (or were cancelled after drainTimeoutMs); it rejects with a ServiceModeError when
 * ConductorOne refuses the credentials or the startup Hello, or is out of reach at startup.
 */
export async function runServiceMode(options: ServiceModeOptions): Promise<void> {
  const { baton, log, observer } = options;
  const hostId = options.hello.hostId;
  // A fatal error (credentials refused while running) stops the loop like a signal does.
  const halt = new AbortController();
  let fatal: ServiceModeError | undefined;
  const stop = AbortSignal.any([options.stop, halt.signal]);
  const failFatally = (err: ServiceModeError) => {
    fatal ??= err;
    halt.abort();
  };

  if (!(await hello(options, stop))) return;
  log.info({ hostId, taskConcurrency: options.taskConcurrency }, "connected to ConductorOne, waiting for tasks");
  options.onReady?.();

  const tasksAbort = new AbortController();
  const running = new Set<Promise<void>>();
  const slots = createSlots(options.taskConcurrency);
  let errors = 0;

  async function runTask(task: Task): Promise<void> {
    const type = taskTypeOf(task);
    const started = performance.now();
    log.info({ taskId: task.id, taskType: type }, "task started");
    let outcome: TaskOutcome;
    try {
      outcome = await perform(task, options, tasksAbort.signal);
    } catch (err) {
      // Handlers report their own failures; this is the net under them.
      outcome = failure(err, false);
    }
    let finishError: unknown;
    if (outcome.kind !== "unfinished") {
      try {
        await finishTask(baton, hostId, task, outcome);
      } catch (err) {
        finishError = err;
        if (err instanceof TokenRefusedError) failFatally(new ServiceModeError(err.message, { cause: err }));
      }
    }
    const name = outcomeName(task, outcome);
    const seconds = (performance.now() - started) / 1000;
    observer?.taskEnded(type, name, seconds);
    const fields = {
      taskId: task.id,
      taskType: type,
      outcome: name,
      seconds: Math.round(seconds * 1000) / 1000,
      ...(outcome.kind === "success" ? { ...(outcome.syncType ? { syncType: outcome.syncType } : {}), ...outcome.summary } : {}),
      ...(outcome.kind === "error" ? { code: outcome.status.code, error: outcome.status.message, nonRetryable: outcome.nonRetryable } : {}),
      ...(outcome.kind === "unfinished" && name !== "success" ? { reason: outcome.reason } : {}),
      ...(finishError ? { finishTaskError: describe(finishError) } : {}),
    };
    if (finishError) log.error(fields, "task finished, but FinishTask failed");
    else log.info(fields, "task finished");
  }

  while (!stop.aborted) {
    if (!(await slots.acquire(stop))) break;
    let response;
    try {
      response = await baton.call(BatonService.method.getTask, { hostId }, stop);
      errors = 0;
    } catch (err) {
      slots.release();
      if (stop.aborted) break;
      if (err instanceof TokenRefusedError) {
        failFatally(new ServiceModeError(err.message, { cause: err }));
        break;
      }
      errors++;
      const waitMs = Math.min(GET_TASK_BACKOFF_MAX_MS, errors * errors * 1000);
      log.warn({ error: describe(err), errors, retryInSeconds: waitMs / 1000 }, "GetTask failed");
      await pause(waitMs, stop);
      continue;
    }
    const task = response.task;
    if (!task || task.taskType.case === "none") {
      slots.release();
    } else {
      const done: Promise<void> = runTask(task).finally(() => {
        running.delete(done);
        slots.release();
      });
      running.add(done);
    }
    // As the Go runner: next_poll is waited also after a task was handed out.
    await pause(pollMs(response.nextPoll), stop);
  }

  options.onStopping?.();
  if (running.size > 0) {
    if (fatal) tasksAbort.abort();
    else {
      log.info({ tasks: running.size, drainTimeoutSeconds: options.drainTimeoutMs / 1000 }, "stopping: waiting for running tasks");
      // Unreferenced timers: once the tasks are done, nothing waits for them to fire.
      const drained = await Promise.race([Promise.all(running).then(() => true), sleep(options.drainTimeoutMs, false, { ref: false })]);
      if (!drained) {
        log.warn({ tasks: running.size }, "stopping: drain timeout reached, cancelling running tasks");
        tasksAbort.abort();
      }
    }
    await Promise.race([Promise.all(running), sleep(CANCEL_GRACE_MS, undefined, { ref: false })]);
  }
  if (fatal) throw fatal;
}

/** hello sends the startup Hello; false when stopped before it got through. */
async function hello(options: ServiceModeOptions, stop: AbortSignal): Promise<boolean> {
  let backoffMs = HELLO_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await sendHello(options.api, options.baton, options.hello, "", stop);
      return true;
    } catch (err) {
      if (stop.aborted) return false;
      if (err instanceof TokenRefusedError) throw new ServiceModeError(err.message, { cause: err });
      // Never reached: a wrong host or port, or a certificate nobody trusts. Telling at once beats
      // retrying for minutes something that will not change (a restart policy retries anyway).
      if (err instanceof TokenRequestError) throw new ServiceModeError(`${err.message} (the host comes from --client-id, or BATON_C1_API_HOST; its certificate must be trusted by Node.js' roots or NODE_EXTRA_CA_CERTS)`, { cause: err });
      const code = (err as { code?: unknown }).code;
      if (typeof code === "number" && PERMANENT_HELLO_CODES.has(code)) throw new ServiceModeError(`ConductorOne refused the connector's Hello: ${describe(err)}`, { cause: err });
      options.log.warn({ error: describe(err), attempt, retryInSeconds: backoffMs / 1000 }, "Hello failed, trying again");
      if (!(await pause(backoffMs, stop))) return false;
      backoffMs = Math.min(HELLO_BACKOFF_MAX_MS, backoffMs * 2);
    }
  }
}

/** perform runs one task and says how it ended. */
async function perform(task: Task, options: ServiceModeOptions, signal: AbortSignal): Promise<TaskOutcome> {
  const t = task.taskType;
  if (t.case === "hello") {
    // A hello task is answered by Hello itself, never by FinishTask, even when it fails.
    try {
      await sendHello(options.api, options.baton, options.hello, task.id, signal);
      return { kind: "unfinished", reason: "answered with Hello" };
    } catch (err) {
      return { kind: "unfinished", reason: `Hello failed: ${describe(err)}`, failed: true };
    }
  }
  if (t.case === "syncFull") {
    return runSyncTask({ task, sync: t.value, api: options.api, baton: options.baton, hostId: options.hello.hostId, tempDir: options.tempDir, signal, log: options.log, observer: options.observer });
  }
  return runConnectorTask(task, options.api, signal);
}

/** outcomeName is how a task ended, for the log line and the metrics. */
function outcomeName(task: Task, outcome: TaskOutcome): TaskOutcomeName {
  if (outcome.cancelled) return "cancelled";
  if (outcome.kind !== "unfinished") return outcome.kind;
  if (task.taskType.case === "hello") return outcome.failed ? "error" : "success";
  return "unfinished";
}

/** FINISH_ATTEMPTS: FinishTask is sent again when ConductorOne was briefly unavailable. */
const FINISH_ATTEMPTS = 3;

async function finishTask(baton: BatonClient, hostId: string, task: Task, outcome: Exclude<TaskOutcome, { kind: "unfinished" }>): Promise<void> {
  const finalState =
    outcome.kind === "success"
      ? { case: "success" as const, value: { annotations: outcome.annotations ?? [], response: outcome.response } }
      : { case: "error" as const, value: { nonRetryable: outcome.nonRetryable } };
  for (let attempt = 1; ; attempt++) {
    try {
      await baton.call(BatonService.method.finishTask, { hostId, taskId: task.id, status: outcome.kind === "error" ? outcome.status : undefined, finalState });
      return;
    } catch (err) {
      if (attempt >= FINISH_ATTEMPTS || (err as { code?: unknown }).code !== 14 /* UNAVAILABLE */) throw err;
      await sleep(attempt * 1000);
    }
  }
}

/** pollMs clamps next_poll to [0, 5 min]. */
function pollMs(next: Duration | undefined): number {
  const ms = next ? Number(next.seconds) * 1000 + next.nanos / 1e6 : 0;
  return Math.min(POLL_MAX_MS, Math.max(0, ms));
}

/** pause waits, or less when stopped; false when it was stopped. */
async function pause(ms: number, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal: stop });
    return true;
  } catch {
    return false;
  }
}

/** createSlots is a counting semaphore for the task slots. */
function createSlots(size: number): { acquire(stop: AbortSignal): Promise<boolean>; release(): void } {
  let free = Math.max(1, size);
  const waiters: (() => void)[] = [];
  return {
    async acquire(stop) {
      while (free === 0) {
        if (stop.aborted) return false;
        await new Promise<void>((resolve) => {
          const wake = () => {
            stop.removeEventListener("abort", wake);
            resolve();
          };
          waiters.push(wake);
          stop.addEventListener("abort", wake, { once: true });
        });
      }
      if (stop.aborted) return false;
      free--;
      return true;
    },
    release() {
      free++;
      waiters.shift()?.();
    },
  };
}
