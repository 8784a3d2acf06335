import type { Logger } from "pino";
import type { TemporalConnector } from "../app/app.js";
import { startServer, type RunningServer } from "../server/server.js";
import { createGrpcClient, type GrpcClient } from "../sync/grpc-client.js";

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
