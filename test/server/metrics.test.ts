import type { DescMethodUnary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResourceGetterService } from "../../src/connector/c1.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";
import { startMetricsServer, type RunningMetricsServer } from "../../src/metrics/metrics-server.js";
import { DEMO_API_KEY, DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync, type ConnectorApi, type MemoryStore } from "../../src/sync/syncer.js";
import { expectCode } from "../helpers/grpc.js";
import { provisioner } from "../helpers/provisioning.js";
import { startStack, type Stack } from "../helpers/stack.js";

/** Sample is one line of the text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

describe("Prometheus metrics", () => {
  let stack: Stack;
  let metrics: Metrics;
  let endpoint: RunningMetricsServer;
  let store: MemoryStore;
  const calls = new Map<string, number>();
  let samples: Sample[];
  let text: string;
  /** value is the sample with exactly these labels (0 when absent, as Prometheus reads a missing counter). */
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;
  const sum = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

  beforeAll(async () => {
    metrics = createMetrics();
    stack = await startStack({ provisioning: true, connector: { observer: metrics, syncObserver: metrics }, server: { callObserver: metrics } });
    metrics.trackApiKey(() => stack.app.apiKeySecondsLeft());
    endpoint = await startMetricsServer({ registry: metrics.registry, host: "127.0.0.1", port: 0 });

    // A sync, counting the calls it makes.
    const api: ConnectorApi = {
      call(method, request, signal) {
        const name = (method as DescMethodUnary).name;
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return stack.client.call(method, request, signal);
      },
    };
    store = createMemoryStore();
    await runSync({ api, store, skipExpandGrants: true }); // the counts the connector served
    // A grant, which waits for its async operation.
    await provisioner(stack.client).grant(`namespace:${DEMO_IDS.namespaces.paymentsDev}:read`, `user:${DEMO_IDS.users.dave}`);
    // A failed call: Temporal Cloud answers 503 (retried), then 500 (not retried).
    let failures = 0;
    stack.simulator.onRequest((req) =>
      req.route === "GetUser" ? (failures++ === 0 ? { status: 503, code: 14, message: "unavailable" } : { status: 500, code: 13, message: "internal" }) : undefined,
    );
    await expectCode(stack.client.call(ResourceGetterService.method.getResource, { resourceId: { resourceType: "user", resource: DEMO_IDS.users.dave } }), status.UNAVAILABLE);
    stack.simulator.onRequest(undefined);

    const res = await fetch(`http://127.0.0.1:${endpoint.port}/metrics`);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    text = await res.text();
    samples = parseMetrics(text);
  });
  afterAll(async () => {
    await endpoint?.close();
    await stack?.close();
  });

  it("counts gRPC calls by method and code, with latency histograms", () => {
    expect(calls.get("ListResources")).toBeGreaterThan(5);
    for (const [method, count] of calls) {
      const service = method === "Validate" || method === "Cleanup" ? "c1.connector.v2.ConnectorService" : undefined;
      const labels = { grpc_method: method, grpc_code: "OK", ...(service ? { grpc_service: service } : {}) };
      expect(sum("grpc_server_handled_total", labels), method).toBe(count + (method === "Grant" ? 1 : 0));
      expect(sum("grpc_server_handling_seconds_count", { grpc_method: method }), method).toBe(count + (method === "Grant" ? 1 : 0));
    }
    const getResource = { grpc_type: "unary", grpc_service: "c1.connector.v2.ResourceGetterService", grpc_method: "GetResource" };
    expect(value("grpc_server_handled_total", { ...getResource, grpc_code: "Unavailable" })).toBe(1);
    expect(value("grpc_server_handling_seconds_bucket", { ...getResource, le: "+Inf" })).toBe(1);
  });

  it("counts upstream requests by API method and status, as the simulator received them", () => {
    const byRoute = stack.simulator.stats.byRoute;
    expect(byRoute.get("GetUsers")).toBeGreaterThan(0);
    for (const [route, count] of byRoute) expect(sum(`temporalcloud_connector_upstream_requests_total`, { route }), route).toBe(count);
    expect(value("temporalcloud_connector_upstream_requests_total", { route: "GetUser", status: "503" })).toBe(1);
    expect(value("temporalcloud_connector_upstream_requests_total", { route: "GetUser", status: "500" })).toBe(1);
    expect(value("temporalcloud_connector_upstream_retries_total", { route: "GetUser", reason: "unavailable" })).toBe(1);
    const requests = [...byRoute.values()].reduce((a, b) => a + b, 0);
    expect(value("temporalcloud_connector_upstream_request_duration_seconds_count", { route: "GetUsers" })).toBe(byRoute.get("GetUsers"));
    expect(value("temporalcloud_connector_upstream_rate_limit_wait_seconds_count")).toBe(requests);
    expect(value("temporalcloud_connector_async_operation_wait_seconds_count", { outcome: "fulfilled" })).toBe(1);
  });

  it("reports the sync's duration and object counts", () => {
    expect(value("temporalcloud_connector_sync_duration_seconds_count")).toBe(1);
    expect(value("temporalcloud_connector_sync_duration_seconds_sum")).toBeGreaterThan(0);
    const counts = { resources: store.resources.length, entitlements: store.entitlements.length, grants: store.grants.length };
    expect(counts.grants).toBeGreaterThan(10);
    for (const [kind, count] of Object.entries(counts)) {
      expect(value("temporalcloud_connector_last_sync_objects", { kind }), kind).toBe(count);
      expect(value("temporalcloud_connector_synced_objects_total", { kind }), kind).toBe(count);
    }
  });

  it("shows the API key's seconds to expiry, and process metrics", () => {
    const expiry = timestampMs(stack.simulator.store.apiKeys.get(DEMO_IDS.apiKeys.batonConnector)!.spec!.expiryTime!);
    expect(Math.abs(value("temporalcloud_connector_api_key_seconds_until_expiry") - (expiry - Date.now()) / 1000)).toBeLessThan(60);
    expect(value("process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(value("process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(value("nodejs_heap_size_used_bytes")).toBeGreaterThan(1_000_000);
  });

  it("puts no secret and no unbounded value in a label", () => {
    const s = stack.simulator.store;
    const ids = [
      ...[...s.users.values()].flatMap((u) => [u.id, u.spec?.email ?? ""]),
      ...[...s.serviceAccounts.values()].map((a) => a.id),
      ...[...s.userGroups.values()].map((g) => g.id),
      ...[...s.apiKeys.values()].map((k) => k.id),
      ...[...s.namespaces.values()].map((n) => n.namespace),
      ...[...s.operations.keys()],
    ].filter((id) => id.length > 3);
    expect(ids.length).toBeGreaterThan(20);
    expect(text).not.toContain(DEMO_API_KEY);
    const values = new Set(samples.flatMap((sample) => Object.values(sample.labels)));
    for (const v of values) {
      expect(ids.filter((id) => v.includes(id)), v).toEqual([]);
      expect(v).not.toMatch(/\//); // no paths
    }
    const routes = new Set(samples.map((sample) => sample.labels.route).filter((r) => r !== undefined));
    expect([...routes].filter((r) => !/^[A-Z][A-Za-z]+$/.test(r))).toEqual([]);
    expect(routes.size).toBeGreaterThan(5);
  });

  it("serves only GET /metrics", async () => {
    const other = await fetch(`http://127.0.0.1:${endpoint.port}/`);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe("not found: metrics are served at GET /metrics\n");
  });
});
