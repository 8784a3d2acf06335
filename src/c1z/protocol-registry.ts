import { createRegistry, type DescFile, type Registry } from "@bufbuild/protobuf";
import * as c1 from "../connector/c1.js";

/**
 * PROTOCOL_REGISTRY resolves every c1.connector.v2 message by name, so that JSON output can
 * render the annotations (google.protobuf.Any) inside resources, entitlements, grants and
 * responses instead of failing on their type URLs.
 */
export const PROTOCOL_REGISTRY: Registry = createRegistry(
  ...Object.entries(c1).flatMap(([name, value]) => (name.startsWith("file_") ? [value as DescFile] : [])),
);
