import { describe, expect, it } from "vitest";
import { createAccountSnapshot, type PageFetcher } from "../../src/temporal/account-snapshot.js";
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
