import { parentPort, workerData } from "node:worker_threads";
import { useFastPaths } from "../codec/fast-paths.js";
import { startServer } from "../server/server.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";
import { oneShotConnector } from "./service.js";

/**
 * The connector of `sync -f`, in a worker thread: it serves on a loopback port while the command's
 * own thread syncs from it and writes the file, so that the two halves of the work (reading the
 * account and making pages; storing rows and expanding grants) run on two cores, as the Go
 * syncer and its connector run in two processes. Started by serveInWorker (loopback.ts).
 *
 * Messages: the worker posts {port} once serving, or {error, exitCode} if the connector cannot be
 * made (the CLI's one-line errors); the parent posts "close" to stop it.
 */
const { values } = workerData as { values: Values };
const port = parentPort!;

useFastPaths(true);
try {
  const { app, log } = oneShotConnector(values, false);
  // Short drain: when the command stops, its own client is the only caller and has gone.
  const server = await startServer({ connector: app.connector, log, host: "127.0.0.1", port: 0, drainTimeoutMs: 1000 });
  port.once("message", () => {
    void (async () => {
      await server.close();
      await app.close();
      port.close();
    })();
  });
  port.postMessage({ port: server.port });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err), exitCode: err instanceof CommandError ? err.exitCode : undefined });
  port.close();
}
