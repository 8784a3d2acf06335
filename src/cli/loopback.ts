import { once } from "node:events";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { TemporalConnector } from "../app/app.js";
import { startServer, type RunningServer } from "../server/server.js";
import { createGrpcClient, type GrpcClient } from "../sync/grpc-client.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";

/**
 * Endpoint is the connector served on a loopback port with a gRPC client connected to it: the
 * one-shot commands (sync, events) drive the connector through the protocol, as baton drives its
 * `_connector-service` child, so they exercise the same path as ConductorOne.
 */
export interface Endpoint {
  client: GrpcClient;
  close(): Promise<void>;
}

/** serveInProcess serves the connector on a loopback port and connects a gRPC client to it. */
export async function serveInProcess(app: TemporalConnector, log: Logger): Promise<Endpoint> {
  // Short drain: when the command stops, its own client is the only caller and has gone.
  const server: RunningServer = await startServer({ connector: app.connector, log, host: "127.0.0.1", port: 0, drainTimeoutMs: 1000 });
  const client = createGrpcClient({ address: `127.0.0.1:${server.port}` });
  return {
    client,
    async close() {
      client.close();
      await server.close();
    },
  };
}

/**
 * serveInWorker serves the connector of the command's settings (`values`, as the command would
 * make it in process) from a worker thread on a loopback port, and connects a gRPC client to it:
 * `sync -f` reads the account there while its own thread stores what it reads (connector-worker.ts).
 * A connector that cannot be made fails as it would in process, with its one-line error.
 */
export async function serveInWorker(values: Values): Promise<Endpoint> {
  const worker = new Worker(new URL("./connector-worker.js", import.meta.url), { workerData: { values } });
  const exited = once(worker, "exit");
  const [reply] = (await Promise.race([once(worker, "message"), exited.then(() => [{ error: "the connector thread stopped before it served" }])])) as [{ port?: number; error?: string; exitCode?: number }];
  if (reply.port === undefined) {
    await worker.terminate();
    throw new CommandError(reply.error ?? "the connector thread failed", reply.exitCode ?? 1);
  }
  const client = createGrpcClient({ address: `127.0.0.1:${reply.port}` });
  return {
    client,
    async close() {
      client.close();
      worker.postMessage("close");
      await exited;
    },
  };
}

const GRPC_CODES = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** describeError renders a failed call as "<message> [code]", the connector's words first. */
export function describeError(err: unknown): string {
  if (err instanceof Error && "code" in err && typeof err.code === "number" && "details" in err && typeof err.details === "string") {
    return `${err.details || err.message} [${GRPC_CODES[err.code] ?? err.code}]`;
  }
  return err instanceof Error ? err.message : String(err);
}
