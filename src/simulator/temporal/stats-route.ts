import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimulatorStats } from "./simulator-stats.js";

/**
 * STATS_PATH serves the simulator's own counters (SimulatorStats) as JSON, for tools that run the
 * simulator as a separate process (the benchmark). It is not a Cloud Ops API route: it needs no API
 * key, adds no latency, is never subject to faults and is not counted in the stats it reports.
 */
export const STATS_PATH = "/_sim/stats";

/** SimulatorStatsJson is the body of GET /_sim/stats: SimulatorStats with its maps as objects. */
export interface SimulatorStatsJson {
  requests: number;
  byRoute: Record<string, number>;
  responsesByStatus: Record<string, number>;
  appliedMutations: Record<string, number>;
  faultsInjected: Record<string, number>;
  droppedConnections: number;
  inFlight: number;
  peakInFlight: number;
}

/** statsJson renders SimulatorStats as plain JSON. */
export function statsJson(stats: SimulatorStats): SimulatorStatsJson {
  const record = <K>(map: Map<K, number>) => Object.fromEntries([...map].map(([key, value]) => [String(key), value]));
  return {
    requests: stats.requests,
    byRoute: record(stats.byRoute),
    responsesByStatus: record(stats.responsesByStatus),
    appliedMutations: record(stats.appliedMutations),
    faultsInjected: record(stats.faultsInjected),
    droppedConnections: stats.droppedConnections,
    inFlight: stats.inFlight,
    peakInFlight: stats.peakInFlight,
  };
}

/** serveStats answers GET /_sim/stats and returns true; any other request is left alone (false). */
export function serveStats(req: IncomingMessage, res: ServerResponse, stats: SimulatorStats): boolean {
  if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== STATS_PATH) return false;
  const body = JSON.stringify(statsJson(stats));
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
  return true;
}
