// npm run bench [-- flags]: the connector benchmark (sync.bench.ts), then the `sync -f` benchmark
// (sync-file.bench.ts), each given the same flags (each ignores the ones it does not know). Exits
// with the worst of their codes.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
let code = 0;
for (const [script, nodeArgs] of [["sync.bench.js", ["--expose-gc"]], ["sync-file.bench.js", []]] as const) {
  const run = spawnSync(process.execPath, [...nodeArgs, fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: "inherit" });
  code = Math.max(code, run.status ?? 1);
}
process.exit(code);
