import { afterEach, describe, expect, it, vi } from "vitest";
import { createSyncCache } from "../../src/connector/sync-cache.js";

describe("sync cache", () => {
  afterEach(() => vi.useRealTimers());

  it("keeps one value per sync and creates it once", () => {
    const create = vi.fn((id: string) => ({ id }));
    const cache = createSyncCache({ maxEntries: 4, idleMs: 60_000, create });
    const a = cache.get("a");
    expect(cache.get("a")).toBe(a);
    expect(cache.get("b")).not.toBe(a);
    expect(create).toHaveBeenCalledTimes(2);
  });

  it("pushes out the least recently used sync, and disposes it", () => {
    const disposed: string[] = [];
    const cache = createSyncCache({ maxEntries: 2, idleMs: 60_000, create: (id) => ({ id }), dispose: (v) => disposed.push(v.id) });
    const a = cache.get("a");
    const b = cache.get("b");
    cache.get("a"); // a is now the most recent
    cache.get("c"); // b goes
    expect(disposed).toEqual(["b"]);
    expect(cache.size).toBe(2);
    expect(cache.get("a")).toBe(a);
    expect(cache.get("b")).not.toBe(b); // b comes back as a new value
  });

  it("disposes a sync that is deleted (Cleanup) or idle too long", () => {
    vi.useFakeTimers();
    const disposed: string[] = [];
    const cache = createSyncCache({ maxEntries: 4, idleMs: 10_000, create: (id) => ({ id }), dispose: (v) => disposed.push(v.id) });
    cache.get("a");
    cache.get("b");
    cache.delete("a");
    expect(disposed).toEqual(["a"]);
    vi.advanceTimersByTime(16_000); // the sweep runs every idleMs/2
    expect(disposed).toEqual(["a", "b"]);
    expect(cache.size).toBe(0);
  });
});
