// npm run soak [-- --runs 100 --users 2000]: full syncs of the demo account and of a generated
// account under injected faults (10% 503, 5% 429 with Retry-After, 1% lost responses, latency
// jitter), each compared with a fault-free sync. Prints how many matched; exits 1 unless all did.
import { fastPathsFromEnv, useFastPaths } from "../src/codec/fast-paths.js";
import { createDemoAccount, DEMO_API_KEY, generateAccount } from "../src/simulator/temporal/index.js";
import { compareSyncsUnderFaults } from "../harness/fault-syncs.js";

async function main(): Promise<number> {
  useFastPaths(fastPathsFromEnv(process.env));
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const runs = option("runs", 100);
  const users = option("users", 2_000);
  const generated = generateAccount({ users, seed: 11 });
  let failures = 0;
  for (const [name, account, apiKey] of [
    ["demo account", createDemoAccount(), DEMO_API_KEY],
    [`generated account (${users} users)`, generated, generated.apiKey],
  ] as const) {
    const started = performance.now();
    const report = await compareSyncsUnderFaults({
      account,
      apiKey,
      runs,
      onRun: (run, matched) => process.stderr.write(matched ? "." : "x") && run % 50 === 0 && process.stderr.write("\n"),
    });
    process.stderr.write("\n");
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`${name}: ${report.matched}/${report.runs} syncs under faults matched the fault-free sync (${report.failed} failed; ${report.faultsInjected} faults injected, ${report.retries} retries; ${seconds} s)\n`);
    failures += report.runs - report.matched;
  }
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
