import { EventEmitter, once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountManagerService, ConnectorService, ResourceGetterService } from "../../src/connector/c1.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../src/gen/grpc/health/v1/health_pb.js";
import { createLogger } from "../../src/logger.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { startMetricsServer } from "../../src/metrics/metrics-server.js";
import type { ConnectionLimits, ConnectionObserver, Listener } from "../../src/server/connection-guard.js";
import { startHealthServer } from "../../src/server/health-server.js";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server/server.js";
import { createGrpcClient, type GrpcClient } from "../../src/sync/grpc-client.js";
import { createCertificateAuthority, type CertificateAuthority } from "../helpers/certs.js";
import { expectCode } from "../helpers/grpc.js";
import { connectH2, envelope } from "../helpers/raw-h2.js";
import { startStack, type Stack } from "../helpers/stack.js";

// Issue 24: what an attacker on the network or in a request could do, each point reproduced.
// Small limits keep every wait short; each test waits for the event it expects (a socket's or
// a stream's close), never for a fixed time.

const LIMITS: ConnectionLimits = { handshakeTimeoutMs: 300, idleTimeoutMs: 600, maxConnections: 1024, requestReadTimeoutMs: 300 };
const MiB = 1024 * 1024;

/** watchConnections is a ConnectionObserver that counts, and emits each event for tests to await. */
function watchConnections(): ConnectionObserver & { events: EventEmitter; open: number; closed: number; refused: number } {
  const events = new EventEmitter();
  const watch = {
    events,
    open: 0,
    closed: 0,
    refused: 0,
    connectionOpened(listener: Listener) {
      watch.open++;
      events.emit("opened", listener);
    },
    connectionClosed(listener: Listener) {
      watch.open--;
      watch.closed++;
      events.emit("closed", listener);
    },
    connectionRefused(listener: Listener) {
      watch.refused++;
      events.emit("refused", listener);
    },
  };
  return watch;
}

/** until resolves once check() holds, checking again on every event of the emitter. */
async function until(events: EventEmitter, check: () => boolean): Promise<void> {
  while (!check()) await Promise.race([once(events, "opened"), once(events, "closed"), once(events, "refused")]);
}

/**
 * silentSocket opens a TCP connection that sends `bytes` (or nothing) and then waits. It reads
 * (and drops) what the server sends, so that it sees the server's FIN and closes.
 */
async function silentSocket(port: number, bytes?: string): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  socket.resume();
  await once(socket, "connect");
  if (bytes) socket.write(bytes);
  return socket;
}

/** closeTime resolves to how long after `since` the socket closed. */
async function closeTime(socket: net.Socket | tls.TLSSocket, since: number): Promise<number> {
  if (!socket.closed) await once(socket, "close");
  return performance.now() - since;
}

describe("connections: handshake, idle and request timeouts, and a cap (issue 24, point 2)", () => {
  let stack: Stack;
  let server: RunningServer;
  const watch = watchConnections();
  const servers: { close(): Promise<void> }[] = [];
  const serve = async (options: Partial<ServerOptions>) => {
    const started = await startServer({ connector: stack.app.connector, log: createLogger({ level: "error", format: "json" }), host: "127.0.0.1", port: 0, drainTimeoutMs: 500, ...options });
    servers.push(started);
    return started;
  };

  beforeAll(async () => {
    stack = await startStack();
    server = await serve({ limits: LIMITS, connectionObserver: watch });
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await stack.close();
  });

  it("closes a connection that sends no byte, or half a preface, after the handshake timeout", async () => {
    for (const bytes of [undefined, "PRI * HTTP/2.0\r\n"]) {
      const started = performance.now();
      const socket = await silentSocket(server.port, bytes);
      expect(await closeTime(socket, started)).toBeGreaterThanOrEqual(LIMITS.handshakeTimeoutMs - 50);
    }
  });

  it("closes a TLS connection that never completes its handshake, or sends no preface after it", async () => {
    const ca = await createCertificateAuthority("ecdsa-p256");
    const leaf = await ca.issue("c1-connector-server");
    const secure = await serve({ tls: { cert: leaf.cert, key: leaf.key }, limits: LIMITS });
    let started = performance.now();
    expect(await closeTime(await silentSocket(secure.port), started)).toBeGreaterThanOrEqual(LIMITS.handshakeTimeoutMs - 50);
    const socket = tls.connect({ host: "127.0.0.1", port: secure.port, ca: ca.cert, ALPNProtocols: ["h2"] });
    socket.on("error", () => {});
    socket.resume();
    await once(socket, "secureConnect");
    started = performance.now();
    expect(await closeTime(socket, started)).toBeGreaterThanOrEqual(LIMITS.handshakeTimeoutMs - 50);
  });

  it("closes a connection without calls after the idle timeout with a GOAWAY, though it pings; the pings are answered", async () => {
    const session = await connectH2(`127.0.0.1:${server.port}`);
    let acked = 0;
    const pinger = setInterval(() => session.ping((err) => void (err || acked++)), LIMITS.idleTimeoutMs / 6);
    const started = performance.now();
    const [code] = (await once(session, "goaway")) as [number];
    clearInterval(pinger);
    expect(code).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(performance.now() - started).toBeGreaterThanOrEqual(LIMITS.idleTimeoutMs - 50);
    expect(acked).toBeGreaterThanOrEqual(2);
    session.destroy();
  });

  it("keeps a connection open through a call longer than the idle timeout; a keep-alive client reconnects after an idle close without a failed call", async () => {
    const client = createGrpcClient({
      address: `127.0.0.1:${server.port}`,
      channelOptions: { "grpc.keepalive_time_ms": 100, "grpc.keepalive_timeout_ms": 1000, "grpc.keepalive_permit_without_calls": 1 },
    });
    try {
      // Connections of the tests before have gone: every close from here on is this client's.
      await until(watch.events, () => watch.open === 0);
      const closedBefore = watch.closed;
      stack.simulator.setLatency(LIMITS.idleTimeoutMs * 2);
      try {
        expect((await client.call(ConnectorService.method.validate, {})).sdkVersion).toBe("v0.25.0");
      } finally {
        stack.simulator.setLatency(0);
      }
      // The call took twice the idle timeout: an idle timer running meanwhile would have fired.
      expect(watch.closed).toBe(closedBefore);
      // Now without calls, only pings: the server closes it, and the next call opens another.
      await until(watch.events, () => watch.closed > closedBefore);
      expect((await client.call(ConnectorService.method.validate, {})).sdkVersion).toBe("v0.25.0");
    } finally {
      client.close();
    }
  });

  it("resets a call whose request does not arrive (headers alone, or part of its message) after the request timeout", async () => {
    const session = await connectH2(`127.0.0.1:${server.port}`);
    try {
      for (const body of [undefined, envelope(new Uint8Array(10), 100)]) {
        const stream = session.request({ ":method": "POST", ":path": "/c1.connector.v2.ResourcesService/ListResources", "content-type": "application/grpc", te: "trailers" });
        stream.on("error", () => {});
        stream.on("data", () => {});
        if (body) stream.write(body);
        const started = performance.now();
        await once(stream, "close");
        expect(stream.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
        expect(performance.now() - started).toBeGreaterThanOrEqual(LIMITS.requestReadTimeoutMs - 50);
      }
    } finally {
      session.destroy();
    }
  });

  it("refuses connections beyond --max-connections on arrival, counts and logs them, and accepts again once one closes", async () => {
    const logs: string[] = [];
    const metrics = createMetrics({ processMetrics: false });
    const capped = watchConnections();
    const observer: ConnectionObserver = {
      connectionOpened: (l) => (metrics.connectionOpened(l), capped.connectionOpened(l)),
      connectionClosed: (l) => (metrics.connectionClosed(l), capped.connectionClosed(l)),
      connectionRefused: (l) => (metrics.connectionRefused(l), capped.connectionRefused(l)),
    };
    const log = createLogger({ level: "info", format: "json", destination: { write: (line: string) => logs.push(line) } });
    const small = await serve({ log, limits: { ...LIMITS, handshakeTimeoutMs: 60_000, idleTimeoutMs: 60_000, maxConnections: 3 }, connectionObserver: observer });
    const held = await Promise.all([1, 2, 3].map(() => silentSocket(small.port)));
    await until(capped.events, () => capped.open === 3);
    const started = performance.now();
    const extra = await silentSocket(small.port);
    await closeTime(extra, started);
    expect(capped.refused).toBe(1);
    expect(logs.filter((l) => l.includes("connection limit reached"))).toHaveLength(1);
    expect(JSON.parse(logs.find((l) => l.includes("connection limit reached"))!)).toMatchObject({ level: 40, listener: "grpc", maxConnections: 3 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('temporalcloud_connector_connections_refused_total{listener="grpc"} 1');
    expect(text).toContain('temporalcloud_connector_connections_open{listener="grpc"} 3');
    held[0]!.destroy();
    await until(capped.events, () => capped.open === 2);
    const client = createGrpcClient({ address: `127.0.0.1:${small.port}` });
    try {
      expect((await client.call(Health.method.check, {})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      client.close();
      for (const socket of held) socket.destroy();
    }
  });

  it("applies the same limits to the health-only port (--health-listen)", async () => {
    const watchHealth = watchConnections();
    const health = await startHealthServer({ health: server.health, host: "127.0.0.1", port: 0, log: createLogger({ level: "error", format: "json" }), limits: { ...LIMITS, maxConnections: 1 }, connectionObserver: watchHealth });
    servers.push(health);
    const started = performance.now();
    const silent = await silentSocket(health.port);
    await until(watchHealth.events, () => watchHealth.open === 1);
    // The cap: a second connection is closed on arrival while the first one is open.
    await closeTime(await silentSocket(health.port), performance.now());
    expect(watchHealth.refused).toBe(1);
    // The handshake timeout: the silent one is closed.
    expect(await closeTime(silent, started)).toBeGreaterThanOrEqual(LIMITS.handshakeTimeoutMs - 50);
  });
});

describe("the metrics port", () => {
  it("closes connections beyond --max-connections on arrival", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const endpoint = await startMetricsServer({ registry: metrics.registry, host: "127.0.0.1", port: 0, maxConnections: 1 });
    try {
      const held = await silentSocket(endpoint.port);
      const extra = await silentSocket(endpoint.port);
      await closeTime(extra, performance.now());
      expect(held.closed).toBe(false);
      held.destroy();
    } finally {
      await endpoint.close();
    }
  });
});

describe("hostile requests (issue 24, points 1 and 4)", () => {
  let stack: Stack;
  let probe: GrpcClient;
  beforeAll(async () => {
    stack = await startStack({ provisioning: true });
    // Another connection: the health checks do not queue behind the big uploads.
    probe = createGrpcClient({ address: stack.address, deadlineMs: 30_000 });
  });
  afterAll(async () => {
    probe.close();
    await stack.close();
  });

  it("answers a 4 MiB login or email with INVALID_ARGUMENT while a concurrent health check is not held up", async () => {
    // Dots after the "@" and an end that fails (quadratic for the old pattern); the request stays under 4 MiB.
    const hostile = `a@${"a.".repeat((4 * MiB - 1024) / 2)}@`;
    const before = stack.simulator.stats.requests;
    const uploads = [{ login: hostile }, { emails: [{ address: hostile, isPrimary: true }] }, { profile: { email: hostile } }].map((accountInfo) =>
      expectCode(stack.client.call(AccountManagerService.method.createAccount, { accountInfo }), grpc.status.INVALID_ARGUMENT),
    );
    let done = false;
    const checks = (async () => {
      const latencies: number[] = [];
      while (!done) {
        const started = performance.now();
        expect((await probe.call(Health.method.check, {})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
        latencies.push(performance.now() - started);
      }
      return latencies;
    })();
    const messages = await Promise.all(uploads).finally(() => (done = true));
    const latencies = await checks;
    expect(messages[0]).toMatch(/account_info\.login must be at most 65536 bytes long/);
    expect(messages[1]).toMatch(/account_info\.emails\[0\]\.address must be at most 254 bytes long/);
    expect(messages[2]).toMatch(/is not a valid email address to invite/);
    // Each check took milliseconds; the quadratic pattern held the process for hours.
    expect(latencies.length).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(1_000);
    expect(stack.simulator.stats.requests).toBe(before);
  });

  it('refuses the ids "." and ".." with INVALID_ARGUMENT before any upstream request', async () => {
    const before = stack.simulator.stats.requests;
    for (const resource of [".", ".."]) {
      const message = await expectCode(stack.client.call(ResourceGetterService.method.getResource, { resourceId: { resourceType: "user", resource } }), grpc.status.INVALID_ARGUMENT);
      expect(message).toContain(`resource_id.resource "${resource}" is not a resource id`);
    }
    expect(stack.simulator.stats.requests).toBe(before);
  });
});

describe("mutual TLS limited to client certificates with an allowed SAN (issue 24, point 7)", () => {
  let stack: Stack;
  let ca: CertificateAuthority;
  const logs: string[] = [];
  const clients: GrpcClient[] = [];
  const client = (identity: { cert: string; key: string }) => {
    const credentials = grpc.credentials.createSsl(Buffer.from(ca.cert), Buffer.from(identity.key), Buffer.from(identity.cert));
    const c = createGrpcClient({ address: stack.address, credentials, deadlineMs: 20_000 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    ca = await createCertificateAuthority("ed25519", "shared-cluster-issuer");
    const leaf = await ca.issue("c1-connector-server");
    const log = createLogger({ level: "info", format: "json", destination: { write: (line: string) => logs.push(line) } });
    stack = await startStack({ server: { log, tls: { cert: leaf.cert, key: leaf.key, clientCa: ca.cert, clientSans: ["Baton-Agent.c1.svc", "spiffe://cluster.local/ns/c1/sa/agent"] } } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await stack.close();
  });

  it("serves certificates that name an allowed DNS name (any case) or URI", async () => {
    for (const names of [{ dns: ["baton-agent.c1.svc"] }, { uri: ["spiffe://cluster.local/ns/c1/sa/agent"] }]) {
      const api = client(await ca.issue("agent", names));
      expect((await api.call(ConnectorService.method.validate, {})).sdkVersion).toBe("v0.25.0");
    }
  });

  it("answers UNAUTHENTICATED, before any upstream request, to another certificate of the same CA, and logs it", async () => {
    const before = stack.simulator.stats.requests;
    const cases = [{}, { dns: ["other-workload.c1.svc", "*.c1.svc"] }, { uri: ["spiffe://cluster.local/ns/c1/sa/agent/x"] }];
    for (const names of cases) {
      const message = await expectCode(client(await ca.issue("other-workload", names)).call(ConnectorService.method.validate, {}), grpc.status.UNAUTHENTICATED);
      expect(message).toContain("--tls-client-san");
    }
    expect(stack.simulator.stats.requests).toBe(before);
    const refusals = logs.filter((l) => l.includes("client certificate refused")).map((l) => JSON.parse(l) as { level: number | string; sans: string[]; subject: string });
    expect(refusals).toHaveLength(cases.length);
    expect(refusals[1]!.sans).toEqual(["DNS:other-workload.c1.svc", "DNS:*.c1.svc"]);
    expect(refusals[1]!.subject).toContain("CN=other-workload");
  });
});
