import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeC1z } from "./decode-c1z.js";
import { MAIN, startCli } from "./run-cli.js";

/**
 * PEAK_RSS_LIMIT_MB is generous on purpose (measured ≈ 240–260 MB, GC timing varies); timing
 * claims belong in `npm run bench`, the test only prints the numbers.
 */
const PEAK_RSS_LIMIT_MB = 400;

/**
 * A sync of a generated 10,000-user account (≈ 10,700 resources, 32,000 grants) completes with
 * bounded memory. The writer keeps no rows (c1z-writer.test.ts measures that directly); the
 * peak is Node, the in-process connector server and client, and the connector's per-sync
 * account snapshot. The simulator runs in its own process so that the measurement is the sync
 * command's alone.
 */
describe("a sync of a 10,000-user account", () => {
  let simulator: ChildProcess;
  let upstream: { url: string; apiKey: string };
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "c1z-large-"));
    simulator = spawn(process.execPath, [MAIN, "simulator", "--listen", "127.0.0.1:0", "--users", "10000", "--log-level", "warn"], { stdio: ["ignore", "pipe", "inherit"] });
    upstream = await new Promise((resolve, reject) => {
      let out = "";
      simulator.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))) as { url: string; apiKey: string });
      });
      simulator.on("exit", (code) => reject(new Error(`simulator exited with ${code}`)));
    });
  }, 60_000);
  afterAll(() => {
    simulator?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("completes with a bounded peak RSS", async () => {
    const started = Date.now();
    const run = startCli(["sync", "-f", "large.c1z"], {
      cwd: dir,
      env: { BATON_API_KEY: upstream.apiKey, BATON_BASE_URL: upstream.url, BATON_ALLOW_INSECURE: "true", BATON_TMPDIR: dir },
    });
    // Cross-check the command's own report with the kernel's high-water mark, sampled while it runs.
    let vmHwmKb = 0;
    const sampler = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${run.child.pid}/status`, "utf8");
        vmHwmKb = Math.max(vmHwmKb, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0));
      } catch {
        // Not Linux, or the process has just exited.
      }
    }, 100);
    const result = await run.done.finally(() => clearInterval(sampler));
    const wallSeconds = (Date.now() - started) / 1000;
    expect(result.code, result.stderr.slice(-2000)).toBe(0);

    const finishedLines = result.stderr.split("\n").filter((line) => line.includes('"msg":"sync finished"'));
    expect(finishedLines).toHaveLength(1);
    const finished = JSON.parse(finishedLines[0]!) as { resources: number; entitlements: number; grants: number; bytes: number; elapsedSeconds: number; maxRssMB: number };
    // 10,000 users, 100 service accounts, 20 namespaces, 6 account roles, 30 groups, 10 custom
    // roles and 500 API keys (the simulator's defaults for a generated account), and the 145
    // security insights the generator's account gives.
    expect(finished.resources).toBe(10_811);
    expect(result.stderr).toContain('"msg":"sync progress"');
    const peakMB = Math.max(finished.maxRssMB, Math.round(vmHwmKb / 1024));
    console.info(
      `10,000-user sync: ${finished.resources} resources, ${finished.entitlements} entitlements, ${finished.grants} grants, ` +
        `${(finished.bytes / 1e6).toFixed(1)} MB c1z in ${finished.elapsedSeconds}s (wall ${wallSeconds.toFixed(1)}s); ` +
        `peak RSS ${finished.maxRssMB} MB (getrusage), ${Math.round(vmHwmKb / 1024)} MB (VmHWM sampled)`,
    );
    expect(peakMB).toBeLessThan(PEAK_RSS_LIMIT_MB);

    const file = decodeC1z(join(dir, "large.c1z"));
    try {
      const count = (sql: string) => (file.db.prepare(sql).get() as { n: number }).n;
      expect(count("select count(*) as n from v1_resources where resource_type_id = 'user'")).toBe(10_000);
      expect(count("select count(*) as n from v1_resources")).toBe(finished.resources);
      expect(count("select count(*) as n from v1_grants")).toBe(finished.grants);
      expect(count("select count(*) as n from v1_sync_runs where ended_at is not null")).toBe(1);
    } finally {
      file.close();
    }
    expect(readdirSync(dir)).toEqual(["large.c1z"]);
  }, 120_000);
});
