import type { Logger } from "pino";
import type { SyncProgress } from "../sync/syncer.js";
import type { C1zCounts } from "../c1z/c1z-writer.js";

/** SyncProgressReporterOptions configures createSyncProgressReporter. */
export interface SyncProgressReporterOptions {
  log: Logger;
  /** What has been stored so far; read on every tick. */
  counts: () => C1zCounts;
  /** How often to report while a phase runs (default 2 s). */
  intervalMs?: number;
}

/** SyncProgressReporter turns a running sync into progress lines on the log (stderr). */
export interface SyncProgressReporter {
  /** The onProgress callback of runSync: called when a phase ends. */
  phaseDone(event: SyncProgress): void;
  /** stop ends the periodic reports and returns the elapsed time in seconds. */
  stop(): number;
}

// runSync reports a phase when it ends; the phase running now is the one after it.
const NEXT_PHASE: Record<SyncProgress["phase"], string> = {
  "resource-types": "resources",
  resources: "static-entitlements",
  "static-entitlements": "entitlements",
  entitlements: "grants",
  grants: "expansion",
  expansion: "cleanup",
  cleanup: "done",
  done: "done",
};

/**
 * createSyncProgressReporter logs, at info level so that `--log-level warn` silences it, what a
 * long sync is doing: every intervalMs the phase, the objects stored so far and the rate since
 * the last report; when a phase ends, how many objects it stored and how long it took.
 */
export function createSyncProgressReporter(options: SyncProgressReporterOptions): SyncProgressReporter {
  const { log } = options;
  const started = performance.now();
  const total = (c: C1zCounts) => c.resourceTypes + c.resources + c.entitlements + c.grants;
  const seconds = (ms: number) => Math.round(ms / 100) / 10;

  let phase = "resource-types";
  let phaseStarted = started;
  let phaseStartObjects = 0;
  let lastTick = started;
  let lastObjects = 0;
  let calls = 0;

  const timer = setInterval(() => {
    const at = performance.now();
    const counts = options.counts();
    const objects = total(counts);
    const perSecond = Math.round((objects - lastObjects) / ((at - lastTick) / 1000));
    [lastTick, lastObjects] = [at, objects];
    log.info({ phase, ...counts, calls, perSecond, elapsedSeconds: seconds(at - started) }, "sync progress");
  }, options.intervalMs ?? 2000);
  timer.unref();

  return {
    phaseDone(event) {
      const at = performance.now();
      const objects = total(options.counts());
      calls = event.calls;
      // "done" marks the end of Cleanup, which stores nothing; "sync finished" follows anyway.
      if (event.phase === "done") return;
      const phaseSeconds = (at - phaseStarted) / 1000;
      log.info(
        { phase: event.phase, objects: objects - phaseStartObjects, seconds: seconds(at - phaseStarted), perSecond: phaseSeconds > 0 ? Math.round((objects - phaseStartObjects) / phaseSeconds) : undefined },
        "sync phase finished",
      );
      [phase, phaseStarted, phaseStartObjects] = [NEXT_PHASE[event.phase], at, objects];
    },
    stop() {
      clearInterval(timer);
      return seconds(performance.now() - started);
    },
  };
}
