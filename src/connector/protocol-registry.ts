import { createRegistry, type DescFile, type Registry } from "@bufbuild/protobuf";
import { file_c1_ratelimit_v1_ratelimit } from "../gen/c1/ratelimit/v1/ratelimit_pb.js";
import * as c1 from "./c1.js";

/**
 * PROTOCOL_FILES are every file of the protocol, including those no service imports: annotation
 * messages travel inside google.protobuf.Any, and whoever renders or checks them (JSON output,
 * reflection for buf curl and grpcurl, request validation) resolves their type URLs here.
 */
export const PROTOCOL_FILES: readonly DescFile[] = [
  ...Object.entries(c1).flatMap(([name, value]) => (name.startsWith("file_") ? [value as DescFile] : [])),
  file_c1_ratelimit_v1_ratelimit,
];

/** PROTOCOL_REGISTRY resolves every message of the protocol by name. */
export const PROTOCOL_REGISTRY: Registry = createRegistry(...PROTOCOL_FILES);
