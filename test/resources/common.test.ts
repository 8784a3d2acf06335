import { describe, expect, it } from "vitest";
import { clipToBytes } from "../../src/resources/common.js";

describe("clipToBytes", () => {
  it.each([
    ["short text, kept as it is", "hello", 10, "hello"],
    ["text exactly at the budget", "a".repeat(10), 10, "a".repeat(10)],
    ["ASCII over the budget, cut with a mark", "a".repeat(11), 10, `${"a".repeat(7)}...`],
    ["two-byte characters, never split", "é".repeat(6), 10, `${"é".repeat(3)}...`],
    ["emoji (surrogate pairs), never split", `ab${"😀".repeat(600)}`, 2048, `ab${"😀".repeat(510)}...`],
  ])("%s", (_, text, budget, clipped) => {
    const out = clipToBytes(text, budget);
    expect(out).toBe(clipped);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(budget);
    expect(out.isWellFormed()).toBe(true);
  });
});
