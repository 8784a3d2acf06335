import { hasAnnotation } from "../src/connector/annotations.js";
import { ResourceSchema, ResourceTypesService, SkipEntitlementsAndGrantsSchema, type Resource, type ResourceType } from "../src/connector/c1.js";
import { messageMaker } from "../src/codec/codecs.js";
import { createGrpcClient } from "../src/sync/grpc-client.js";
import { messageDecoder } from "./compiled-decoder.js";
import { runSync, type ConnectorApi, type SyncProgress, type SyncResult, type SyncStore } from "../src/sync/syncer.js";

/**
 * The benchmark's sync driver: runSync (the Go syncer's call pattern) over a real grpc-js channel,
 * with a resource-type filter like baton's --sync-resource-types, counting gRPC calls and the
 * largest response, into a store that keeps no more than the syncer needs.
 */

/** DriveOptions configures drive. */
export interface DriveOptions {
  address: string;
  workers: number;
  /** Sync only these resource types (all the connector announces when undefined). */
  resourceTypes?: readonly string[];
  signal?: AbortSignal;
  /** Called as each phase ends (after runSync's own bookkeeping), e.g. to sample the connector's memory. */
  onPhase?: (phase: SyncProgress["phase"]) => void;
}

/** DriveResult is what one sync did, seen from the client. */
export interface DriveResult {
  sync: SyncResult;
  wallMs: number;
  /** Milliseconds since the start at which each phase ended. */
  phases: { phase: SyncProgress["phase"]; atMs: number }[];
  /** Connector calls by method, RateLimiterService/Do included. */
  callsByMethod: Record<string, number>;
  /** Time spent waiting for responses, by method (the syncer's own work between calls is the rest). */
  callMsByMethod: Record<string, number>;
  maxResponseBytes: number;
  maxResponseMethod: string;
  /** Resource types synced. */
  types: string[];
}

/** drive runs one full sync against the connector at `address`. */
export async function drive(options: DriveOptions): Promise<DriveResult> {
  const callsByMethod: Record<string, number> = {};
  const callMsByMethod: Record<string, number> = {};
  let maxResponseBytes = 0;
  let maxResponseMethod = "";
  // grpc-js lets a client rewrite a call's method definition before it starts: wrapping the
  // response deserializer sees each response's wire size at no cost (ChannelOptions is open-ended).
  const callInvocationTransformer = (props: { methodDefinition: { path: string; responseDeserialize: (bytes: Buffer) => unknown } }) => {
    const { path, responseDeserialize } = props.methodDefinition;
    return {
      ...props,
      methodDefinition: {
        ...props.methodDefinition,
        responseDeserialize(bytes: Buffer) {
          if (bytes.length > maxResponseBytes) {
            maxResponseBytes = bytes.length;
            maxResponseMethod = path.slice(path.lastIndexOf("/") + 1);
          }
          return responseDeserialize(bytes);
        },
      },
    };
  };
  const client = createGrpcClient({
    address: options.address,
    // Larger than the protocol's 4 MiB so that an oversized response is measured and reported
    // rather than failing the sync; the benchmark checks the 4 MiB limit itself.
    channelOptions: { callInvocationTransformer, "grpc.max_receive_message_length": 64 * 1024 * 1024 },
    // The Go syncer decodes in compiled code: the stand-in must not be what the bench measures.
    decoder: messageDecoder,
  });
  const wanted = options.resourceTypes && new Set(options.resourceTypes);
  const announced: string[] = [];
  const api: ConnectorApi = {
    async call(method, request, signal) {
      callsByMethod[method.name] = (callsByMethod[method.name] ?? 0) + 1;
      const sent = performance.now();
      const response = await client.call(method, request, signal);
      callMsByMethod[method.name] = (callMsByMethod[method.name] ?? 0) + (performance.now() - sent);
      if (method.parent.typeName === ResourceTypesService.typeName && method.name === ResourceTypesService.method.listResourceTypes.name) {
        const page = response as unknown as { list: ResourceType[] };
        announced.push(...page.list.map((t) => t.id));
        if (wanted) page.list = page.list.filter((t) => wanted.has(t.id));
      }
      return response;
    },
  };
  const store = createLeanStore();
  const phases: DriveResult["phases"] = [];
  let started = 0;
  try {
    // The Go syncer's parent process dials the connector (a blocking dial) before it syncs.
    await client.connect();
    started = performance.now();
    const sync = await runSync({
      api,
      store,
      workers: options.workers,
      skipExpandGrants: true,
      signal: options.signal,
      onProgress(event) {
        phases.push({ phase: event.phase, atMs: performance.now() - started });
        options.onPhase?.(event.phase);
        if (event.phase === "resource-types" && wanted) {
          const unknown = [...wanted].filter((t) => !announced.includes(t));
          if (unknown.length > 0) throw new Error(`--resource-types: the connector has no type ${unknown.join(", ")}; it announces ${announced.join(", ")}`);
        }
      },
    });
    const wallMs = performance.now() - started;
    return { sync, wallMs, phases, callsByMethod, callMsByMethod, maxResponseBytes, maxResponseMethod, types: store.types() };
  } finally {
    client.close();
  }
}

const makeResource = messageMaker(ResourceSchema);

/**
 * createLeanStore keeps what runSync needs to fan out, and no more, so the benchmark process stays
 * small next to the connector it measures: resources by type (as id-only stubs for types whose
 * resource type carries SkipEntitlementsAndGrants — the syncer never sends those back, so the call
 * pattern is the same). Entitlements and grants are only counted, by runSync, which does not
 * expand grants for it (skipExpandGrants).
 */
function createLeanStore(): SyncStore & { types(): string[] } {
  const byType = new Map<string, Resource[]>();
  const seen = new Set<string>();
  const skipped = new Set<string>();
  return {
    types: () => [...byType.keys()],
    putResourceType(type) {
      byType.set(type.id, []);
      if (hasAnnotation(type.annotations, SkipEntitlementsAndGrantsSchema)) skipped.add(type.id);
    },
    putResource(resource) {
      const id = resource.id!;
      const key = `${id.resourceType}\u0000${id.resource}`;
      if (seen.has(key)) return false;
      seen.add(key);
      let list = byType.get(id.resourceType);
      if (!list) byType.set(id.resourceType, (list = []));
      list.push(skipped.has(id.resourceType) ? makeResource({ id }) : resource);
      return true;
    },
    putEntitlement() {},
    putGrant() {},
    resourcesOfType: (id) => byType.get(id) ?? [],
    hasResource: (id) => seen.has(`${id.resourceType}\u0000${id.resource}`),
    // The stand-in measures the connector: it syncs with skipExpandGrants, as expansion is the syncer's own work.
    expansion() {
      throw new Error("the bench's stand-in syncer does not expand grants");
    },
  };
}
