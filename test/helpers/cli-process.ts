import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** CLI_MAIN is the built CLI; `npm test` builds dist/ before it runs the tests. */
export const CLI_MAIN = fileURLToPath(new URL("../../dist/src/main.js", import.meta.url));

/** CliExit is how a CLI process ended and when (performance.now()). */
export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** CliProcess is a running `temporalcloud-connector` with its output split into lines. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** waitForLine resolves with the first line (seen or to come) of a stream that matches. */
  waitForLine(stream: "stdout" | "stderr", match: RegExp): Promise<string>;
  /** waitForLog resolves with the first JSON log line (stderr) whose msg is msg. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  readonly exited: Promise<CliExit>;
  /** stop sends SIGKILL if the process still runs (test cleanup). */
  stop(): Promise<void>;
}

/**
 * startCli runs the real CLI as its own process (`node dist/src/main.js ...args`), the way an
 * operator or the baton parent runs it, so signals and exit codes are the real ones.
 */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run "npm run build" (npm test does)`);
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    // A clean environment: no BATON_* setting of the developer's shell leaks into the test.
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const watchers: { stream: "stdout" | "stderr"; match: RegExp; resolve(line: string): void }[] = [];
  for (const stream of ["stdout", "stderr"] as const) {
    let partial = "";
    child[stream]!.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const line of parts) {
        lines[stream].push(line);
        for (const w of [...watchers]) {
          if (w.stream === stream && w.match.test(line)) {
            watchers.splice(watchers.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
  }
  const exited = new Promise<CliExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })));
  const waitForLine = (stream: "stdout" | "stderr", match: RegExp) => {
    const seen = lines[stream].find((line) => match.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return Promise.race([
      new Promise<string>((resolve) => watchers.push({ stream, match, resolve })),
      exited.then((exit) => {
        throw new Error(`CLI exited (${exit.code ?? exit.signal}) before printing ${match}; stderr:\n${lines.stderr.join("\n")}`);
      }),
    ]);
  };
  return {
    child,
    stdout: lines.stdout,
    stderr: lines.stderr,
    waitForLine,
    async waitForLog(msg) {
      const line = await waitForLine("stderr", new RegExp(`"msg":${JSON.stringify(msg).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      return JSON.parse(line) as Record<string, unknown>;
    },
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
