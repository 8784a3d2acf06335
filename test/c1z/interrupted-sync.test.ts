import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoAccount, DEMO_API_KEY, startSimulator, type Simulator } from "../../src/simulator/temporal/index.js";
import { runCli, startCli } from "./run-cli.js";

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/**
 * A sync stopped half-way — Ctrl-C, a `kill`, a failing upstream — must never leave a truncated
 * sync.c1z behind: the previous file stays byte for byte, the temporary files go, and the
 * command exits non-zero with one clear line.
 */
describe("an interrupted sync", () => {
  let fast: Simulator;
  let slow: Simulator;
  let root: string;
  /** A finished sync of the demo account: the previous file each case starts from. */
  let previous: string;

  beforeAll(async () => {
    [fast, slow] = await Promise.all([startSimulator({ account: createDemoAccount() }), startSimulator({ account: createDemoAccount(), latencyMs: 200 })]);
    root = mkdtempSync(join(tmpdir(), "c1z-interrupted-"));
    const { dir, env } = workspace("previous");
    const first = await runCli(["sync"], { cwd: dir, env: env(fast, { BATON_LOG_LEVEL: "warn" }) });
    expect(first.code, first.stderr).toBe(0);
    previous = join(dir, "sync.c1z");
  });
  afterAll(async () => {
    await Promise.all([fast?.close(), slow?.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  /** workspace makes a directory for sync.c1z and an empty one for the working database. */
  function workspace(name: string) {
    const dir = join(root, name);
    const temp = join(root, `${name}-tmp`);
    mkdirSync(dir);
    mkdirSync(temp);
    const env = (simulator: Simulator, extra: Record<string, string> = {}) => ({
      BATON_API_KEY: DEMO_API_KEY,
      BATON_BASE_URL: simulator.url,
      BATON_ALLOW_INSECURE: "true",
      BATON_TMPDIR: temp,
      ...extra,
    });
    return { dir, temp, env };
  }

  /** killMidway starts a sync against the slow simulator and signals it once a phase has finished. */
  async function killMidway(dir: string, env: Record<string, string>, signal: NodeJS.Signals) {
    const run = startCli(["sync"], { cwd: dir, env });
    const deadline = Date.now() + 20_000;
    while (!run.stderrSoFar().includes('"msg":"sync phase finished"')) {
      if (Date.now() > deadline) throw new Error(`the sync never got going:\n${run.stderrSoFar()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const killedAt = Date.now();
    run.child.kill(signal);
    const result = await run.done;
    return { ...result, exitMs: Date.now() - killedAt };
  }

  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    // The cases are independent (a directory each) and mostly wait on processes: they run side by side.
    it.concurrent(`by ${signal} leaves the previous sync.c1z byte-identical and no temporary files`, async ({ expect }) => {
      const { dir, temp, env } = workspace(signal);
      copyFileSync(previous, join(dir, "sync.c1z"));
      const before = sha256(join(dir, "sync.c1z"));

      const killed = await killMidway(dir, env(slow), signal);
      expect(killed.stderr).not.toContain('"msg":"sync finished"');
      expect({ code: killed.code, signal: killed.signal }).toEqual({ code, signal: null });
      expect(killed.stderr).toContain(`temporalcloud-connector: sync interrupted by ${signal}; sync.c1z was left unchanged\n`);
      expect(killed.exitMs).toBeLessThan(5000);
      expect(sha256(join(dir, "sync.c1z"))).toBe(before);
      expect(readdirSync(dir)).toEqual(["sync.c1z"]);
      expect(readdirSync(temp)).toEqual([]);
    });
  }

  it.concurrent("without a previous file writes none", async ({ expect }) => {
    const { dir, temp, env } = workspace("fresh");
    const killed = await killMidway(dir, env(slow), "SIGINT");
    expect(killed.code).toBe(130);
    expect(killed.stderr).toContain("temporalcloud-connector: sync interrupted by SIGINT; sync.c1z was not written\n");
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(temp)).toEqual([]);
  });

  it.concurrent("that fails upstream exits 1 with the reason and leaves the previous file", async ({ expect }) => {
    const { dir, temp, env } = workspace("failing");
    copyFileSync(previous, join(dir, "sync.c1z"));
    const before = sha256(join(dir, "sync.c1z"));

    const failed = await runCli(["sync"], { cwd: dir, env: env(fast, { BATON_API_KEY: "tcsim-not-a-key-0000000000", BATON_LOG_LEVEL: "error" }) });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^temporalcloud-connector: sync failed: .+ \[unauthenticated\]; sync\.c1z was left unchanged\n$/);
    expect(sha256(join(dir, "sync.c1z"))).toBe(before);
    expect(readdirSync(dir)).toEqual(["sync.c1z"]);
    expect(readdirSync(temp)).toEqual([]);
  });
});
