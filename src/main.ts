#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";
import { main } from "./cli/cli.js";
import { fastPathsFromEnv, useFastPaths } from "./fast-paths.js";

// A connector holds little live data but allocates fast while it converts and encodes pages, and
// by default V8 lets both heaps grow to several times what is live before collecting. Growing the
// old heap by at most a quarter and keeping the young one at its initial size hold the resident
// size close to what the account needs (at 10k users about 145 MB instead of 240 MB) for a few
// percent more GC time. V8 reads both settings at every collection, so they can be set here.
setFlagsFromString("--heap-growing-percent=25");
setFlagsFromString("--semi-space-growth-factor=1");

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
