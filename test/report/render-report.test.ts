import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReport } from "../../src/report/render-report.js";
import { createMemoryStore, runSync, type MemoryStore } from "../../src/sync/syncer.js";
import { startStack, type Stack } from "../helpers/stack.js";
import { HOSTILE, hostileAccount } from "./hostile-account.js";
import { DEMO_API_KEY } from "../../src/simulator/temporal/index.js";

/**
 * The report is rendered from a real sync of an account whose names are markup: everything
 * from Temporal Cloud is escaped, and the page needs nothing from anywhere.
 */
describe("renderReport", () => {
  let stack: Stack;
  let store: MemoryStore;
  let html: string;
  beforeAll(async () => {
    stack = await startStack({ account: hostileAccount(), apiKey: DEMO_API_KEY });
    store = createMemoryStore();
    await runSync({ api: stack.client, store });
    html = renderReport({ sync: { syncId: "sync-1", startedAt: new Date("2026-01-02T03:04:00Z") }, resourceTypes: store.resourceTypes, resources: store.resources, grants: store.grants }, { generatedAt: new Date("2026-01-02T03:05:00Z") });
  });
  afterAll(() => stack?.close());

  it("escapes every name, email and description from the account", () => {
    expect(html).not.toContain("<script>window.pwned");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<b>bold</b>");
    expect(html).toContain("&lt;script&gt;window.pwned=1&lt;/script&gt;@evil.example");
    expect(html).toContain("&lt;img src=x onerror=&quot;window.pwned=2&quot;&gt;Ops");
    expect(html).toContain("key&quot;&gt;&lt;b&gt;bold&lt;/b&gt;&amp;amp;");
    // The one script and the one style are the report's own.
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html.match(/<style\b/g)).toHaveLength(1);
    expect(HOSTILE.email).toContain("<script>");
  });

  it("loads nothing from anywhere: no external scripts, styles, fonts, images or frames", () => {
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|base)\b/i);
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|srcset|action)\s*=/i);
    expect(html).not.toMatch(/@import|url\(|@font-face/i);
    // Links only ever point inside the page.
    const hrefs = [...html.matchAll(/href=("?)([^"\s>]+)\1/g)].map((m) => m[2]);
    expect(hrefs.length).toBeGreaterThan(20);
    expect(hrefs.every((h) => h!.startsWith("#"))).toBe(true);
  });

  it("has the sections a reviewer reads, findings first after the summary", () => {
    const sections = [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);
    expect(sections).toEqual(["summary", "findings", "roles", "namespaces", "namespace-access", "projects", "project-access", "users", "service-accounts", "groups", "api-keys", "custom-roles"]);
    // A sync without projects (API v0.17.1) has no project sections.
    const before = renderReport({ resourceTypes: store.resourceTypes.filter((t) => t.id !== "project"), resources: store.resources, grants: store.grants }, { generatedAt: new Date() });
    expect([...before.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1])).toEqual(sections.filter((id) => !id!.startsWith("project")));
    expect(html).toContain("sync sync-1 of 2026-01-02 03:04 UTC · generated 2026-01-02 03:05 UTC");
    expect(html).toContain("<title>Temporal Cloud access report — acme7</title>");
  });

  it("links each finding to the row of what it is about", () => {
    const finding = /<tr id=(f\d+)><td data-sort="3"><span class="sev high">high<\/span><td>Service account deploy-bot holds Account Admin<td>service-account-admin<td><a href=#(s\d+)>deploy-bot<\/a>/.exec(html);
    expect(finding).not.toBeNull();
    expect(html).toMatch(new RegExp(`\\n<tr id=${finding![2]}><td>deploy-bot<td>account<td>Account Admin<td>`));
  });
});
