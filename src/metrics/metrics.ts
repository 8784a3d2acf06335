import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SyncedObjectKind, SyncObserver } from "../connector/sync-observer.js";
import type { ConnectionObserver } from "../server/connection-guard.js";
import type { CallObserver } from "../server/metrics-interceptor.js";
import type { TemporalObserver } from "../temporal/observer.js";

/** MetricsOptions configures createMetrics. */
export interface MetricsOptions {
  /** Add Node.js process metrics (CPU, memory, event loop, GC; default true). */
  processMetrics?: boolean;
}

/**
 * Metrics is the connector's Prometheus registry and the observers that fill it: the gRPC edge
 * (calls, connections), the Temporal client (requests, retries, waits), the protocol core (syncs)
 * and service mode (tasks, heartbeats, uploads, tokens; the methods of src/service/observer.ts's
 * ServiceObserver, which the CLI hands it: this room does not import service).
 */
export interface Metrics extends CallObserver, ConnectionObserver, TemporalObserver, SyncObserver {
  readonly registry: Registry;
  /** apiKeyChanged counts a new API key becoming current, by what noticed it. */
  apiKeyChanged(trigger: "file-changed" | "unauthenticated"): void;
  /** trackApiKey sets where the expiry gauge reads how long until the key expires (at every scrape). */
  trackApiKey(secondsLeft: () => number | undefined): void;
  /** taskEnded counts a service-mode task by type (the proto's name) and outcome, and observes its duration. */
  taskEnded(type: string, outcome: "success" | "error" | "cancelled" | "unfinished", seconds: number): void;
  heartbeatSent(outcome: "ok" | "cancelled" | "error"): void;
  assetUploaded(outcome: "ok" | "error", bytes: number): void;
  tokenRequested(outcome: "issued" | "refused" | "error"): void;
  syncUploaded(): void;
}

/** TASK_TYPES are the task type names a label may take; anything else counts as "other". */
const TASK_TYPES = new Set(["none", "hello", "sync_full", "grant", "revoke", "create_account", "create_resource", "delete_resource", "rotate_credentials", "event_feed", "create_ticket_task", "list_ticket_schemas", "get_ticket", "bulk_create_tickets", "bulk_get_tickets", "action_list_schemas", "action_get_schema", "action_invoke", "action_status", "create_sync_diff", "compact_syncs", "list_event_feeds", "list_events", "issue_credential", "unknown"]);

/** PREFIX starts the name of every metric of ours (the gRPC ones use grpc-prometheus' names). */
const PREFIX = "temporalcloud_connector_";

/** At most this many syncs are followed at once; one that never sends Cleanup is dropped first. */
const MAX_OPEN_SYNCS = 16;

/**
 * createMetrics registers every metric on a registry of its own. No label takes a value from a
 * request or a response: methods and routes are names from the code, codes and statuses come
 * from small fixed sets, and nothing carries an id, an email or a key.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  // grpc-prometheus' names and labels, so existing gRPC dashboards work unchanged.
  const grpcHandled = new Counter({
    name: "grpc_server_handled_total",
    help: "gRPC calls completed, by method and status code.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"] as const,
    registers,
  });
  const grpcSeconds = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Time from a gRPC call's start to its end, by method.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const connectionsOpen = new Gauge({
    name: `${PREFIX}connections_open`,
    help: "Connections open, by listener (grpc: --listen, health: --health-listen).",
    labelNames: ["listener"] as const,
    registers,
  });
  const connectionsRefused = new Counter({
    name: `${PREFIX}connections_refused_total`,
    help: "Connections closed on arrival because --max-connections were open, by listener.",
    labelNames: ["listener"] as const,
    registers,
  });
  const requests = new Counter({
    name: `${PREFIX}upstream_requests_total`,
    help: "Temporal Cloud API requests sent (each attempt), by API method and HTTP status (or timeout, unavailable, cancelled when no response arrived).",
    labelNames: ["route", "status"] as const,
    registers,
  });
  const requestSeconds = new Histogram({
    name: `${PREFIX}upstream_request_duration_seconds`,
    help: "Time of one Temporal Cloud API request attempt, by API method.",
    labelNames: ["route"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const retries = new Counter({
    name: `${PREFIX}upstream_retries_total`,
    help: "Temporal Cloud API requests sent again, by API method and the failure that caused it.",
    labelNames: ["route", "reason"] as const,
    registers,
  });
  const rateLimitWaits = new Histogram({
    name: `${PREFIX}upstream_rate_limit_wait_seconds`,
    help: "Time the client-side rate limit (--rate-limit) held each request attempt back.",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers,
  });
  const operationWaits = new Histogram({
    name: `${PREFIX}async_operation_wait_seconds`,
    help: "Time provisioning waited for a Temporal Cloud async operation, by outcome (fulfilled, failed, timeout, error).",
    labelNames: ["outcome"] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600],
    registers,
  });
  const syncSeconds = new Histogram({
    name: `${PREFIX}sync_duration_seconds`,
    help: "Time from the first page served to a sync to its Cleanup.",
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers,
  });
  const syncedObjects = new Counter({
    name: `${PREFIX}synced_objects_total`,
    help: "Objects served to syncs, by kind (resources, entitlements, grants).",
    labelNames: ["kind"] as const,
    registers,
  });
  const lastSyncObjects = new Gauge({
    name: `${PREFIX}last_sync_objects`,
    help: "Objects served to the last sync that completed (Cleanup), by kind.",
    labelNames: ["kind"] as const,
    registers,
  });
  const keyChanges = new Counter({
    name: `${PREFIX}api_key_changes_total`,
    help: "Times a new API key was read from --api-key-file, by what noticed it (file-changed, unauthenticated).",
    labelNames: ["trigger"] as const,
    registers,
  });
  let apiKeySecondsLeft: (() => number | undefined) | undefined;
  new Gauge({
    name: `${PREFIX}api_key_seconds_until_expiry`,
    help: "Seconds until the Temporal Cloud API key in use expires (negative once it has); absent until the key has been looked up (Validate).",
    registers,
    collect() {
      this.reset();
      const left = apiKeySecondsLeft?.();
      if (left !== undefined) this.set(Math.round(left));
    },
  });

  const tasks = new Counter({
    name: `${PREFIX}service_tasks_total`,
    help: "Service mode: ConductorOne tasks ended, by type and outcome (success, error, cancelled; unfinished: ended without FinishTask, as a sync whose first heartbeat failed).",
    labelNames: ["type", "outcome"] as const,
    registers,
  });
  const taskSeconds = new Histogram({
    name: `${PREFIX}service_task_duration_seconds`,
    help: "Service mode: time from a task's start to its FinishTask, by type.",
    labelNames: ["type"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers,
  });
  const heartbeats = new Counter({
    name: `${PREFIX}service_heartbeats_total`,
    help: "Service mode: task heartbeats sent, by outcome (ok, cancelled: ConductorOne cancelled the task, error).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const uploads = new Counter({
    name: `${PREFIX}service_uploads_total`,
    help: "Service mode: sync uploads (UploadAsset) attempted, by outcome.",
    labelNames: ["outcome"] as const,
    registers,
  });
  const uploadBytes = new Counter({
    name: `${PREFIX}service_upload_bytes_total`,
    help: "Service mode: bytes of the syncs uploaded to ConductorOne.",
    registers,
  });
  const tokenRequests = new Counter({
    name: `${PREFIX}service_token_requests_total`,
    help: "Service mode: access tokens asked of ConductorOne (the first and every renewal), by outcome (issued, refused, error).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const lastSync = new Gauge({
    name: `${PREFIX}service_last_successful_sync_timestamp_seconds`,
    help: "Service mode: when the last sync task was uploaded (Unix time); absent until one was.",
    registers,
  });

  const syncs = new Map<string, { startedAt: number; counts: Record<SyncedObjectKind, number> }>();

  return {
    registry,
    callEnded({ service, method, type, code, seconds }) {
      grpcHandled.inc({ grpc_type: type, grpc_service: service, grpc_method: method, grpc_code: code });
      grpcSeconds.observe({ grpc_type: type, grpc_service: service, grpc_method: method }, seconds);
    },
    connectionOpened(listener) {
      connectionsOpen.inc({ listener });
    },
    connectionClosed(listener) {
      connectionsOpen.dec({ listener });
    },
    connectionRefused(listener) {
      connectionsRefused.inc({ listener });
    },
    requestEnded(route, status, seconds) {
      requests.inc({ route, status: String(status) });
      requestSeconds.observe({ route }, seconds);
    },
    retrying(route, reason) {
      retries.inc({ route, reason });
    },
    rateLimitWaited(seconds) {
      rateLimitWaits.observe(seconds);
    },
    operationWaited(outcome, seconds) {
      operationWaits.observe({ outcome }, seconds);
    },
    pageServed(syncId, kind, count) {
      let sync = syncs.get(syncId);
      if (!sync) {
        if (syncs.size >= MAX_OPEN_SYNCS) syncs.delete(syncs.keys().next().value!);
        sync = { startedAt: performance.now(), counts: { resources: 0, entitlements: 0, grants: 0 } };
        syncs.set(syncId, sync);
      }
      sync.counts[kind] += count;
      syncedObjects.inc({ kind }, count);
    },
    syncEnded(syncId) {
      const sync = syncs.get(syncId);
      if (!sync) return;
      syncs.delete(syncId);
      syncSeconds.observe((performance.now() - sync.startedAt) / 1000);
      for (const [kind, count] of Object.entries(sync.counts)) lastSyncObjects.set({ kind }, count);
    },
    apiKeyChanged(trigger) {
      keyChanges.inc({ trigger });
    },
    trackApiKey(secondsLeft) {
      apiKeySecondsLeft = secondsLeft;
    },
    taskEnded(type, outcome, seconds) {
      const label = TASK_TYPES.has(type) ? type : "other";
      tasks.inc({ type: label, outcome });
      taskSeconds.observe({ type: label }, seconds);
    },
    heartbeatSent(outcome) {
      heartbeats.inc({ outcome });
    },
    assetUploaded(outcome, bytes) {
      uploads.inc({ outcome });
      if (bytes > 0) uploadBytes.inc(bytes);
    },
    tokenRequested(outcome) {
      tokenRequests.inc({ outcome });
    },
    syncUploaded() {
      lastSync.setToCurrentTime();
    },
  };
}
