import { describe, expect, it } from "vitest";
import { keepSyncsOf } from "../../src/cli/sync-command.js";

describe("how many syncs a sync file keeps", () => {
  it("follows the SDK's BATON_KEEP_SYNC_COUNT and BATON_SKIP_CLEANUP", () => {
    expect(keepSyncsOf({})).toBe(2);
    expect(keepSyncsOf({ BATON_KEEP_SYNC_COUNT: "" })).toBe(2);
    expect(keepSyncsOf({ BATON_KEEP_SYNC_COUNT: "5" })).toBe(5);
    expect(keepSyncsOf({ BATON_KEEP_SYNC_COUNT: "1" })).toBe(1);
    expect(keepSyncsOf({ BATON_SKIP_CLEANUP: "true", BATON_KEEP_SYNC_COUNT: "1" })).toBe(Infinity);
    expect(keepSyncsOf({ BATON_SKIP_CLEANUP: "false" })).toBe(2);
  });

  it("refuses a count that is not a positive whole number", () => {
    for (const bad of ["0", "-1", "two", "1.5"]) {
      expect(() => keepSyncsOf({ BATON_KEEP_SYNC_COUNT: bad })).toThrow(`BATON_KEEP_SYNC_COUNT must be a whole number of syncs, at least 1; got "${bad}"`);
    }
  });
});
