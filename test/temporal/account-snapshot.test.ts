import { describe, expect, it } from "vitest";
import { createAccountSnapshot, memberReadAheadFor, type PageFetcher } from "../../src/temporal/account-snapshot.js";
import type { TemporalClient } from "../../src/temporal/client.js";

describe("AccountSnapshot.list", () => {
  it("gives one source per name, which fetches each page once however often it is asked", async () => {
    const snapshot = createAccountSnapshot({} as TemporalClient);
    const asked: string[] = [];
    const projects: PageFetcher<string> = async (page) => {
      asked.push(page.pageToken ?? "");
      return page.pageToken ? { items: ["c"], nextPageToken: "" } : { items: ["a", "b"], nextPageToken: "p2" };
    };
    const source = snapshot.list("projects", projects);
    expect(snapshot.list("projects", projects)).toBe(source);
    expect(await source.all()).toEqual(["a", "b", "c"]);
    expect((await source.page("")).items).toEqual(["a", "b"]);
    expect(asked).toEqual(["", "p2"]);
    expect(snapshot.list("other", projects)).not.toBe(source);
    snapshot.dispose();
  });

  it("keeps a page apart from the whole list, whatever its token (a caller's cursor may say \"*\")", async () => {
    const snapshot = createAccountSnapshot({} as TemporalClient);
    const fetch: PageFetcher<string> = async (page) => ({ items: [`item at ${page.pageToken ?? "start"}`], nextPageToken: "" });
    const source = snapshot.list("things", fetch);
    expect(await source.all()).toEqual(["item at start"]);
    expect((await source.page("*")).items).toEqual(["item at *"]);
    snapshot.dispose();
  });
});

describe("AccountSnapshot.prefetchMembers", () => {
  /** membersClient answers member pages only when released, and records how many were open at once. */
  function membersClient() {
    let open = 0;
    const seen = { mostOpen: 0, asked: 0 };
    const waiting: (() => void)[] = [];
    const client = {
      listUserGroupMembers: async () => {
        seen.asked++;
        seen.mostOpen = Math.max(seen.mostOpen, ++open);
        await new Promise<void>((resolve) => waiting.push(resolve));
        open--;
        return { items: [], nextPageToken: "" };
      },
    } as unknown as TemporalClient;
    const releaseAll = async () => {
      while (seen.asked < 100 || waiting.length > 0) {
        waiting.splice(0).forEach((resolve) => resolve());
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    return { client, seen, releaseAll };
  }
  const groups = Array.from({ length: 100 }, (_, i) => `g${i}`);

  it("reads as many groups at once as it was told, each once", async () => {
    for (const readAhead of [4, 32]) {
      const { client, seen, releaseAll } = membersClient();
      const snapshot = createAccountSnapshot(client, { memberReadAhead: readAhead });
      snapshot.prefetchMembers(groups);
      snapshot.prefetchMembers(groups);
      await releaseAll();
      expect(seen).toEqual({ mostOpen: readAhead, asked: 100 });
      snapshot.dispose();
    }
  });

  it("reads about 50 ms of the rate limit ahead: 4 at the default 80/s, at most 32", () => {
    expect([1, 80, 100, 200, 1000, 10_000].map(memberReadAheadFor)).toEqual([4, 4, 5, 10, 32, 32]);
  });
});
