import { describe, expect, it } from "vitest";
import { createSharedFetches } from "../../src/temporal/shared-fetches.js";

/** pending is a fetch that settles when the test says so, and tells whether it was cancelled. */
function pending<T>() {
  let resolve!: (value: T) => void;
  const state = { started: 0, aborted: false, resolve: (value: T) => resolve(value) };
  const fetch = (signal: AbortSignal) => {
    state.started++;
    signal.addEventListener("abort", () => (state.aborted = true));
    return new Promise<T>((r) => (resolve = r));
  };
  return { state, fetch };
}

describe("shared fetches", () => {
  it("runs one fetch for concurrent callers of a key", async () => {
    const shared = createSharedFetches();
    const { state, fetch } = pending<number>();
    const a = shared.get("k", fetch, new AbortController().signal);
    const b = shared.get("k", fetch, new AbortController().signal);
    state.resolve(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(state.started).toBe(1);
  });

  it("cancels the fetch only when every caller has gone", async () => {
    const shared = createSharedFetches();
    const { state, fetch } = pending<number>();
    const first = new AbortController();
    const second = new AbortController();
    const a = shared.get("k", fetch, first.signal);
    const b = shared.get("k", fetch, second.signal);
    first.abort(new Error("gone"));
    await expect(a).rejects.toThrow("gone");
    expect(state.aborted).toBe(false);
    second.abort(new Error("gone too"));
    await expect(b).rejects.toThrow("gone too");
    expect(state.aborted).toBe(true);
  });

  it("on dispose, lets a call's fetch finish but stops read-ahead", async () => {
    const shared = createSharedFetches();
    const call = pending<string>();
    const readAhead = pending<string>();
    const answer = shared.get("call", call.fetch, new AbortController().signal);
    const background = shared.get("ahead", readAhead.fetch);
    shared.dispose();
    expect(readAhead.state.aborted).toBe(true);
    expect(call.state.aborted).toBe(false);
    call.state.resolve("page");
    expect(await answer).toBe("page");
    readAhead.state.resolve("unused");
    await background.catch(() => {});
    await expect(shared.get("later", pending<string>().fetch)).rejects.toMatchObject({ kind: "cancelled" });
  });
});
