/**
 * npm run bench — full syncs of generated Temporal Cloud accounts through the connector's gRPC
 * server, measured against the issue-6 targets; exits 1 when a target is missed (2 on bad usage).
 *
 *   npm run bench                          1k, 10k and 100k users: full sync + the official subset
 *   npm run bench -- --quick               only the 10,000-user account
 *   npm run bench -- --sizes 1000,10000    other account sizes (users; the rest scales, see sizeFor)
 *   npm run bench -- --runs 5              runs per scenario (default 3 up to 10,000 users, 1 above)
 *   npm run bench -- --workers 4           concurrent calls per phase, like the Go syncer's workers
 *   npm run bench -- --resource-types user,group   sync only these types (like --sync-resource-types)
 *   npm run bench -- --json                machine-readable results on stdout
 *   npm run bench -- --node-args "--max-old-space-size=200"   extra node flags for the connector
 *   npm run bench -- --service-mode        only the service-mode sync (at 10,000 users unless --sizes)
 *
 * Per scenario it starts two child processes from dist/: the simulator (`simulator --users N …
 * --latency 20ms`) and the connector (`serve --rate-limit 80`, key in BATON_API_KEY), drives one
 * full sync with runSync + createGrpcClient, then reads the simulator's request counts
 * (GET /_sim/stats) and the connector's peak RSS (VmHWM in /proc/<pid>/status) before stopping both.
 * Before the first scenario, the stand-in syncer warms up on a small account of its own (warmClient).
 * A sync of the 10,000-user subset is about a second of CPU on two shared cores, and its wall time
 * varies by ±10% from run to run: scenarios are run several times, each with fresh processes, and
 * judged on the median wall time and the worst requests, RSS and response size (every run's wall
 * time is printed).
 *
 * The service-mode scenario (run at 10,000 users, with the others or alone with --service-mode)
 * measures what a ConductorOne customer's connector does for a sync task: the connector process in
 * service mode (`serve` with a client credential) against the same simulator and an in-process
 * ConductorOne simulator; from the task's hand-out to its FinishTask it runs our syncer through its
 * loopback gRPC server into a c1z and uploads it. Reported: wall time, the process's peak RSS and
 * CPU, the upload; no target (the whole sync and its c1z live in that one process, as in `sync -f`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fastPathsFromEnv, useFastPaths } from "../src/codec/fast-paths.js";
import { STATS_PATH, type SimulatorStatsJson } from "../src/simulator/temporal/index.js";
import { DEFAULT_API_VERSION } from "../src/temporal/transport.js";
import {
  ALL_TYPES,
  countAccount,
  OFFICIAL_TYPES,
  officialRequests,
  requestFloor,
  simulatorFlags,
  sizeFor,
  type AccountCounts,
  type AccountSize,
  type Floor,
} from "./account-model.js";
import { drive, type DriveResult } from "./driver.js";
import { cpuSeconds, peakRssBytes, rssBytes, startConnectorProcess, startServiceModeProcess, startSimulatorProcess, warmSimulator } from "./processes.js";
import { decompress } from "zstd-napi";
import { startConductorOneSimulator } from "../src/simulator/conductorone/index.js";

/** The issue-6 conditions. */
const LATENCY_MS = 20;
const RATE_PER_SECOND = 80;
const FLOOR_FACTOR = 1.1;
const OFFICIAL_RATIO = 50;
const WALL_FACTOR = 1.15;
const WALL_SLACK_MS = 1000;
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const SCENARIO_TIMEOUT_MS = 30 * 60_000;

/** rssLimit is the peak RSS target for an account size (MB = 10^6 bytes). */
function rssLimit(users: number): number | undefined {
  if (users <= 10_000) return 150e6;
  if (users <= 100_000) return 600e6;
  return undefined;
}

interface Options {
  sizes: number[];
  /** Runs per scenario (undefined: 3 up to 10,000 users, 1 above). */
  runs?: number;
  workers: number;
  json: boolean;
  resourceTypes?: string[];
  nodeArgs: string[];
  /** "also": the service-mode scenario at 10,000 users besides the others; "only": nothing else. */
  serviceMode: "also" | "only";
}

type Kind = "full" | "official-subset" | "custom";

interface Scenario {
  kind: Kind;
  size: AccountSize;
  /** undefined: every type the connector announces. */
  resourceTypes?: readonly string[];
}

interface Target {
  name: string;
  pass: boolean;
  detail: string;
}

interface Measured {
  scenario: string;
  kind: Kind;
  size: AccountSize;
  workers: number;
  types: string[];
  resources: number;
  entitlements: number;
  grants: number;
  upstreamRequests: number;
  upstreamByRoute: Record<string, number>;
  upstreamNon2xx: number;
  upstreamPeakInFlight: number;
  floor: Floor;
  official: Floor;
  officialOverOurs: number;
  /** The median of the runs' wall times (the run reported is the median one). */
  wallMs: number;
  /** Every run's wall time, in the order they ran. */
  runWallsMs: number[];
  rateFloorMs: number;
  ownWorkMs: number;
  phases: DriveResult["phases"];
  peakRssBytes: number | undefined;
  /** The connector's RSS before the sync and as each phase ended (VmRSS), and its peak so far (VmHWM). */
  rssByPhase: { phase: string; rss?: number; peak?: number }[];
  grpcCalls: number;
  grpcCallsByMethod: Record<string, number>;
  /** Client-side time waiting for each method's responses. */
  grpcMsByMethod: Record<string, number>;
  /** CPU seconds used during the sync by each process (they share the machine's cores). */
  cpu: { connector?: number; simulator?: number; bench: number };
  maxResponseBytes: number;
  maxResponseMethod: string;
  targets: Target[];
}

function usage(): string {
  return "usage: npm run bench -- [--quick] [--sizes 1000,10000,100000] [--runs N] [--workers N] [--resource-types t1,t2] [--service-mode] [--json] [--node-args \"<node flags>\"]";
}

function parseOptions(argv: string[]): Options {
  const options: Options = { sizes: [1_000, 10_000, 100_000], workers: 1, json: false, nodeArgs: [], serviceMode: "also" };
  let sizesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--quick":
        options.sizes = [10_000];
        break;
      case "--service-mode":
        options.serviceMode = "only";
        break;
      case "--sizes":
        sizesGiven = true;
        options.sizes = value().split(",").map((s) => {
          const n = Number(s.trim());
          if (!Number.isInteger(n) || n < 1) throw new UsageError(`--sizes: "${s}" is not a positive integer`);
          return n;
        });
        break;
      case "--runs": {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new UsageError("--runs must be a positive integer");
        options.runs = n;
        break;
      }
      case "--workers": {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new UsageError("--workers must be a positive integer");
        options.workers = n;
        break;
      }
      case "--resource-types":
        options.resourceTypes = value().split(",").map((s) => s.trim()).filter(Boolean);
        if (options.resourceTypes.length === 0) throw new UsageError("--resource-types needs at least one type");
        break;
      case "--json":
        options.json = true;
        break;
      case "--node-args":
        options.nodeArgs = value().split(/\s+/).filter(Boolean);
        break;
      case "--help":
      case "-h":
        process.stdout.write(`${usage()}\n`);
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  if (options.serviceMode === "only" && !sizesGiven) options.sizes = [10_000];
  return options;
}

class UsageError extends Error {}

function scenarios(options: Options): Scenario[] {
  const list: Scenario[] = [];
  for (const users of options.sizes) {
    const size = sizeFor(users);
    if (options.resourceTypes) list.push({ kind: "custom", size, resourceTypes: options.resourceTypes });
    else list.push({ kind: "full", size }, { kind: "official-subset", size, resourceTypes: OFFICIAL_TYPES });
  }
  return list;
}

function scenarioName(s: Scenario): string {
  const what = s.kind === "full" ? "full sync" : s.kind === "official-subset" ? "official subset" : `types ${s.resourceTypes!.join(",")}`;
  return `${what} @ ${int(s.size.users)} users`;
}

async function fetchStats(url: string): Promise<SimulatorStatsJson> {
  const res = await fetch(`${url}${STATS_PATH}`);
  if (!res.ok) throw new Error(`GET ${STATS_PATH}: HTTP ${res.status}`);
  return (await res.json()) as SimulatorStatsJson;
}

/** WARM_UP_USERS is the size of the account the stand-in syncer warms up on (see warmClient). */
const WARM_UP_USERS = 2_000;

/**
 * warmClient syncs a small account through its own simulator and connector, unmeasured, before
 * the first scenario. The stand-in syncer is JavaScript: its first pages ran its decoders and
 * grpc-js cold (about 0.1-0.2 s more at 10k users), a cost the compiled Go syncer it stands in
 * for does not have, and which the first scenario of a run paid while later ones did not. The
 * processes measured are always fresh ones.
 */
async function warmClient(log: (line: string) => void): Promise<void> {
  log(`warming the stand-in syncer on a ${int(WARM_UP_USERS)}-user account…`);
  const sim = await startSimulatorProcess(simulatorFlags(sizeFor(WARM_UP_USERS)), 0);
  try {
    const connector = await startConnectorProcess(sim.url, sim.apiKey, [], []);
    try {
      await drive({ address: connector.address, workers: 1, signal: AbortSignal.timeout(SCENARIO_TIMEOUT_MS) });
    } finally {
      await connector.child.stop();
    }
  } finally {
    await sim.child.stop();
  }
}

/** run measures one scenario with fresh simulator and connector processes. */
async function run(s: Scenario, counts: AccountCounts, options: Options, log: (line: string) => void): Promise<Measured> {
  const name = scenarioName(s);
  log(`${name}: starting the simulator (${int(s.size.users)} users)…`);
  const sim = await startSimulatorProcess(simulatorFlags(s.size), LATENCY_MS);
  try {
    await warmSimulator(sim.url, sim.apiKey, DEFAULT_API_VERSION);
    const connector = await startConnectorProcess(sim.url, sim.apiKey, ["--rate-limit", String(RATE_PER_SECOND)], options.nodeArgs);
    const pid = connector.child.pid;
    try {
      log(`${name}: syncing through ${connector.address} (workers ${options.workers})…`);
      const cpuNow = () => ({ connector: cpuSeconds(pid), simulator: cpuSeconds(sim.child.pid), bench: process.cpuUsage() });
      const before = await fetchStats(sim.url);
      const cpuBefore = cpuNow();
      const rssByPhase: Measured["rssByPhase"] = [{ phase: "before", rss: rssBytes(pid), peak: peakRssBytes(pid) }];
      const result = await drive({
        address: connector.address,
        workers: options.workers,
        resourceTypes: s.resourceTypes,
        signal: AbortSignal.timeout(SCENARIO_TIMEOUT_MS),
        onPhase: (phase) => rssByPhase.push({ phase, rss: rssBytes(pid), peak: peakRssBytes(pid) }),
      });
      const cpuAfter = cpuNow();
      const after = await fetchStats(sim.url);
      // Right before stopping: the connector's peak resident set over its whole life.
      const peak = peakRssBytes(pid);
      const spent = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
      const benchCpu = process.cpuUsage(cpuBefore.bench);
      const cpu = {
        connector: spent(cpuAfter.connector, cpuBefore.connector),
        simulator: spent(cpuAfter.simulator, cpuBefore.simulator),
        bench: (benchCpu.user + benchCpu.system) / 1e6,
      };
      return measure(s, counts, options, result, { before, after, peak, rssByPhase, cpu });
    } catch (err) {
      throw withTail(err, "connector", connector.child.tail());
    } finally {
      await connector.child.stop();
    }
  } catch (err) {
    throw withTail(err, "simulator", sim.child.tail());
  } finally {
    await sim.child.stop();
  }
}

function withTail(err: unknown, who: string, tail: string): unknown {
  if (err instanceof Error && tail && !err.message.includes("--- last lines of")) err.message += `\n--- last lines of the ${who}'s output ---\n${tail}`;
  return err;
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(after)) if (n - (before[key] ?? 0) > 0) out[key] = n - (before[key] ?? 0);
  return out;
}

interface Observed {
  /** Simulator counters before and after the sync. */
  before: SimulatorStatsJson;
  after: SimulatorStatsJson;
  peak: number | undefined;
  rssByPhase: Measured["rssByPhase"];
  cpu: Measured["cpu"];
}

function measure(s: Scenario, counts: AccountCounts, options: Options, r: DriveResult, o: Observed): Measured {
  const { before, after, peak, cpu } = o;
  const types = r.types;
  const upstreamRequests = after.requests - before.requests;
  const byStatus = diff(after.responsesByStatus, before.responsesByStatus);
  const floor = requestFloor(counts, types);
  const official = officialRequests(counts);
  const rateFloorMs = (upstreamRequests / RATE_PER_SECOND) * 1000;
  const grpcCalls = Object.values(r.callsByMethod).reduce((a, b) => a + b, 0);
  const m: Measured = {
    scenario: scenarioName(s),
    kind: s.kind,
    size: s.size,
    workers: options.workers,
    types,
    resources: r.sync.resources,
    entitlements: r.sync.entitlements,
    grants: r.sync.grants,
    upstreamRequests,
    upstreamByRoute: diff(after.byRoute, before.byRoute),
    upstreamNon2xx: Object.entries(byStatus).filter(([status]) => !status.startsWith("2")).reduce((a, [, n]) => a + n, 0),
    upstreamPeakInFlight: after.peakInFlight,
    floor,
    official,
    officialOverOurs: official.total / Math.max(1, upstreamRequests),
    wallMs: r.wallMs,
    runWallsMs: [r.wallMs],
    rateFloorMs,
    ownWorkMs: r.wallMs - rateFloorMs,
    phases: r.phases,
    peakRssBytes: peak,
    rssByPhase: o.rssByPhase,
    grpcCalls,
    grpcCallsByMethod: r.callsByMethod,
    grpcMsByMethod: r.callMsByMethod,
    cpu,
    maxResponseBytes: r.maxResponseBytes,
    maxResponseMethod: r.maxResponseMethod,
    targets: [],
  };
  return m;
}

/**
 * combine reports the run with the median wall time (the higher one of an even count), with
 * every run's wall time, and the worst of the runs' requests, peak RSS and response size.
 */
function combine(runs: Measured[]): Measured {
  const byWall = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  const m: Measured = { ...byWall[byWall.length >> 1]!, runWallsMs: runs.map((r) => r.wallMs), targets: [] };
  const peaks = runs.flatMap((r) => (r.peakRssBytes === undefined ? [] : [r.peakRssBytes]));
  m.peakRssBytes = peaks.length === runs.length ? Math.max(...peaks) : undefined;
  m.upstreamRequests = Math.max(...runs.map((r) => r.upstreamRequests));
  m.officialOverOurs = m.official.total / Math.max(1, m.upstreamRequests);
  m.rateFloorMs = (m.upstreamRequests / RATE_PER_SECOND) * 1000;
  m.ownWorkMs = m.wallMs - m.rateFloorMs;
  const largest = runs.reduce((a, b) => (b.maxResponseBytes > a.maxResponseBytes ? b : a));
  m.maxResponseBytes = largest.maxResponseBytes;
  m.maxResponseMethod = largest.maxResponseMethod;
  return m;
}

/** judge sets a measurement's targets. */
function judge(s: Scenario, m: Measured): Measured {
  const { floor, official, upstreamRequests, rateFloorMs } = m;
  const peak = m.peakRssBytes;
  const t = m.targets;
  if (s.kind !== "official-subset") {
    const limit = FLOOR_FACTOR * floor.total;
    t.push({ name: "requests ≤ 1.1 × floor", pass: upstreamRequests <= limit, detail: `${int(upstreamRequests)} vs ≤ ${int(Math.floor(limit))} (floor ${int(floor.total)})` });
  }
  // Issue 6 sets this target on its 10,000-user account; below that the fixed part of our floor
  // (Validate's 2 requests, one request per list) dominates, so smaller sizes only report the ratio.
  if (s.kind === "official-subset" && s.size.users >= 10_000) {
    t.push({ name: "≥ 50× fewer requests than the official pattern", pass: m.officialOverOurs >= OFFICIAL_RATIO, detail: `${m.officialOverOurs.toFixed(1)}× (${int(official.total)} vs ${int(upstreamRequests)})` });
  }
  // The wall target's "+ 1 s of our own work" is set on the same account: converting and encoding
  // 100,000 users and their grants is more than a second of work whatever the connector does,
  // so other sizes report the wall time and their own work without a target.
  if (s.size.users === 10_000) {
    const wallLimit = WALL_FACTOR * rateFloorMs + WALL_SLACK_MS;
    const median = m.runWallsMs.length > 1 ? ` (median of ${m.runWallsMs.length} runs)` : "";
    t.push({ name: "wall ≤ 1.15 × requests/rate + 1 s", pass: m.wallMs <= wallLimit, detail: `${sec(m.wallMs)}${median} vs ≤ ${sec(wallLimit)}` });
  }
  const rss = rssLimit(s.size.users);
  if (rss !== undefined) {
    t.push(peak === undefined
      ? { name: `peak RSS ≤ ${mb(rss)}`, pass: false, detail: "not measurable here (no /proc/<pid>/status VmHWM)" }
      : { name: `peak RSS ≤ ${mb(rss)}`, pass: peak <= rss, detail: `${mb(peak)}` });
  }
  t.push({ name: "every gRPC response < 4 MiB", pass: m.maxResponseBytes < MAX_RESPONSE_BYTES, detail: `largest ${mib(m.maxResponseBytes)} (${m.maxResponseMethod || "-"})` });
  return m;
}

// ---- service mode -------------------------------------------------------------------------------

interface ServiceMeasured {
  scenario: string;
  size: AccountSize;
  /** The median of the runs' times from the task's hand-out to its FinishTask. */
  wallMs: number;
  runWallsMs: number[];
  /** The worst run's peak RSS of the connector process (VmHWM). */
  peakRssBytes: number | undefined;
  cpuSeconds: number | undefined;
  upstreamRequests: number;
  uploadBytes: number;
  /** The SQLite database inside the c1z: what the task's temporary directory held before the upload. */
  sqliteBytes: number;
  uploadChunks: number;
  heartbeats: number;
}

/**
 * runServiceMode measures one service-mode sync task: fresh Temporal Cloud simulator and
 * connector processes, an in-process ConductorOne simulator; from the task's queuing to its
 * FinishTask (next_poll 50 ms).
 */
async function runServiceMode(size: AccountSize, options: Options, log: (line: string) => void): Promise<ServiceMeasured> {
  const name = `service-mode sync @ ${int(size.users)} users`;
  log(`${name}: starting the simulators (${int(size.users)} users)…`);
  const sim = await startSimulatorProcess(simulatorFlags(size), LATENCY_MS);
  const c1 = await startConductorOneSimulator({ settings: { nextPollMs: 50, nextHeartbeatMs: 5_000 } });
  const dir = mkdtempSync(join(tmpdir(), "bench-c1-"));
  try {
    await warmSimulator(sim.url, sim.apiKey, DEFAULT_API_VERSION);
    const caFile = join(dir, "ca.pem");
    writeFileSync(caFile, c1.caPem);
    const { child } = await startServiceModeProcess(sim.url, sim.apiKey, { address: c1.address, caFile, ...c1.client }, ["--rate-limit", String(RATE_PER_SECOND)], options.nodeArgs);
    try {
      log(`${name}: handing the connector a sync task…`);
      const before = await fetchStats(sim.url);
      const cpuBefore = cpuSeconds(child.pid);
      const started = performance.now();
      const id = c1.addTask({ taskType: { case: "syncFull", value: {} } });
      const finish = await c1.waitForFinish(id, SCENARIO_TIMEOUT_MS);
      const wallMs = performance.now() - started;
      if (finish.finalState.case !== "success") throw new Error(`${name}: the task failed: ${finish.status?.message ?? "?"}`);
      const cpuAfter = cpuSeconds(child.pid);
      const after = await fetchStats(sim.url);
      const record = c1.tasks.get(id)!;
      const upload = record.uploads.find((u) => u.accepted)!;
      return {
        scenario: name,
        size,
        wallMs,
        runWallsMs: [wallMs],
        peakRssBytes: peakRssBytes(child.pid),
        cpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
        upstreamRequests: after.requests - before.requests,
        uploadBytes: upload.data.length,
        sqliteBytes: decompress(upload.data.subarray(5)).length, // after the 5-byte C1ZF magic
        uploadChunks: upload.chunkSizes.length,
        heartbeats: record.heartbeats,
      };
    } catch (err) {
      throw withTail(err, "connector", child.tail());
    } finally {
      await child.stop();
    }
  } catch (err) {
    throw withTail(err, "simulator", sim.child.tail());
  } finally {
    await c1.close();
    await sim.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function combineService(runs: ServiceMeasured[]): ServiceMeasured {
  const byWall = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  const peaks = runs.flatMap((r) => (r.peakRssBytes === undefined ? [] : [r.peakRssBytes]));
  return { ...byWall[byWall.length >> 1]!, runWallsMs: runs.map((r) => r.wallMs), peakRssBytes: peaks.length === runs.length ? Math.max(...peaks) : undefined };
}

function reportService(m: ServiceMeasured): string {
  const rows: string[][] = [["", "value", "notes"]];
  rows.push(["wall time (task → FinishTask)", sec(m.wallMs), m.runWallsMs.length > 1 ? `median of ${m.runWallsMs.length} runs: ${m.runWallsMs.map(sec).join(", ")}` : ""]);
  rows.push(["peak RSS (connector)", m.peakRssBytes === undefined ? "n/a" : mb(m.peakRssBytes), "VmHWM of the service-mode process: connector, syncer, c1z writer and upload"]);
  rows.push(["CPU during the task", m.cpuSeconds === undefined ? "n/a" : sec(m.cpuSeconds * 1000), "connector process"]);
  rows.push(["upstream requests", int(m.upstreamRequests), `rate-limit floor ${sec((m.upstreamRequests / RATE_PER_SECOND) * 1000)}`]);
  rows.push(["c1z's SQLite database", mib(m.sqliteBytes), "the largest file the task writes to BATON_TMPDIR"]);
  rows.push(["upload", mib(m.uploadBytes), `${m.uploadChunks} chunk${m.uploadChunks === 1 ? "" : "s"} of ≤ 512 KiB; ${m.heartbeats} heartbeat${m.heartbeats === 1 ? "" : "s"}`]);
  return [`== ${m.scenario} ==`, `account: ${describeSize(m.size)}; simulator latency ${LATENCY_MS} ms; rate limit ${RATE_PER_SECOND}/s`, table(rows, [false, true, false])].join("\n");
}

// ---- output -------------------------------------------------------------------------------------

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

function describeSize(size: AccountSize): string {
  return `${int(size.users)} users, ${int(size.serviceAccounts)} service accounts, ${int(size.namespaces)} namespaces, ${int(size.groups)} groups (~${size.membersPerGroup} members), ${int(size.customRoles)} custom roles, ${int(size.apiKeys)} API keys, ${int(size.projects)} projects`;
}

function table(rows: string[][], rightAlign: boolean[] = []): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (rightAlign[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd()).join("\n");
}

function report(m: Measured): string {
  const lines: string[] = [];
  lines.push(`== ${m.scenario} ==`);
  lines.push(`account: ${describeSize(m.size)}; simulator latency ${LATENCY_MS} ms; rate limit ${RATE_PER_SECOND}/s; workers ${m.workers}`);
  lines.push(`types:   ${m.types.join(", ")}`);
  lines.push(`synced:  ${int(m.resources)} resources, ${int(m.entitlements)} entitlements, ${int(m.grants)} grants`);
  const rows: string[][] = [["", "value", "notes"]];
  rows.push(["upstream requests (ours)", int(m.upstreamRequests), `floor ${int(m.floor.total)} → ${(m.upstreamRequests / m.floor.total).toFixed(2)}× floor${m.upstreamNon2xx ? `; ${int(m.upstreamNon2xx)} non-2xx responses` : ""}; peak ${m.upstreamPeakInFlight} in flight`]);
  rows.push(["official pattern", int(m.official.total), `${m.officialOverOurs.toFixed(1)}× ours${m.kind === "full" ? " (the official connector syncs only user, service-account, namespace, account-role)" : ""}`]);
  rows.push(["wall time", sec(m.wallMs), m.runWallsMs.length > 1 ? `median of ${m.runWallsMs.length} runs: ${m.runWallsMs.map(sec).join(", ")}` : ""]);
  rows.push(["rate-limit floor", sec(m.rateFloorMs), `${int(m.upstreamRequests)} requests ÷ ${RATE_PER_SECOND}/s`]);
  rows.push(["our own work", sec(m.ownWorkMs), "wall − rate-limit floor"]);
  rows.push(["peak RSS (connector)", m.peakRssBytes === undefined ? "n/a" : mb(m.peakRssBytes), "VmHWM"]);
  rows.push(["gRPC calls (incl. Do)", int(m.grpcCalls), Object.entries(m.grpcCallsByMethod).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${int(v)}`).join(", ")]);
  rows.push(["largest gRPC response", mib(m.maxResponseBytes), m.maxResponseMethod]);
  const cpuOf = (n: number | undefined) => (n === undefined ? "n/a" : sec(n * 1000));
  rows.push(["CPU during the sync", cpuOf(m.cpu.connector), `connector; simulator ${cpuOf(m.cpu.simulator)}, bench (client + syncer) ${cpuOf(m.cpu.bench)}`]);
  lines.push(table(rows, [false, true, false]));
  let last = 0;
  lines.push(`phases:  ${m.phases.map((p) => { const d = p.atMs - last; last = p.atMs; return `${p.phase} ${sec(d)}`; }).join(", ")}`);
  const waited = Object.values(m.grpcMsByMethod).reduce((a, b) => a + b, 0);
  lines.push(`waiting on gRPC: ${sec(waited)} of ${sec(m.wallMs)} — ${Object.entries(m.grpcMsByMethod).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${sec(v)} (${(v / m.grpcCallsByMethod[k]!).toFixed(1)} ms/call)`).join(", ")}`);
  lines.push(`connector RSS (now/peak) as phases end: ${m.rssByPhase.map((p) => `${p.phase} ${p.rss === undefined ? "n/a" : mb(p.rss)}/${p.peak === undefined ? "n/a" : mb(p.peak)}`).join(", ")}`);
  lines.push(`upstream by route: ${Object.entries(m.upstreamByRoute).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${int(v)}`).join(", ")}`);
  lines.push(`floor parts:       ${Object.entries(m.floor.parts).map(([k, v]) => `${k} ${int(v)}`).join(", ")}`);
  lines.push(`official parts:    ${Object.entries(m.official.parts).map(([k, v]) => `${k} ${int(v)}`).join(", ")}`);
  lines.push("targets:");
  for (const t of m.targets) lines.push(`  ${t.pass ? "PASS" : "FAIL"}  ${t.name}: ${t.detail}`);
  return lines.join("\n");
}

function summary(all: Measured[]): string {
  const rows = [["scenario", "requests", "floor", "official", "official/ours", "wall", "rate floor", "own work", "peak RSS", "gRPC calls", "targets"]];
  for (const m of all) {
    rows.push([
      m.scenario,
      int(m.upstreamRequests),
      int(m.floor.total),
      int(m.official.total),
      `${m.officialOverOurs.toFixed(1)}×`,
      sec(m.wallMs),
      sec(m.rateFloorMs),
      sec(m.ownWorkMs),
      m.peakRssBytes === undefined ? "n/a" : mb(m.peakRssBytes),
      int(m.grpcCalls),
      m.targets.every((t) => t.pass) ? "pass" : `FAIL (${m.targets.filter((t) => !t.pass).length})`,
    ]);
  }
  return table(rows, [false, true, true, true, true, true, true, true, true, true, false]);
}

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  // The stand-in syncer reads pages with the codecs the connector's CLI would choose: compiled,
  // unless TEMPORALCLOUD_CONNECTOR_FAST_PATHS=off (the connector processes read it too).
  useFastPaths(fastPathsFromEnv(process.env));
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\n${usage()}\n`);
    return 2;
  }
  if (options.resourceTypes) {
    const unknown = options.resourceTypes.filter((t) => !(ALL_TYPES as readonly string[]).includes(t));
    if (unknown.length) {
      process.stderr.write(`bench: --resource-types: unknown type ${unknown.join(", ")}; types: ${ALL_TYPES.join(", ")}\n`);
      return 2;
    }
  }
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const out = (text: string) => {
    if (!options.json) process.stdout.write(`${text}\n`);
  };
  const results: Measured[] = [];
  const countsBySize = new Map<number, AccountCounts>();
  const serviceResults: ServiceMeasured[] = [];
  if (options.serviceMode === "only") {
    for (const users of options.sizes) {
      const runs: ServiceMeasured[] = [];
      for (let i = 0, n = options.runs ?? (users <= 10_000 ? 3 : 1); i < n; i++) runs.push(await runServiceMode(sizeFor(users), options, log));
      serviceResults.push(combineService(runs));
      out(`\n${reportService(serviceResults.at(-1)!)}`);
    }
    if (options.json) process.stdout.write(`${JSON.stringify({ latencyMs: LATENCY_MS, ratePerSecond: RATE_PER_SECOND, serviceMode: serviceResults, ok: true }, null, 2)}\n`);
    return 0;
  }
  await warmClient(log);
  for (const s of scenarios(options)) {
    let counts = countsBySize.get(s.size.users);
    if (!counts) {
      // Counted before any child starts, so it never competes with a measurement; the account
      // generated to count it is collected now (npm run bench passes --expose-gc), not by the
      // client in the middle of a sync.
      countsBySize.clear();
      const generating = performance.now();
      counts = countAccount(s.size);
      // The generator's own speed (it was once a unit test's timing claim): the account of 100,000 users took ~5 s.
      log(`generated the ${s.size.users.toLocaleString("en")}-user account in ${((performance.now() - generating) / 1000).toFixed(1)} s`);
      countsBySize.set(s.size.users, counts);
      (globalThis as { gc?: () => void }).gc?.();
    }
    const runs: Measured[] = [];
    for (let i = 0, n = options.runs ?? (s.size.users <= 10_000 ? 3 : 1); i < n; i++) {
      if (i > 0) await sleep(200);
      runs.push(await run(s, counts, options, log));
    }
    const m = judge(s, combine(runs));
    results.push(m);
    out(`\n${report(m)}`);
    await sleep(200); // let the ports and the CPU settle between scenarios
    if (s.kind === "official-subset" && s.size.users === 10_000) {
      const serviceRuns: ServiceMeasured[] = [];
      for (let i = 0, n = options.runs ?? 3; i < n; i++) serviceRuns.push(await runServiceMode(s.size, options, log));
      serviceResults.push(combineService(serviceRuns));
      out(`\n${reportService(serviceResults.at(-1)!)}`);
      await sleep(200);
    }
  }
  const failed = results.flatMap((m) => m.targets.filter((t) => !t.pass).map((t) => `${m.scenario}: ${t.name} (${t.detail})`));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ latencyMs: LATENCY_MS, ratePerSecond: RATE_PER_SECOND, scenarios: results, serviceMode: serviceResults, failed, ok: failed.length === 0 }, null, 2)}\n`);
  } else {
    out(`\n== summary (latency ${LATENCY_MS} ms, rate limit ${RATE_PER_SECOND}/s, workers ${options.workers}) ==`);
    out(summary(results));
    for (const m of serviceResults) out(`${m.scenario}: ${sec(m.wallMs)} (task → FinishTask), peak RSS ${m.peakRssBytes === undefined ? "n/a" : mb(m.peakRssBytes)}, upload ${mib(m.uploadBytes)}`);
    out(failed.length === 0 ? "\nall targets met" : `\n${failed.length} target(s) missed:\n${failed.map((f) => `  - ${f}`).join("\n")}`);
  }
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
