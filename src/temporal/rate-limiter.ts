import { setTimeout as sleep } from "node:timers/promises";

/** RateLimiterOptions configures createRateLimiter. */
export interface RateLimiterOptions {
  /** Sustained requests per second. Temporal Cloud allows 80/s per service account. */
  perSecond: number;
  /** Requests allowed back to back after an idle period; defaults to 1 (strict pacing). */
  burst?: number;
}

/** RateLimiter spaces out requests; acquire resolves when the caller may send one. */
export interface RateLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}

/**
 * createRateLimiter returns a GCRA ("virtual scheduling") limiter: each acquire reserves the next
 * free slot at once, so waiters are served in arrival order and concurrent callers can never
 * exceed the rate. It is a dozen lines, so we keep it rather than add a dependency.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!(options.perSecond > 0)) throw new RangeError("rate limit must be a positive number of requests per second");
  const interval = 1000 / options.perSecond;
  const tolerance = (Math.max(1, options.burst ?? 1) - 1) * interval;
  let theoreticalArrival = 0;
  return {
    async acquire(signal) {
      const now = performance.now();
      theoreticalArrival = Math.max(theoreticalArrival, now);
      const wait = theoreticalArrival - tolerance - now;
      theoreticalArrival += interval;
      if (wait > 0) await sleep(wait, undefined, { signal });
    },
  };
}
