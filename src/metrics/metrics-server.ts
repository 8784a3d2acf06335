import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** RunningMetricsServer is a listening metrics endpoint. */
export interface RunningMetricsServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * startMetricsServer serves the registry in Prometheus' text format at GET /metrics (plain HTTP,
 * as Prometheus scrapes by default); everything else is 404. It rejects with the listen error
 * (EADDRINUSE, …) when the address cannot be bound. Beyond maxConnections open connections, new
 * ones are closed on arrival.
 */
export async function startMetricsServer(options: { registry: Registry; host: string; port: number; maxConnections?: number }): Promise<RunningMetricsServer> {
  const { registry } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are served at GET /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(req.method === "HEAD" ? undefined : text),
      () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics could not be collected\n"),
    );
  });
  server.keepAliveTimeout = 65_000; // longer than Prometheus' scrape interval: one connection is reused
  // Node closes a connection that sends no complete request head within headersTimeout (60 s); the
  // cap bounds how many a peer can hold open meanwhile (--max-connections, as on the gRPC ports).
  if (options.maxConnections) server.maxConnections = options.maxConnections;
  // once() rejects with the error (EADDRINUSE…) if the server fails to listen.
  server.listen(options.port, options.host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
