import type { TokenOutcome } from "./token-source.js";

/** TaskOutcomeName is how a task ended, for metrics: FinishTask success or error, or no FinishTask (hello, cancelled before it started). */
export type TaskOutcomeName = "success" | "error" | "cancelled" | "unfinished";

/**
 * ServiceObserver is what service mode tells the outside (the CLI hands it the Prometheus
 * metrics, src/metrics/metrics.ts, which implements it without importing this room): tasks,
 * heartbeats, uploads and token requests. No argument carries an id, a secret or a token.
 */
export interface ServiceObserver {
  /** taskEnded counts a task by its proto type name (sync_full, grant…) and outcome, with its duration. */
  taskEnded(type: string, outcome: TaskOutcomeName, seconds: number): void;
  heartbeatSent(outcome: "ok" | "cancelled" | "error"): void;
  /** assetUploaded counts an upload attempt and, when it succeeded, its bytes. */
  assetUploaded(outcome: "ok" | "error", bytes: number): void;
  tokenRequested(outcome: TokenOutcome): void;
  /** syncUploaded marks the end of a successful sync task: its upload was accepted. */
  syncUploaded(): void;
}
