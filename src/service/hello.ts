import { existsSync, readFileSync } from "node:fs";
import * as os from "node:os";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ConnectorService } from "../connector/c1.js";
import { BatonService, type BatonServiceHelloRequest_BuildInfoSchema, type BatonServiceHelloRequest_OSInfoSchema } from "../gen/c1/connectorapi/baton/v1/baton_pb.js";
import type { ConnectorApi } from "../sync/syncer.js";
import type { BatonClient } from "./baton-client.js";

/** BuildInfo says what runs: language version, package and its version. */
export type BuildInfo = MessageInitShape<typeof BatonServiceHelloRequest_BuildInfoSchema>;
/** OsInfo describes the host, as Hello reports it. */
export type OsInfo = MessageInitShape<typeof BatonServiceHelloRequest_OSInfoSchema>;

/**
 * sendHello introduces the connector to ConductorOne (docs/service-mode.md, "Hello"): the
 * connector's metadata exactly as GetMetadata returns it over the protocol, the build and the
 * host. taskId is empty at startup and the task's id when answering a hello task.
 */
export async function sendHello(api: ConnectorApi, baton: BatonClient, hello: { hostId: string; buildInfo: BuildInfo; osInfo: OsInfo }, taskId: string, signal?: AbortSignal): Promise<void> {
  const { metadata } = await api.call(ConnectorService.method.getMetadata, {}, signal);
  await baton.call(BatonService.method.hello, { hostId: hello.hostId, taskId, buildInfo: hello.buildInfo, osInfo: hello.osInfo, connectorMetadata: metadata }, signal);
}

/**
 * hostIdOf is the id the connector gives ConductorOne for this host, as the Go SDK picks it:
 * BATON_HOST_ID, else the hostname, else "baton-sdk"; cut to the 256 characters Hello accepts.
 */
export function hostIdOf(env: NodeJS.ProcessEnv): string {
  return (env.BATON_HOST_ID ?? os.hostname() ?? "").slice(0, 256) || "baton-sdk";
}

/** osInfo describes this host with what Node and /etc/os-release tell (the Go SDK asks gopsutil). */
export function osInfo(): OsInfo {
  const release = osRelease();
  const kernelVersion = os.release() || "unknown";
  const platform = release.ID || os.platform();
  return {
    hostname: cut(os.hostname() || "unknown"),
    os: cut(os.platform()),
    platform: cut(platform),
    platformFamily: cut(release.ID_LIKE?.split(" ")[0] || platform),
    platformVersion: cut(release.VERSION_ID || kernelVersion),
    kernelVersion: cut(kernelVersion),
    kernelArch: cut(os.machine()),
    virtualizationSystem: existsSync("/.dockerenv") ? "docker" : "none",
  };
}

function osRelease(): Record<string, string> {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    return Object.fromEntries([...text.matchAll(/^([A-Z_]+)=("?)(.*)\2$/gm)].map((m) => [m[1]!, m[3]!]));
  } catch {
    return {};
  }
}

/** cut keeps a value within the 256 characters each OSInfo field accepts. */
function cut(text: string): string {
  return text.slice(0, 256);
}
