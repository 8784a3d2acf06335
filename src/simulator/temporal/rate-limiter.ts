/**
 * RateLimiter enforces a per-API-key request rate over a sliding one-second window.
 */
export interface RateLimiter {
  /**
   * take records a request of `key` at `now` and returns 0 when it is allowed, otherwise the
   * whole seconds to wait (for Retry-After). Refused requests do not use up the budget.
   */
  take(key: string, now: number): number;
}

/**
 * createRateLimiter returns a RateLimiter allowing `perSecond` requests per key in any
 * one-second window.
 */
export function createRateLimiter(perSecond: number): RateLimiter {
  const windows = new Map<string, number[]>();
  return {
    take(key, now) {
      let times = windows.get(key);
      if (times === undefined) {
        times = [];
        windows.set(key, times);
      }
      let expired = 0;
      while (expired < times.length && (times[expired] as number) <= now - 1000) expired++;
      if (expired > 0) times.splice(0, expired);
      if (times.length >= perSecond) {
        return Math.max(1, Math.ceil(((times[0] as number) + 1000 - now) / 1000));
      }
      times.push(now);
      return 0;
    },
  };
}
