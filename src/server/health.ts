import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";

/** HealthState is the server's serving status, shared by every service it hosts. */
export interface HealthState {
  readonly serving: boolean;
  /** stopping is true once the server began to shut down; the status is NOT_SERVING for good. */
  readonly stopping: boolean;
  /** setServing flips the status; Watch streams see the change. Ignored once stopping. */
  setServing(serving: boolean): void;
  /** stop turns the status NOT_SERVING for good: Watch streams send it, then end. */
  stop(): void;
  /** onChange registers a listener and returns its unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** createHealthState starts NOT_SERVING until the server is listening. */
export function createHealthState(): HealthState {
  let serving = false;
  let stopping = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  return {
    get serving() {
      return serving;
    },
    get stopping() {
      return stopping;
    },
    setServing(value) {
      if (stopping || value === serving) return;
      serving = value;
      notify();
    },
    stop() {
      if (stopping) return;
      stopping = true;
      serving = false;
      notify();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * registerHealth serves grpc.health.v1.Health. "" names the whole server; each registered
 * service name reports the same status, since they live and die together. A Watch stream ends
 * (OK) right after it reported the shutdown's NOT_SERVING: left open, every watcher would hold
 * the graceful stop until the drain timeout, as idle Watch streams do to grpc-go's GracefulStop.
 * The health protocol lets a watcher that sees its stream end call again; it then finds the
 * server gone.
 */
export function registerHealth(router: ConnectRouter, state: HealthState, services: readonly string[]): void {
  const known = new Set(["", ...services]);
  const status = () => (state.serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  router.service(Health, {
    check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return { status: status() };
    },
    list() {
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status: status() }])) };
    },
    async *watch(req, ctx) {
      if (!known.has(req.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        return;
      }
      let changed: () => void = () => {};
      const unsubscribe = state.onChange(() => changed());
      const wake = () => changed();
      ctx.signal.addEventListener("abort", wake, { once: true });
      try {
        let last: ServingStatus | undefined;
        while (!ctx.signal.aborted) {
          const current = status();
          if (current !== last) {
            last = current;
            yield { status: current };
          }
          // Once the final NOT_SERVING is out, there is nothing left to report.
          if (state.stopping && last === ServingStatus.NOT_SERVING) return;
          await new Promise<void>((resolve) => {
            changed = resolve;
            if (ctx.signal.aborted || status() !== last) resolve();
          });
        }
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener("abort", wake);
      }
    },
  });
}
