import type { Prng } from "./prng.js";

/**
 * FaultOptions makes a simulator misbehave like a real network service. Probabilities are
 * per request, between 0 and 1, and drawn from the simulator's seeded generator, so a given
 * seed and request sequence always fails the same way.
 */
export interface FaultOptions {
  /** Probability of 503 UNAVAILABLE. */
  status503?: number;
  /** Probability of 500 INTERNAL. */
  status500?: number;
  /** Probability of 502 from a load balancer (an HTML body, not a Status). */
  status502?: number;
  /** Probability of 504 DEADLINE_EXCEEDED. */
  status504?: number;
  /** Probability of 429 RESOURCE_EXHAUSTED with a Retry-After header. */
  status429?: number;
  /** Retry-After value of injected 429s, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Probability of processing the request and then destroying the socket without answering (a lost response). */
  dropConnection?: number;
  /** Only requests whose path matches are subject to faults (default: all). */
  onlyPaths?: RegExp;
}

/** Fault is one injected failure. */
export type Fault =
  | { readonly kind: "status"; readonly status: 500 | 502 | 503 | 504 | 429; readonly retryAfterSeconds?: number }
  | { readonly kind: "drop" };

/** FaultInjector decides, request by request, whether to inject a fault. */
export interface FaultInjector {
  set(faults: FaultOptions | undefined): void;
  /** draw returns the fault for a request to `path`, if any. */
  draw(path: string): Fault | undefined;
}

/**
 * createFaultInjector returns a FaultInjector drawing from `prng`. Exactly one number is drawn
 * per request subject to faults, so enabling one kind of fault does not shift the others.
 */
export function createFaultInjector(prng: Prng, initial?: FaultOptions): FaultInjector {
  let faults = initial;
  return {
    set(next) {
      faults = next;
    },
    draw(path) {
      if (faults === undefined) return undefined;
      if (faults.onlyPaths !== undefined) {
        faults.onlyPaths.lastIndex = 0;
        if (!faults.onlyPaths.test(path)) return undefined;
      }
      const roll = prng.next();
      let threshold = 0;
      const statuses = [
        [503, faults.status503],
        [500, faults.status500],
        [502, faults.status502],
        [504, faults.status504],
        [429, faults.status429],
      ] as const;
      for (const [status, probability] of statuses) {
        threshold += probability ?? 0;
        if (roll < threshold) {
          return status === 429
            ? { kind: "status", status, retryAfterSeconds: faults.retryAfterSeconds ?? 1 }
            : { kind: "status", status };
        }
      }
      threshold += faults.dropConnection ?? 0;
      return roll < threshold ? { kind: "drop" } : undefined;
    },
  };
}
