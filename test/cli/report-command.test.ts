import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoAccount, DEMO_API_KEY, startSimulator, type Simulator } from "../../src/simulator/temporal/index.js";
import { runCli } from "../c1z/run-cli.js";

/**
 * `report` as a person runs it: from the file a sync wrote, and live against the configured
 * account through the connector's own server. Each run is a separate process.
 */
describe("the report command", () => {
  let simulator: Simulator;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    simulator = await startSimulator({ account: createDemoAccount() });
    dir = mkdtempSync(join(tmpdir(), "report-cli-"));
    env = { BATON_API_KEY: DEMO_API_KEY, BATON_BASE_URL: simulator.url, BATON_ALLOW_INSECURE: "true", BATON_LOG_LEVEL: "warn", BATON_TMPDIR: dir };
  });
  afterAll(async () => {
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { cwd: dir, env: { ...env, ...extraEnv } });

  it("writes the report of the newest sync in a file, and leaves no temporary file behind", async () => {
    expect(await cli(["sync", "-f", "sync.c1z"])).toMatchObject({ code: 0 });
    const requests = simulator.stats.requests;
    const run = await cli(["report", "-f", "sync.c1z", "-o", "access.html"], { BATON_API_KEY: "" });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^temporalcloud-connector: wrote access\.html \(\d+ KiB\)\n$/);
    // From the file alone: Temporal Cloud is not asked anything.
    expect(simulator.stats.requests).toBe(requests);
    const html = readFileSync(join(dir, "access.html"), "utf8");
    expect(html).toContain("<title>Temporal Cloud access report — acme7</title>");
    expect(html).toContain("Service account deploy-bot holds Account Admin");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp") || f.startsWith("c1z-read-"))).toEqual([]);
  });

  it("reports live on the configured account, through a sync of its own", async () => {
    const before = simulator.stats.byRoute.get("GetUsers") ?? 0;
    const run = await cli(["report", "--live", "--output", "live.html"]);
    expect(run.code).toBe(0);
    expect(simulator.stats.byRoute.get("GetUsers")).toBe(before + 1);
    const html = readFileSync(join(dir, "live.html"), "utf8");
    expect(html).toContain("Group Admins makes every member an Account Admin");
    expect(html).toMatch(/<h2>Users <span class="count" data-count="t-users">10<\/span><\/h2>/);
  });

  it("uses the insight thresholds given as flags", async () => {
    const run = await cli(["report", "--live", "-o", "strict.html", "--insight-admins-min", "10", "--insight-api-key-max-days", "5000"]);
    expect(run.code).toBe(0);
    const html = readFileSync(join(dir, "strict.html"), "utf8");
    expect(html).not.toContain("admin-count");
    expect(html).not.toContain("api-key-long-lived");
    expect(html).toContain("service-account-admin");
  });

  it("says in one line what is missing, and writes nothing", async () => {
    const missing = await cli(["report", "-f", "nope.c1z", "-o", "nope.html"]);
    expect(missing).toMatchObject({ code: 1, stdout: "", stderr: "temporalcloud-connector: nope.c1z not found; run a sync first\n" });
    const noKey = await cli(["report", "--live", "-o", "nope.html"], { BATON_API_KEY: "" });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^temporalcloud-connector: no Temporal Cloud API key: set BATON_API_KEY/);
    const badThreshold = await cli(["report", "--live", "-o", "nope.html", "--insight-admins-percent", "-1"]);
    expect(badThreshold).toMatchObject({ code: 1, stderr: "temporalcloud-connector: --insight-admins-percent must be zero or more, got -1\n" });
    expect(existsSync(join(dir, "nope.html"))).toBe(false);
  });
});
