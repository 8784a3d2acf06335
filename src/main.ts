#!/usr/bin/env node
import { main } from "./cli/cli.js";
import { fastPathsFromEnv, useFastPaths } from "./codec/fast-paths.js";

// The compiled codecs and the page read-ahead, unless TEMPORALCLOUD_CONNECTOR_FAST_PATHS=off.
useFastPaths(fastPathsFromEnv(process.env));

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug, not bad input: show the stack for the bug report.
    process.stderr.write(`temporalcloud-connector: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
