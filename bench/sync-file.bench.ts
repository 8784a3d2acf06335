/**
 * The `sync -f` benchmark (part of npm run bench): the whole one-shot command — our syncer driving
 * the connector through its own loopback gRPC server, grant expansion, the c1z written and
 * compressed — on generated accounts behind the simulator (20 ms latency), judged on the issue-22
 * targets at 10,000 users: ≤ 3.0 s wall and ≤ 250 MB peak RSS.
 *
 *   node dist/bench/sync-file.bench.js [--quick] [--runs N] [--sizes 10000,100000]
 *
 * Temporal Cloud allows 80 requests/s per service account, which puts a floor of about 4 s under
 * any sync of the 10,000-user account (321 requests): the command is measured at the default
 * --rate-limit 80, and with the limit raised (--rate-limit 1000, as after a support ticket), which
 * is where its own work shows and where the wall-time target is judged. Each size is synced as the
 * account issue 22 set its targets on (no projects) and, at 10,000 users, as the bench's account
 * with issue 25's projects too: account developers hold Developer on every project, which at
 * 10,000 users adds 116,000 derived grants (at 100,000 users it would add 8 million).
 *
 * With GO_REFSYNC set to a program that runs baton-sdk's syncer against a connector
 * (`refsync --addr HOST:PORT --out FILE`, see test/fixtures/go-sdk/README.md; it is never built
 * here), each scenario is also run by the Go syncer against `serve` on the same account, and both
 * are printed side by side. Nothing of it is needed to run the bench.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_API_VERSION } from "../src/temporal/transport.js";
import { simulatorFlags, sizeFor } from "./account-model.js";
import { cpuSeconds, peakRssBytes, startConnectorProcess, startSimulatorProcess, warmSimulator } from "./processes.js";

const MAIN = fileURLToPath(new URL("../src/main.js", import.meta.url));
const LATENCY_MS = 20;
const WALL_TARGET_MS = 3_000;
const RSS_TARGET_BYTES = 250e6;

interface Run {
  wallMs: number;
  cpuSeconds: number;
  peakRssBytes: number;
  grants: number;
  derivedGrants: number;
  expansionSeconds: number;
  writeSeconds: number;
  bytes: number;
}

function parseOptions(argv: string[]): { sizes: number[]; runs?: number } {
  const options: { sizes: number[]; runs?: number } = { sizes: [10_000, 100_000] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") options.sizes = [10_000];
    else if (arg === "--runs") options.runs = Number(argv[++i]);
    else if (arg === "--sizes") options.sizes = argv[++i]!.split(",").map(Number);
  }
  return options;
}

/** runSyncFile runs `sync -f` to completion and reads its "sync finished" line. */
function runSyncFile(url: string, apiKey: string, rateLimit: number, dir: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, BATON_API_KEY: apiKey, BATON_TMPDIR: dir };
  rmSync(join(dir, "sync.c1z"), { force: true }); // each run writes a new file, as the Go syncer's does
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN, "sync", "-f", join(dir, "sync.c1z"), "--base-url", url, "--allow-insecure", "--rate-limit", String(rateLimit)], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRssBytes(child.pid!) ?? 0)), 50);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      clearInterval(sampler);
      const wallMs = performance.now() - started;
      const line = stderr.split("\n").find((l) => l.includes('"msg":"sync finished"'));
      if (code !== 0 || !line) return reject(new Error(`sync -f exited with ${code}\n${stderr.slice(-2000)}`));
      const f = JSON.parse(line) as Record<string, number>;
      resolve({
        wallMs,
        cpuSeconds: f.cpuSeconds!,
        peakRssBytes: Math.max(peak, f.maxRssMB! * 1024 * 1024),
        grants: f.grants!,
        derivedGrants: f.derivedGrants ?? 0,
        expansionSeconds: f.expansionSeconds ?? 0,
        writeSeconds: f.writeSeconds!,
        bytes: f.bytes!,
      });
    });
  });
}

/** runGoSyncer runs the Go syncer against `serve` on the same account; its server's CPU is counted with it. */
async function runGoSyncer(refsync: string, engine: "sqlite" | "pebble", url: string, apiKey: string, rateLimit: number, dir: string): Promise<{ wallMs: number; cpuSeconds: number; serverCpuSeconds: number; bytes: number; peakRssBytes: number } | undefined> {
  const connector = await startConnectorProcess(url, apiKey, ["--rate-limit", String(rateLimit)], []);
  try {
    const out = join(dir, "go.c1z");
    rmSync(out, { force: true, recursive: true });
    const serverCpu = cpuSeconds(connector.child.pid) ?? 0;
    const started = performance.now();
    const child = spawn(refsync, ["--addr", connector.address, "--out", out, "--storage-engine", engine, "--log-level", "error"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, peakRssBytes(child.pid!) ?? 0)), 50);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearInterval(sampler);
    const wallMs = performance.now() - started;
    const m = /cpu=([\d.]+)(ms|s)/.exec(stderr);
    if (code !== 0 || !m) throw new Error(`the Go syncer exited with ${code}\n${stderr.slice(-2000)}`);
    const cpu = Number(m[1]) / (m[2] === "ms" ? 1000 : 1);
    return { wallMs, cpuSeconds: cpu, serverCpuSeconds: (cpuSeconds(connector.child.pid) ?? 0) - serverCpu, bytes: statSync(out).size, peakRssBytes: peak };
  } finally {
    await connector.child.stop();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const refsync = process.env.GO_REFSYNC;
  const failed: string[] = [];
  const accounts = options.sizes.flatMap((users) => [
    { users, size: { ...sizeFor(users), projects: 0 }, label: "no projects" },
    ...(users <= 10_000 ? [{ users, size: sizeFor(users), label: `${sizeFor(users).projects} projects` }] : []),
  ]);
  for (const { users, size, label } of accounts) {
    const sim = await startSimulatorProcess(simulatorFlags(size), LATENCY_MS);
    const dir = mkdtempSync(join(tmpdir(), "bench-sync-file-"));
    try {
      await warmSimulator(sim.url, sim.apiKey, DEFAULT_API_VERSION);
      // At 100,000 users the upstream floor (40 s) is a small part of the command's time: one rate limit says it all.
      for (const rateLimit of users > 10_000 ? [80] : [80, 1000]) {
        const runs: Run[] = [];
        for (let i = 0, n = options.runs ?? (users <= 10_000 ? 3 : 1); i < n; i++) runs.push(await runSyncFile(sim.url, sim.apiKey, rateLimit, dir));
        const wall = median(runs.map((r) => r.wallMs));
        const m = runs.find((r) => r.wallMs === wall)!;
        const peak = Math.max(...runs.map((r) => r.peakRssBytes));
        process.stdout.write(
          `sync -f, ${users.toLocaleString("en")} users (${label}), --rate-limit ${rateLimit}: wall ${sec(wall)} (runs ${runs.map((r) => sec(r.wallMs)).join(", ")}), CPU ${m.cpuSeconds.toFixed(2)} s, ` +
            `expansion ${m.expansionSeconds.toFixed(2)} s, file write ${m.writeSeconds.toFixed(2)} s, peak RSS ${(peak / 1e6).toFixed(0)} MB, ` +
            `${m.grants.toLocaleString("en")} grants (${m.derivedGrants.toLocaleString("en")} derived), c1z ${(m.bytes / 1e6).toFixed(1)} MB\n`,
        );
        const target = users === 10_000 && size.projects === 0;
        if (target && rateLimit === 1000 && wall > WALL_TARGET_MS) failed.push(`10,000 users: wall ${sec(wall)} > ${sec(WALL_TARGET_MS)}`);
        if (target && peak > RSS_TARGET_BYTES) failed.push(`10,000 users: peak RSS ${(peak / 1e6).toFixed(0)} MB > 250 MB`);
        if (refsync) {
          // SQLite writes c1z v1, as we do; Pebble (the SDK's default for new files) writes v3.
          for (const engine of ["sqlite", "pebble"] as const) {
            const go = await runGoSyncer(refsync, engine, sim.url, sim.apiKey, rateLimit, dir);
            if (go) {
              process.stdout.write(
                `  Go syncer (baton-sdk v0.25.0, ${engine}) against serve, same account: wall ${sec(go.wallMs)}, its CPU ${go.cpuSeconds.toFixed(2)} s + the server's ${go.serverCpuSeconds.toFixed(2)} s, peak RSS ${(go.peakRssBytes / 1e6).toFixed(0)} MB, c1z ${(go.bytes / 1e6).toFixed(1)} MB\n`,
              );
            }
          }
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sim.child.stop();
    }
  }
  process.stdout.write(failed.length === 0 ? "sync -f: all targets met\n" : `sync -f: ${failed.length} target(s) missed:\n${failed.map((f) => `  - ${f}`).join("\n")}\n`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
