/**
 * SimulatorStats counts what a simulator saw and did. Tests use it to prove properties such
 * as "a retried write was applied once" or "the client never had more than N requests in flight".
 */
export interface SimulatorStats {
  /** Every HTTP request received, including refused ones. */
  requests: number;
  /** Requests per route name (e.g. "GetUsers"); unmatched paths count as "NotFound"/"MethodNotAllowed". */
  readonly byRoute: Map<string, number>;
  /** Responses per HTTP status. Dropped connections are not responses and are not counted here. */
  readonly responsesByStatus: Map<number, number>;
  /** Times each async operation's mutation was applied; a correct idempotent retry leaves 1. */
  readonly appliedMutations: Map<string, number>;
  /** Faults injected by FaultOptions, by kind ("503", "429", "drop", …). */
  readonly faultsInjected: Map<string, number>;
  /** Connections destroyed after processing instead of answering (dropConnection faults). */
  droppedConnections: number;
  /** Requests currently being processed. */
  inFlight: number;
  /** Highest inFlight seen. */
  peakInFlight: number;
  /** reset sets every count back to zero (inFlight excepted). */
  reset(): void;
}

/**
 * createSimulatorStats returns zeroed SimulatorStats.
 */
export function createSimulatorStats(): SimulatorStats {
  const stats: SimulatorStats = {
    requests: 0,
    byRoute: new Map(),
    responsesByStatus: new Map(),
    appliedMutations: new Map(),
    faultsInjected: new Map(),
    droppedConnections: 0,
    inFlight: 0,
    peakInFlight: 0,
    reset() {
      stats.requests = 0;
      stats.byRoute.clear();
      stats.responsesByStatus.clear();
      stats.appliedMutations.clear();
      stats.faultsInjected.clear();
      stats.droppedConnections = 0;
      stats.peakInFlight = stats.inFlight;
    },
  };
  return stats;
}

/** increment adds one to a counter map entry. */
export function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
