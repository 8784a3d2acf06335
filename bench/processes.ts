import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/**
 * The benchmark's child processes: the simulator and the connector, each the real CLI
 * (dist/src/main.js) on a loopback port. Every child is registered so that it is killed however
 * the benchmark ends (normal exit, error, Ctrl-C): no orphans.
 */

const MAIN = fileURLToPath(new URL("../src/main.js", import.meta.url));
const live = new Set<ChildProcess>();

process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  process.on(signal, () => {
    for (const child of live) child.kill("SIGKILL");
    process.exit(code);
  });
}

/** Child is a running child process of the benchmark. */
export interface Child {
  readonly pid: number;
  /** The last lines it wrote on stderr (for error messages). */
  tail(): string;
  /** Stops it with SIGTERM (SIGKILL after 10 s) and resolves once it exited. */
  stop(): Promise<void>;
}

interface Started<T> {
  child: Child;
  value: T;
}

/**
 * start spawns `node [nodeArgs] dist/src/main.js args…` and resolves with what `ready` extracts
 * from its first matching stdout or stderr line.
 */
function start<T>(
  what: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; timeoutMs: number; ready: (line: string, stream: "stdout" | "stderr") => T | undefined },
): Promise<Started<T>> {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
  live.add(proc);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  void exited.then(() => live.delete(proc));
  const lines: string[] = [];
  const tail = () => lines.slice(-20).join("\n");
  const child: Child = {
    pid: proc.pid!,
    tail,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | undefined, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        proc.kill("SIGKILL");
        reject(err);
      } else resolve({ child, value: value as T });
    };
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${options.timeoutMs / 1000} s\n${tail()}`)), options.timeoutMs);
    // Both pipes are read to the end, so the child never blocks on a full pipe.
    for (const stream of ["stdout", "stderr"] as const) {
      createInterface({ input: proc[stream]! }).on("line", (line) => {
        const value = done ? undefined : options.ready(line, stream);
        if (value !== undefined) return finish(undefined, value); // not kept: it may carry the key
        lines.push(line);
        if (lines.length > 200) lines.splice(0, 100);
      });
    }
    proc.once("error", (err) => finish(err));
    proc.once("exit", (code, signal) => finish(new Error(`${what} exited (${signal ?? `code ${code}`}) before it was ready\n${tail()}`)));
  });
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** startSimulatorProcess runs `simulator` and resolves with the URL and bearer key it prints. */
export async function startSimulatorProcess(flags: string[], latencyMs: number): Promise<{ child: Child; url: string; apiKey: string }> {
  const args = ["simulator", "--listen", "127.0.0.1:0", ...flags, "--latency", `${latencyMs}ms`, "--cache-reads", "--log-level", "warn"];
  const { child, value } = await start("the simulator", args, {
    timeoutMs: 300_000,
    ready(line, stream) {
      const json = stream === "stdout" ? parseJson(line) : undefined;
      return typeof json?.url === "string" && typeof json.apiKey === "string" ? { url: json.url, apiKey: json.apiKey } : undefined;
    },
  });
  return { child, ...value };
}

/**
 * warmSimulator reads every page of each list, one request at a time, before a measurement. The
 * simulator stands in for a long-running service whose CPU is not on this machine: a freshly
 * started one spent 40-60 ms more than its latency on its first pages while its JIT warmed up,
 * and with --cache-reads the pages read here are answered from their bodies during the sync
 * (its JSON work took ~0.15 s of the two cores the connector and the stand-in syncer share).
 * The requests are those the connector makes (same query, same API version) and are made
 * before the counters are read, so they are not counted.
 */
export async function warmSimulator(url: string, apiKey: string, apiVersion: string): Promise<void> {
  const headers = { authorization: `Bearer ${apiKey}`, "temporal-cloud-api-version": apiVersion };
  for (const path of ["current-identity", "account", "users", "service-accounts", "user-groups", "namespaces", "projects", "custom-roles", "api-keys"]) {
    let pageToken = "";
    do {
      const query = new URLSearchParams({ pageSize: "1000", ...(pageToken ? { pageToken } : {}) });
      const res = await fetch(`${url}/cloud/${path}?${query}`, { headers });
      if (!res.ok) throw new Error(`warming the simulator: GET /cloud/${path}: HTTP ${res.status}`);
      pageToken = ((await res.json()) as { nextPageToken?: string }).nextPageToken ?? "";
    } while (pageToken);
  }
}

/**
 * startConnectorProcess runs `serve` against the simulator (key in BATON_API_KEY, never on the
 * command line) and resolves with the address from its "connector serving" log line. Other
 * BATON_* variables of the benchmark's environment are not passed on, so they cannot skew it.
 */
export async function startConnectorProcess(baseUrl: string, apiKey: string, extraArgs: string[], nodeArgs: string[]): Promise<{ child: Child; address: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("BATON_")) env[key] = value;
  env.BATON_API_KEY = apiKey;
  const { child, value } = await start("the connector", ["serve", "--listen", "127.0.0.1:0", "--base-url", baseUrl, "--allow-insecure", "--log-level", "info", ...extraArgs], {
    env,
    nodeArgs,
    timeoutMs: 60_000,
    ready(line, stream) {
      const json = stream === "stderr" ? parseJson(line) : undefined;
      return json?.msg === "connector serving" && typeof json.address === "string" ? json.address : undefined;
    },
  });
  return { child, address: value };
}

/**
 * startServiceModeProcess runs the connector in service mode (`serve` with a ConductorOne client
 * credential in BATON_CLIENT_ID/BATON_CLIENT_SECRET, the simulator's CA in NODE_EXTRA_CA_CERTS) and
 * resolves once it said hello to ConductorOne.
 */
export async function startServiceModeProcess(
  baseUrl: string,
  apiKey: string,
  c1: { address: string; caFile: string; clientId: string; clientSecret: string },
  extraArgs: string[],
  nodeArgs: string[],
): Promise<{ child: Child }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("BATON_")) env[key] = value;
  Object.assign(env, { BATON_API_KEY: apiKey, BATON_CLIENT_ID: c1.clientId, BATON_CLIENT_SECRET: c1.clientSecret, BATON_C1_API_HOST: c1.address, NODE_EXTRA_CA_CERTS: c1.caFile, BATON_HOST_ID: "bench" });
  const { child } = await start("the connector (service mode)", ["serve", "--base-url", baseUrl, "--allow-insecure", "--log-level", "info", ...extraArgs], {
    env,
    nodeArgs,
    timeoutMs: 60_000,
    ready(line, stream) {
      const json = stream === "stderr" ? parseJson(line) : undefined;
      return json?.msg === "connected to ConductorOne, waiting for tasks" ? true : undefined;
    },
  });
  return { child };
}

/** rssBytes reads a process's current resident set (VmRSS); undefined where there is none. */
export function rssBytes(pid: number): number | undefined {
  return statusBytes(pid, "VmRSS");
}

/** peakRssBytes reads a process's peak resident set (VmHWM) from /proc; undefined where there is none. */
export function peakRssBytes(pid: number): number | undefined {
  return statusBytes(pid, "VmHWM");
}

/** statusBytes reads a "<field>: N kB" line of /proc/<pid>/status, in bytes. */
function statusBytes(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * cpuSeconds reads a process's user + system CPU time from /proc/<pid>/stat (in USER_HZ ticks,
 * 100 per second on Linux); undefined where there is none.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at state, field 3; utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
