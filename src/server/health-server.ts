import { once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { DEFAULT_CONNECTION_LIMITS, guardConnections, type ConnectionLimits, type ConnectionObserver } from "./connection-guard.js";
import { registerHealth, type HealthState } from "./health.js";
import { CONNECTOR_SERVICES } from "./routes.js";

/** HealthServerOptions configures startHealthServer. */
export interface HealthServerOptions {
  /** The connector server's status (RunningServer.health). */
  health: HealthState;
  host: string;
  port: number;
  log: Logger;
  /** Timeouts and the connection cap (DEFAULT_CONNECTION_LIMITS for what is left out). */
  limits?: Partial<ConnectionLimits>;
  /** Told about connections opened, closed and refused (metrics). */
  connectionObserver?: ConnectionObserver;
}

/** RunningHealthServer is a listening health-only server. */
export interface RunningHealthServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * startHealthServer serves grpc.health.v1.Health alone, in plain text, reporting the connector
 * server's status. It exists for Kubernetes' native gRPC probes, which connect to the pod's IP
 * address and cannot speak TLS: the connector itself stays on loopback (or behind mutual TLS)
 * while the kubelet probes this port, which tells nothing but SERVING or NOT_SERVING. It is
 * reachable from the pod network, so it has the gRPC server's connection limits too.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<RunningHealthServer> {
  const adapter = connectNodeAdapter({
    routes: (router) => registerHealth(router, options.health, CONNECTOR_SERVICES.map((s) => s.typeName)),
    grpc: true,
    connect: false,
    grpcWeb: false,
    readMaxBytes: 64 * 1024,
  });
  const server = http2.createServer({ settings: { maxConcurrentStreams: 16 } }, adapter);
  guardConnections(server, { listener: "health", limits: { ...DEFAULT_CONNECTION_LIMITS, ...options.limits }, log: options.log, observer: options.connectionObserver });
  const sessions = new Set<http2.Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {}); // a probe that hangs up is not news
  });
  // once() rejects with the error (EADDRINUSE…) if the server fails to listen.
  server.listen(options.port, options.host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Probes hold no work worth waiting for.
      for (const session of sessions) session.destroy();
      return closed;
    },
  };
}
