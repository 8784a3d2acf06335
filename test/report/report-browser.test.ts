/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReport } from "../../src/report/render-report.js";
import { DEMO_API_KEY, generateAccount, type AccountData } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync, type MemoryStore } from "../../src/sync/syncer.js";
import { browserMissing, launchChromium } from "../helpers/browser.js";
import { startStack } from "../helpers/stack.js";
import { HOSTILE, hostileAccount } from "./hostile-account.js";

const missing = browserMissing();
/** Screenshots go to REPORT_SCREENSHOTS when set (to look at them), else to a temporary folder. */
const shots = process.env.REPORT_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "report-shots-"));
mkdirSync(shots, { recursive: true });

/** syncedReport syncs an account through the real stack and writes its report to a file. */
async function syncedReport(account: AccountData | undefined, file: string): Promise<{ store: MemoryStore; bytes: number }> {
  const stack = await startStack({ account, apiKey: account ? undefined : DEMO_API_KEY, connector: { rateLimit: 1000 } });
  try {
    const store = createMemoryStore();
    const result = await runSync({ api: stack.client, store });
    const html = renderReport({ sync: { syncId: result.syncId, startedAt: new Date() }, resourceTypes: store.resourceTypes, resources: store.resources, grants: store.grants }, { generatedAt: new Date() });
    writeFileSync(file, html);
    return { store, bytes: Buffer.byteLength(html) };
  } finally {
    await stack.close();
  }
}

/** open loads a report in a fresh page, recording every request the page makes. */
async function open(browser: Browser, file: string): Promise<{ page: Page; requests: string[]; loadMs: number }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  const started = performance.now();
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, requests, loadMs: performance.now() - started };
}

/** visibleRows reads the rows a filter leaves shown as their cells' text, line breaks as "\n". */
function visibleRows(page: Page, tableId: string): Promise<string[][]> {
  return page.$$eval(`#${tableId} tbody tr:not([hidden])`, (rows) =>
    rows.map((r) =>
      [...(r as HTMLTableRowElement).cells].map((c) => {
        const text = document.createElement("div");
        text.innerHTML = c.innerHTML.replace(/<br>/g, "\n");
        return text.textContent!.trim();
      }),
    ),
  );
}

/** filter types into the search box, as a person would, and waits for the tables to follow. */
async function filter(page: Page, text: string): Promise<void> {
  await page.fill("#filter", "");
  await page.locator("#filter").pressSequentially(text);
  await page.waitForFunction((t) => (t ? document.querySelector('[data-count="t-users"]')!.textContent!.includes(" of ") : !document.querySelector('[data-count="t-users"]')!.textContent!.includes(" of ")), text);
}

describe.skipIf(missing)("the access report in a real browser", () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "report-browser-"));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("of the demo account", () => {
    let page: Page;
    let requests: string[];
    beforeAll(async () => {
      const file = join(dir, "demo.html");
      await syncedReport(undefined, file);
      ({ page, requests } = await open(browser, file));
      await page.screenshot({ path: join(shots, "report-demo.png") });
    });

    it("shows the summary: findings by severity, owners and admins, what the sync holds", async () => {
      expect(await page.locator("#summary-findings .figure").innerText()).toBe("11");
      const severities = await page.$$eval("#summary-findings tr", (rows) => rows.map((r) => (r as HTMLElement).innerText.split(/\s+/).filter(Boolean)));
      expect(severities).toEqual([["critical", "0"], ["high", "5"], ["medium", "5"], ["low", "1"]]);
      expect(await page.locator("#summary-admins .figure").innerText()).toBe("4");
      const held = await page.$$eval("#summary-resources tr", (rows) => rows.map((r) => (r as HTMLElement).innerText.replace(/\s+/g, " ").trim()));
      expect(held).toEqual(["User 10", "Service Account 9", "Group 5", "Namespace 4", "Project 3", "Account Role 6", "Custom Role 3", "API Key 7", "Security Insight 11", "Grants 129", "of which derived (through a group or role) 59"]);
    });

    it("leads with the findings, each linking to what it is about", async () => {
      const rows = await visibleRows(page, "t-findings");
      expect(rows.slice(0, 5).map((r) => r[0])).toEqual(["high", "high", "high", "high", "high"]);
      expect(rows).toContainEqual(["high", "Service account deploy-bot holds Account Admin", "service-account-admin", "deploy-bot"]);
      const finding = page.locator("#t-findings tr", { hasText: "Service account deploy-bot holds Account Admin" });
      expect(await finding.isVisible()).toBe(true);
      await finding.getByRole("link", { name: "deploy-bot" }).click();
      const target = page.locator("#t-service-accounts tr:target");
      expect(await target.locator("td").first().innerText()).toBe("deploy-bot");
      const box = (await target.boundingBox())!;
      // At the top of the window (give or take the fraction of a pixel a scroll can leave).
      expect(box.y).toBeGreaterThanOrEqual(-1);
      expect(box.y).toBeLessThan(900);
      await page.screenshot({ path: join(shots, "report-demo-target.png") });
    });

    it("shows who holds a namespace and how: inherited, through a group, direct", async () => {
      await page.locator("#namespace-access").scrollIntoViewIfNeeded();
      const rows = (await visibleRows(page, "t-namespace-access")).filter((r) => r[0] === "payments-prod.acme7");
      expect(rows).toEqual([
        ["payments-prod.acme7", "admin", "inherited from the Account Owner role", "1", "every holder of the role: see Owners and admins"],
        ["payments-prod.acme7", "admin", "inherited from the Account Admin role", "3", "every holder of the role: see Owners and admins"],
        ["payments-prod.acme7", "admin", "through group SRE On-Call", "2", "ivan@acme.example, judy@acme.example"],
        ["payments-prod.acme7", "write", "direct", "3", "carol@acme.example, ci-deployer (service account), payments-worker (namespace-scoped service account)"],
      ]);
      expect(await page.locator("#t-namespace-access tr", { hasText: "through group SRE On-Call" }).first().isVisible()).toBe(true);
      const admins = await visibleRows(page, "t-admins");
      expect(admins.map((r) => `${r[0]} ${r[2]} ${r[3]}`)).toEqual(["alice@acme.example Account Owner direct", "baton-connector Account Admin direct", "bob@acme.example Account Admin direct", "deploy-bot Account Admin direct"]);
    });

    it("shows each project with its namespaces, and who holds its roles and how", async () => {
      await page.locator("#projects").scrollIntoViewIfNeeded();
      expect(await visibleRows(page, "t-projects")).toEqual([
        ["Data", "Analytics and reporting", "active", "analytics.acme7", "7"],
        ["Default", "Namespaces created without a project", "active", "orders-prod.acme7", "6"],
        ["Payments", "Payment processing, production and development", "active", "payments-dev.acme7, payments-prod.acme7", "7"],
      ]);
      await page.locator("#project-access").scrollIntoViewIfNeeded();
      expect((await visibleRows(page, "t-project-access")).filter((r) => r[0] === "Payments")).toEqual([
        ["Payments", "admin", "direct", "1", "payments-deployer (project-scoped service account)"],
        ["Payments", "admin", "through group SRE On-Call", "2", "ivan@acme.example, judy@acme.example"],
        ["Payments", "write", "direct", "2", "carol@acme.example, ci-deployer (service account)"],
        ["Payments", "contribute", "direct", "1", "judy@acme.example"],
        ["Payments", "developer", "inherited from the Account Developer role", "5", "every holder of the role"],
      ]);
      const deployer = (await visibleRows(page, "t-service-accounts")).find((r) => r[0] === "payments-deployer")!;
      expect(deployer.slice(1, 5)).toEqual(["project Payments", "", "", "write payments-dev.acme7"]);
    });

    it("shows what each principal holds", async () => {
      const dave = (await visibleRows(page, "t-users")).find((r) => r[0] === "dave@acme.example")!;
      expect(dave.slice(1)).toEqual([
        "active",
        "Account Read\nAccount Developer (through Platform Engineering)\nAccount Read (through Data Analysts)",
        "",
        "Platform Engineering\nData Analysts",
        "write analytics.acme7; read orders-prod.acme7\nwrite payments-dev.acme7; read orders-prod.acme7 (through Platform Engineering)\nwrite analytics.acme7 (through Data Analysts)",
        "",
      ]);
      const bob = (await visibleRows(page, "t-users")).find((r) => r[0] === "bob@acme.example")!;
      expect(bob[5]).toBe("admin on every namespace (Account Admin)");
      const carol = (await visibleRows(page, "t-users")).find((r) => r[0] === "carol@acme.example")!;
      expect(carol[6]).toMatch(/^carol-cli expires \d{4}-\d\d-\d\d$/);
    });

    it("filters every table by what is typed in the search box", async () => {
      await filter(page, "heidi");
      await page.locator("#users").scrollIntoViewIfNeeded();
      expect(await page.locator('[data-count="t-users"]').innerText()).toBe("1 of 10");
      expect((await visibleRows(page, "t-users")).map((r) => r[0])).toEqual(["heidi@acme.example"]);
      expect((await visibleRows(page, "t-findings")).map((r) => r[2])).toEqual(["invitation-expired-with-access"]);
      expect((await visibleRows(page, "t-namespace-access")).map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual(["analytics.acme7 write through group Data Analysts", "orders-prod.acme7 read direct"]);
      expect(await visibleRows(page, "t-api-keys")).toEqual([]);
      await page.locator("header").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(shots, "report-demo-search.png") });
      await filter(page, "");
      await page.locator("#users").scrollIntoViewIfNeeded();
      expect(await page.locator('[data-count="t-users"]').innerText()).toBe("10");
      expect(await visibleRows(page, "t-users")).toHaveLength(10);
    });

    it("sorts a table by the column clicked", async () => {
      const header = page.locator("#t-findings th", { hasText: "Finding" });
      await header.getByRole("button").click();
      expect(await header.getAttribute("aria-sort")).toBe("ascending");
      expect((await visibleRows(page, "t-findings"))[0]![1]).toMatch(/^4 users and service accounts hold/);
      await header.getByRole("button").click();
      expect((await visibleRows(page, "t-findings"))[0]![1]).toMatch(/^User heidi@acme.example never accepted/);
      await page.locator("#t-findings th", { hasText: "Severity" }).getByRole("button").click();
      expect((await visibleRows(page, "t-findings")).map((r) => r[0])).toEqual(["low", "medium", "medium", "medium", "medium", "medium", "high", "high", "high", "high", "high"]);
    });

    it("loads nothing but itself, and prints without its controls", async () => {
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatch(/^file:\/\//);
      await page.emulateMedia({ media: "print" });
      expect(await page.locator("header .filter").isVisible()).toBe(false);
      expect(await page.locator("nav").isVisible()).toBe(false);
      expect(await page.locator("#t-findings").isVisible()).toBe(true);
      const pdf = await page.pdf({ format: "A4" });
      expect(pdf.subarray(0, 4).toString()).toBe("%PDF");
      await page.emulateMedia({ media: "screen" });
    });

    it("runs its own style and script under its Content-Security-Policy, and refuses and reports anything injected", async () => {
      // The tests above filtered and sorted: the script ran. The style applies too.
      expect(await page.evaluate(() => getComputedStyle(document.querySelector("header.bar")!).backgroundColor)).toBe("rgb(16, 42, 67)");
      const outcome = await page.evaluate(
        () =>
          new Promise<{ violated: string[]; ran: boolean; color: string }>((resolve) => {
            const violated: string[] = [];
            document.addEventListener("securitypolicyviolation", (e) => {
              violated.push(e.effectiveDirective);
              if (violated.length === 3) resolve({ violated: violated.sort(), ran: "injected" in window, color: getComputedStyle(document.body).color });
            });
            const script = document.createElement("script");
            script.textContent = "window.injected = 1";
            document.body.append(script);
            const style = document.createElement("style");
            style.textContent = "body { color: rgb(255, 0, 0) }";
            document.head.append(style);
            const image = document.createElement("img");
            image.src = "https://example.invalid/beacon.png";
            document.body.append(image);
          }),
      );
      expect(outcome).toEqual({ violated: ["img-src", "script-src-elem", "style-src-elem"], ran: false, color: "rgb(27, 31, 36)" });
    });
  });

  it("shows names that are markup as text, and runs none of it", async () => {
    const file = join(dir, "hostile.html");
    await syncedReport(hostileAccount(), file);
    const { page } = await open(browser, file);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    const users = await visibleRows(page, "t-users");
    expect(users.map((r) => r[0])).toContain(HOSTILE.email);
    expect((await visibleRows(page, "t-groups")).map((r) => r[0])).toContain(HOSTILE.group);
    expect((await visibleRows(page, "t-api-keys")).map((r) => r[0])).toContain(HOSTILE.key);
    await page.locator("#t-users tr", { hasText: HOSTILE.email }).scrollIntoViewIfNeeded();
    expect(await page.locator("#t-users tr", { hasText: HOSTILE.email }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.querySelectorAll("script").length)).toBe(1);
    expect(await page.evaluate(() => document.querySelectorAll("img").length)).toBe(0);
    expect(await page.evaluate(() => [...document.querySelectorAll("b")].some((b) => b.textContent === "bold"))).toBe(false);
    await page.close();
  });

  // Large enough for every table to hold thousands of rows (the page at 10,000 users was measured
  // by hand: README, "The report"); kept smaller here so the suite stays fast.
  describe("of a generated 3,000-user account", () => {
    let page: Page;
    let store: MemoryStore;
    beforeAll(async () => {
      const account = generateAccount({ users: 3_000, serviceAccounts: 300, namespaces: 60, groups: 90, membersPerGroup: 20, customRoles: 15, apiKeys: 1_500, seed: 1 });
      const file = join(dir, "3k.html");
      let bytes: number;
      ({ store, bytes } = await syncedReport(account, file));
      const opened = await open(browser, file);
      page = opened.page;
      console.log(`3,000-user report: ${(statSync(file).size / 1024 / 1024).toFixed(2)} MiB, opened in ${Math.round(opened.loadMs)} ms`);
      expect(bytes).toBe(statSync(file).size);
      await page.screenshot({ path: join(shots, "report-3k.png") });
    }, 240_000);

    it("stays small: under 2 MiB (4.9 MiB at 10,000 users)", () => {
      expect(statSync(join(dir, "3k.html")).size).toBeLessThan(2 * 1024 * 1024);
    });

    it("shows the summary and the findings", async () => {
      const held = await page.$$eval("#summary-resources tr", (rows) => rows.map((r) => (r as HTMLElement).innerText.replace(/\s+/g, " ").trim()));
      expect(held.slice(0, 4)).toEqual(["User 3000", "Service Account 300", "Group 90", "Namespace 60"]);
      const findings = store.resources.filter((r) => r.id!.resourceType === "security-insight");
      expect(await page.locator("#summary-findings .figure").innerText()).toBe(String(findings.length));
      expect(await page.locator('[data-count="t-findings"]').innerText()).toBe(String(findings.length));
      const first = page.locator("#t-findings tbody tr").first();
      expect(await first.isVisible()).toBe(true);
      expect(await first.locator("td").first().innerText()).toBe("high");
    });

    it("shows a namespace's holders", async () => {
      await page.locator("#namespace-access").scrollIntoViewIfNeeded();
      const rows = (await visibleRows(page, "t-namespace-access")).filter((r) => r[0] === "ns-0001.gen42");
      expect(rows.slice(0, 2).map((r) => r.slice(1, 3))).toEqual([
        ["admin", "inherited from the Account Owner role"],
        ["admin", "inherited from the Account Admin role"],
      ]);
      expect(rows.length).toBeGreaterThan(3);
      expect(await page.locator("#t-namespace-access tbody tr").first().isVisible()).toBe(true);
    });

    it("filters three thousand users down to the one searched for", async () => {
      const user = store.resources.find((r) => r.id!.resourceType === "user" && r.displayName.endsWith(".2345@gen42.example"))!;
      await filter(page, user.displayName);
      // A section is laid out once scrolled to (content-visibility): look where a person would.
      await page.locator("#users").scrollIntoViewIfNeeded();
      expect(await page.locator('[data-count="t-users"]').innerText()).toBe("1 of 3000");
      expect((await visibleRows(page, "t-users")).map((r) => r[0])).toEqual([user.displayName]);
      expect(await page.locator("#t-users tbody tr:not([hidden])").isVisible()).toBe(true);
      await page.screenshot({ path: join(shots, "report-3k-search.png") });
    });
  });
});
