import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { createC1zWriter } from "../c1z/c1z-writer.js";
import { syncIntoC1z } from "../c1z/sync-into-c1z.js";
import { trackTempPath } from "../c1z/temp-paths.js";
import { BatonService, type Task, type Task_SyncFullTask } from "../gen/c1/connectorapi/baton/v1/baton_pb.js";
import { StatusSchema } from "../gen/google/rpc/status_pb.js";
import { syncTypeOf, type ConnectorApi } from "../sync/syncer.js";
import type { BatonClient, UploadMessage } from "./baton-client.js";
import type { ServiceObserver } from "./observer.js";
import { syncScopeOfTask } from "./sync-scope.js";
import { Code, failure, type TaskOutcome } from "./task-outcome.js";

/** SyncTaskOptions configures runSyncTask. */
export interface SyncTaskOptions {
  task: Task;
  sync: Task_SyncFullTask;
  api: ConnectorApi;
  baton: BatonClient;
  hostId: string;
  /** Where the sync's c1z is written before it is uploaded (os.tmpdir() by default; BATON_TMPDIR). */
  tempDir?: string;
  /** Aborted when the connector stops and the task's drain time is up. */
  signal: AbortSignal;
  log: Logger;
  observer?: ServiceObserver;
  /** Upload chunk size (default 512 KiB, the Go SDK's; the protocol allows up to 1 MiB). */
  chunkBytes?: number;
}

/** HEARTBEAT limits, as the Go SDK clamps ConductorOne's next_heartbeat (0 means the default). */
const HEARTBEAT_DEFAULT_MS = 30_000;
const HEARTBEAT_MIN_MS = 1_000;
const HEARTBEAT_MAX_MS = 5 * 60_000;
/** The Go SDK gives up on a task after this many heartbeats in a row failed (its counter stops at the 10th attempt). */
const HEARTBEAT_FAILURES = 9;
/** Upload attempts, and the pause before each retry (the Go SDK's: 0 s, then 1 s). */
const UPLOAD_ATTEMPTS = 3;

/** heartbeatIntervalMs clamps next_heartbeat to [1 s, 5 min]; absent or zero means 30 s. */
export function heartbeatIntervalMs(next: Duration | undefined): number {
  const ms = next ? Number(next.seconds) * 1000 + next.nanos / 1e6 : 0;
  if (ms <= 0) return HEARTBEAT_DEFAULT_MS;
  return Math.min(HEARTBEAT_MAX_MS, Math.max(HEARTBEAT_MIN_MS, ms));
}

/** Why a sync task was stopped from outside. */
type StopReason = "cancelled" | "heartbeat-failed" | "shutdown";

/**
 * runSyncTask runs a sync_full task (docs/service-mode.md, "sync_full"): one heartbeat before
 * anything starts, then one every next_heartbeat while the sync and the upload run; the same sync
 * as `sync -f` into a c1z in a temporary directory, scoped by the task (syncScopeOfTask); then
 * UploadAsset (metadata, 512 KiB chunks, eof with the file's SHA-256), retried like the Go SDK's.
 * A heartbeat answering `cancelled` stops the sync: nothing is uploaded and success is never
 * reported. When the first heartbeat fails or is cancelled the task ends without FinishTask, as
 * in the Go SDK; later, a cancelled or failed task finishes with a CANCELLED error.
 */
export async function runSyncTask(options: SyncTaskOptions): Promise<TaskOutcome> {
  const { task, baton, hostId, log, observer } = options;
  const heartbeat = async (signal?: AbortSignal) => {
    try {
      const res = await baton.call(BatonService.method.heartbeat, { hostId, taskId: task.id }, signal);
      observer?.heartbeatSent(res.cancelled ? "cancelled" : "ok");
      return res;
    } catch (err) {
      observer?.heartbeatSent("error");
      throw err;
    }
  };

  let first;
  try {
    first = await heartbeat(options.signal);
  } catch (err) {
    return { kind: "unfinished", reason: `the first heartbeat failed: ${describe(err)}` };
  }
  if (first.cancelled) return { kind: "unfinished", reason: "ConductorOne cancelled the task before it started", cancelled: true };

  const stop = new AbortController();
  let stopReason: StopReason | undefined;
  const stopWith = (reason: StopReason) => {
    stopReason ??= reason;
    stop.abort(new DOMException(reason, "AbortError"));
  };
  const onShutdown = () => stopWith("shutdown");
  if (options.signal.aborted) onShutdown();
  else options.signal.addEventListener("abort", onShutdown, { once: true });

  // The periodic heartbeats, until the task ends.
  const beating = new AbortController();
  const heartbeats = (async () => {
    let interval = heartbeatIntervalMs(first.nextHeartbeat);
    let failures = 0;
    for (;;) {
      try {
        await sleep(interval, undefined, { signal: beating.signal });
        const res = await heartbeat(beating.signal);
        failures = 0;
        interval = heartbeatIntervalMs(res.nextHeartbeat);
        if (res.cancelled) return stopWith("cancelled");
      } catch (err) {
        if (beating.signal.aborted) return;
        log.warn({ taskId: task.id, error: describe(err) }, "heartbeat failed");
        if (++failures >= HEARTBEAT_FAILURES) return stopWith("heartbeat-failed");
      }
    }
  })();

  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "service-sync-"));
  const untrack = trackTempPath(dir);
  try {
    const path = join(dir, "sync.c1z");
    const scope = syncScopeOfTask(options.sync);
    const writer = await createC1zWriter({ path, tempDir: dir, keepSyncs: 1, syncType: syncTypeOf(scope) });
    const { result, bytes } = await syncIntoC1z(writer, { ...scope, api: options.api, signal: stop.signal, warn: (message, fields) => log.warn({ taskId: task.id, ...fields }, message) });
    log.debug({ taskId: task.id, syncId: result.syncId, syncType: result.syncType, resources: result.resources, entitlements: result.entitlements, grants: result.grants, bytes }, "sync written, uploading");
    const uploaded = await upload(path, { ...options, signal: stop.signal });
    observer?.syncUploaded();
    return { kind: "success", syncType: result.syncType, summary: { resources: result.resources, entitlements: result.entitlements, grants: result.grants, ...(result.expansion ? { derivedGrants: result.expansion.derived } : {}), bytes: uploaded.bytes, chunks: uploaded.chunks } };
  } catch (err) {
    if (stopReason === "cancelled") return stopped("task was cancelled by ConductorOne", false, true);
    if (stopReason === "heartbeat-failed") return stopped("task failed heartbeat: ConductorOne could not be told the task is alive", false);
    if (stopReason === "shutdown") return stopped("the connector is shutting down", false);
    return failure(err, false);
  } finally {
    beating.abort();
    await heartbeats;
    options.signal.removeEventListener("abort", onShutdown);
    await rm(dir, { recursive: true, force: true });
    untrack();
  }
}

function stopped(message: string, nonRetryable: boolean, cancelled = false): TaskOutcome {
  return { kind: "error", status: create(StatusSchema, { code: Code.CANCELLED, message }), nonRetryable, cancelled };
}

/** upload sends the c1z with UploadAsset, up to three times; it resolves with what the accepted upload sent. */
async function upload(path: string, options: SyncTaskOptions): Promise<{ bytes: number; chunks: number }> {
  const { task, baton, hostId, observer, signal } = options;
  const chunkBytes = Math.min(1024 * 1024, options.chunkBytes ?? 512 * 1024);
  for (let attempt = 1; ; attempt++) {
    let sent = 0;
    let chunks = 0;
    try {
      await baton.uploadAsset(() => {
        sent = chunks = 0;
        return uploadMessages(path, { hostId, taskId: task.id, chunkBytes, sent: (n) => ((sent += n), chunks++) });
      }, signal);
      observer?.assetUploaded("ok", sent);
      return { bytes: sent, chunks };
    } catch (err) {
      observer?.assetUploaded("error", 0);
      if (attempt >= UPLOAD_ATTEMPTS || signal.aborted) throw err;
      options.log.warn({ taskId: task.id, attempt, error: describe(err) }, "upload failed, trying again");
      await sleep((attempt - 1) * 1000, undefined, { signal });
    }
  }
}

/** uploadMessages reads the file once: metadata, fixed-size chunks (the last one shorter), then eof with the SHA-256 of all of them. */
async function* uploadMessages(path: string, options: { hostId: string; taskId: string; chunkBytes: number; sent(bytes: number): void }): AsyncGenerator<UploadMessage> {
  yield { msg: { case: "metadata", value: { hostId: options.hostId, taskId: options.taskId } } };
  const hash = createHash("sha256");
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const take = (bytes: number) => {
    // The file is read in chunk-sized pieces: usually one piece is one chunk, without a copy.
    const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    const chunk = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    return chunk;
  };
  for await (const piece of createReadStream(path, { highWaterMark: options.chunkBytes })) {
    pending.push(piece as Buffer);
    pendingBytes += (piece as Buffer).length;
    while (pendingBytes >= options.chunkBytes) {
      const chunk = take(options.chunkBytes);
      hash.update(chunk);
      options.sent(chunk.length);
      yield { msg: { case: "data", value: { data: chunk } } };
    }
  }
  if (pendingBytes > 0) {
    const chunk = take(pendingBytes);
    hash.update(chunk);
    options.sent(chunk.length);
    yield { msg: { case: "data", value: { data: chunk } } };
  }
  yield { msg: { case: "eof", value: { sha256Checksum: hash.digest() } } };
}

/** describe renders an error for a log line: a gRPC status, or the message. */
export function describe(err: unknown): string {
  const e = err as { code?: unknown; details?: unknown };
  if (typeof e?.code === "number" && typeof e.details === "string") return `${e.details} [code ${e.code}]`;
  return err instanceof Error ? err.message : String(err);
}
