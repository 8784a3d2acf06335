import { codecModeFromEnv, useCodecs } from "../src/codec/codecs.js";

// Every test file runs with the codecs the CLI would select from the same environment
// (TEMPORALCLOUD_CONNECTOR_CODECS): the compiled ones, or protobuf-es's own with "library".
useCodecs(codecModeFromEnv(process.env));
