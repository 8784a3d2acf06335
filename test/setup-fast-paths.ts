import { fastPathsFromEnv, useFastPaths } from "../src/codec/fast-paths.js";

// Every test file runs with the fast paths the CLI would choose from the same environment
// (TEMPORALCLOUD_CONNECTOR_FAST_PATHS): on, or off (protobuf-es's own codecs, no read-ahead).
useFastPaths(fastPathsFromEnv(process.env));
