import * as net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConnectorService, GrantsService } from "../../src/connector/c1.js";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../src/gen/grpc/health/v1/health_pb.js";
import { DEMO_API_KEY, generateAccount, startSimulator, createDemoAccount, type Simulator } from "../../src/simulator/temporal/index.js";
import { createGrpcClient, type GrpcClient } from "../../src/sync/grpc-client.js";
import { createTlsMaterial } from "../helpers/certs.js";
import { startCli, type CliProcess } from "../helpers/cli-process.js";
import { expectCode, grpcError } from "../helpers/grpc.js";
import { openServerStream, type ServerStream } from "../helpers/grpc-streams.js";
import { startStack, type Stack } from "../helpers/stack.js";

type HealthStatus = { status: ServingStatus };

/** Everything a test opened, closed after it whatever happened. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stackOf(options: Parameters<typeof startStack>[0] = {}): Promise<Stack> {
  const stack = await startStack(options);
  cleanups.push(() => stack.close());
  return stack;
}

function rawClient(address: string): grpc.Client {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  cleanups.push(() => client.close());
  return client;
}

function apiClient(address: string, deadlineMs?: number): GrpcClient {
  const client = createGrpcClient({ address, deadlineMs });
  cleanups.push(() => client.close());
  return client;
}

function watchHealth(client: grpc.Client, service = ""): ServerStream<HealthStatus> {
  const stream = openServerStream(client, Health.method.watch, { service });
  cleanups.push(() => stream.cancel());
  return stream;
}

/** tracked lets a test ask whether a promise has settled yet, without waiting for it. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

/** upstreamInFlight waits until the simulator is working on at least `n` requests. */
async function upstreamInFlight(simulator: Simulator, n = 1): Promise<void> {
  await vi.waitFor(() => expect(simulator.stats.inFlight).toBeGreaterThanOrEqual(n), { timeout: 10_000, interval: 5 });
}

/**
 * drained resolves once every reaction already queued has run: promise jobs, and the immediates
 * the connector uses to let requests go out. Work that reacts to an event (a cancel, a value
 * that has loaded) has then either started its next request or never will.
 */
async function drained(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** upstreamIdle waits until no upstream request is open any more (answered or abandoned). */
async function upstreamIdle(simulator: Simulator): Promise<void> {
  await vi.waitFor(() => expect(simulator.stats.inFlight).toBe(0), { timeout: 10_000, interval: 5 });
}

describe("health", () => {
  it("answers Check and List with SERVING while up, and NOT_FOUND for an unknown service", async () => {
    const stack = await stackOf();
    const api = apiClient(stack.address);
    expect((await api.call(Health.method.check, { service: "" })).status).toBe(ServingStatus.SERVING);
    expect((await api.call(Health.method.check, { service: "c1.connector.v2.ResourcesService" })).status).toBe(ServingStatus.SERVING);
    await expectCode(api.call(Health.method.check, { service: "no.such.Service" }), grpc.status.NOT_FOUND);
    const { statuses } = await api.call(Health.method.list, {});
    expect(statuses[""]?.status).toBe(ServingStatus.SERVING);
    expect(statuses["c1.connector.v2.GrantsService"]?.status).toBe(ServingStatus.SERVING);
  });

  it("streams SERVING, then NOT_SERVING as soon as close() starts, while a call still drains", async () => {
    const stack = await stackOf({ server: { drainTimeoutMs: 30_000 } });
    const api = apiClient(stack.address);
    await api.call(ConnectorService.method.validate, {}); // caches the account id: later calls make one request
    const watch = watchHealth(rawClient(stack.address));
    expect((await watch.next()).status).toBe(ServingStatus.SERVING);

    stack.simulator.hold(); // answered only if the test lets it: the call is in flight until cancelled
    const cancel = new AbortController();
    const slow = tracked(api.call(ConnectorService.method.validate, {}, cancel.signal));
    await upstreamInFlight(stack.simulator);
    const closing = tracked(stack.server.close());

    expect((await watch.next()).status).toBe(ServingStatus.NOT_SERVING);
    expect(stack.server.health.serving).toBe(false);
    expect(slow.settled()).toBe(false); // NOT_SERVING came while the call was still in flight
    expect(closing.settled()).toBe(false);
    // The watch ends (OK) after NOT_SERVING, so a health watcher never holds the drain open.
    expect((await watch.ended).code).toBe(grpc.status.OK);
    cancel.abort(); // the last call gone, the drain is over
    await closing.promise;
  });

  it("does not let an idle Watch stream hold close() until the drain timeout", async () => {
    const stack = await stackOf({ server: { drainTimeoutMs: 30_000 } });
    const watch = watchHealth(rawClient(stack.address));
    expect((await watch.next()).status).toBe(ServingStatus.SERVING);
    const closed = await Promise.race([stack.server.close().then(() => "closed"), sleep(10_000).then(() => "still draining")]);
    expect(closed).toBe("closed");
    expect((await watch.next()).status).toBe(ServingStatus.NOT_SERVING);
    expect((await watch.ended).code).toBe(grpc.status.OK);
  });
});

describe("graceful stop of the server (close)", () => {
  it("lets an in-flight call finish, refuses new calls, then closes", async () => {
    const stack = await stackOf({ server: { drainTimeoutMs: 30_000 } });
    const api = apiClient(stack.address);
    await api.call(ConnectorService.method.validate, {});
    const release = stack.simulator.hold(); // the call stays in flight until the checks below are done
    const slow = tracked(api.call(ConnectorService.method.validate, {}));
    await upstreamInFlight(stack.simulator);
    const closing = tracked(stack.server.close());

    // New calls: on the connection that got GOAWAY, and on a fresh one.
    await expectCode(api.call(ConnectorService.method.getMetadata, {}), grpc.status.UNAVAILABLE);
    await expectCode(apiClient(stack.address).call(ConnectorService.method.getMetadata, {}), grpc.status.UNAVAILABLE);
    expect(slow.settled()).toBe(false);
    release();

    expect((await slow.promise).sdkVersion).toBe("v0.25.0");
    await closing.promise;
  });

  it("cancels a call that outlives the drain timeout, upstream request included, and still closes", async () => {
    const stack = await stackOf({ server: { drainTimeoutMs: 200 } });
    const api = apiClient(stack.address);
    await api.call(ConnectorService.method.validate, {});
    stack.simulator.hold(); // the call is in flight until it is cancelled
    const slow = tracked(api.call(ConnectorService.method.validate, {}));
    await upstreamInFlight(stack.simulator);

    const closed = await Promise.race([stack.server.close().then(() => "closed"), sleep(10_000).then(() => "hung")]);
    expect(closed).toBe("closed");
    const err = await grpcError(slow.promise);
    expect([grpc.status.CANCELLED, grpc.status.UNAVAILABLE]).toContain(err.code);
    await upstreamIdle(stack.simulator); // the upstream request was abandoned, not left to run for a minute
  });

  it("does not wait for a connection stuck before its TLS handshake", async () => {
    const material = await createTlsMaterial("ed25519");
    const stack = await stackOf({ server: { drainTimeoutMs: 200, tls: { cert: material.server.cert, key: material.server.key, clientCa: material.ca } } });
    // A client that connects and says nothing: Node would wait 120 s (handshakeTimeout) for it.
    const socket = net.connect(stack.server.port, "127.0.0.1");
    cleanups.push(() => socket.destroy());
    await new Promise((resolve) => socket.once("connect", resolve));
    const closed = await Promise.race([stack.server.close().then(() => "closed"), sleep(10_000).then(() => "hung")]);
    expect(closed).toBe("closed");
  });
});

describe("SIGTERM on the real CLI process", () => {
  /** serveAgainst runs `serve` against a simulator of the test's, so the test controls upstream latency. */
  async function serveAgainst(simulator: Simulator, drainTimeout: string): Promise<{ cli: CliProcess; address: string }> {
    const cli = startCli(["serve", "--listen", "127.0.0.1:0", "--base-url", simulator.url, "--allow-insecure", "--drain-timeout", drainTimeout, "--log-level", "info"], {
      BATON_API_KEY: DEMO_API_KEY,
    });
    cleanups.push(() => cli.stop());
    const serving = await cli.waitForLog("connector serving");
    return { cli, address: serving.address as string };
  }

  async function simulatorOf(): Promise<Simulator> {
    const simulator = await startSimulator({ account: createDemoAccount() });
    cleanups.push(() => simulator.close());
    return simulator;
  }

  it("drains the in-flight call, reports NOT_SERVING, refuses new calls and exits 0 within the drain timeout", async () => {
    const simulator = await simulatorOf();
    const { cli, address } = await serveAgainst(simulator, "10s");
    const api = apiClient(address);
    await api.call(ConnectorService.method.validate, {});
    const watch = watchHealth(rawClient(address));
    expect((await watch.next()).status).toBe(ServingStatus.SERVING);

    const release = simulator.hold(); // the call stays in flight until the checks below are done
    const slow = tracked(api.call(ConnectorService.method.validate, {}));
    await upstreamInFlight(simulator);
    const signalled = performance.now();
    cli.child.kill("SIGTERM");

    expect((await watch.next()).status).toBe(ServingStatus.NOT_SERVING);
    await cli.waitForLog("shutting down");
    await expectCode(apiClient(address).call(ConnectorService.method.getMetadata, {}), grpc.status.UNAVAILABLE);
    expect(slow.settled()).toBe(false);
    release();

    expect((await slow.promise).sdkVersion).toBe("v0.25.0");
    const exit = await cli.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalled).toBeLessThan(10_000); // --drain-timeout
  });

  it("cancels a call that outlives --drain-timeout and still exits", async () => {
    const simulator = await simulatorOf();
    const { cli, address } = await serveAgainst(simulator, "300ms");
    const api = apiClient(address);
    await api.call(ConnectorService.method.validate, {});
    simulator.hold(); // the call is in flight until it is cancelled
    const slow = tracked(api.call(ConnectorService.method.validate, {}));
    await upstreamInFlight(simulator);
    const signalled = performance.now();
    cli.child.kill("SIGTERM");

    const err = await grpcError(slow.promise);
    expect([grpc.status.CANCELLED, grpc.status.UNAVAILABLE]).toContain(err.code);
    const exit = await cli.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalled).toBeLessThan(10_000); // far below the minute the upstream would take
    await upstreamIdle(simulator);
  });

  it("demo exits 0 on SIGTERM and on SIGINT", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const cli = startCli(["demo", "--listen", "127.0.0.1:0"]);
      cleanups.push(() => cli.stop());
      const line = await cli.waitForLine("stdout", /serving gRPC on/);
      // The CLI prints its address a moment before it installs its signal handlers (see the
      // report on src/cli/cli.ts): a served call proves the handlers are in place.
      const api = apiClient(/on ([^ ]+:\d+),/.exec(line)![1]!);
      await api.call(ConnectorService.method.getMetadata, {});
      cli.child.kill(signal);
      expect(await cli.exited).toMatchObject({ code: 0, signal: null });
    }
  });
});

describe("deadlines and cancellation reach the upstream requests", () => {
  it("a client deadline aborts the upstream request", async () => {
    const stack = await stackOf();
    await stack.client.call(ConnectorService.method.validate, {});
    stack.simulator.hold(); // the call is in flight until it is cancelled
    const before = stack.simulator.stats.requests;
    const call = apiClient(stack.address, 1_000).call(ConnectorService.method.validate, {});
    await upstreamInFlight(stack.simulator);
    await expectCode(call, grpc.status.DEADLINE_EXCEEDED);
    await upstreamIdle(stack.simulator); // abandoned, not left to run for its minute
    expect(stack.simulator.stats.requests).toBe(before + 1); // one GetCurrentIdentity, never retried
  });

  it("a client cancel aborts the upstream request", async () => {
    const stack = await stackOf();
    await stack.client.call(ConnectorService.method.validate, {});
    stack.simulator.hold(); // the call is in flight until it is cancelled
    const cancel = new AbortController();
    const call = stack.client.call(ConnectorService.method.validate, {}, cancel.signal);
    await upstreamInFlight(stack.simulator);
    cancel.abort();
    await expectCode(call, grpc.status.CANCELLED);
    await upstreamIdle(stack.simulator);
  });

  // The grants of an account role come from the access index, which reads every user, service
  // account, group and namespace: with 5,500 users that is six sequential pages of users alone.
  // A cancelled call must stop the walk.
  const account = generateAccount({ users: 5_500, serviceAccounts: 20, namespaces: 3, groups: 3, customRoles: 1, apiKeys: 5, seed: 11, accountId: "gen42" });
  const readRole = { id: { resourceType: "account-role", resource: "gen42-read" } };
  const LATENCY_MS = 100;

  it.each([
    ["outside a sync", ""],
    ["inside a sync (shared snapshot)", "2Qf0lUu7mG1Y0aCjcSk4nW1xZ2b"],
  ])("a cancelled ListGrants abandons the page in flight and asks for no more (%s)", async (_what, activeSyncId) => {
    // No pacing: a request the connector starts is counted at once, never after a limiter's wait.
    const stack = await stackOf({ account, connector: { rateLimit: 1_000_000 } });
    await stack.client.call(ConnectorService.method.validate, {}); // caches the account id
    stack.simulator.setLatency(LATENCY_MS);
    // As the first page of users is answered, every later request is made to hang for a minute,
    // so page 2 is sure to hang.
    let page2Asked = false;
    let requestsWithPage2 = -1;
    stack.simulator.onRequest((req) => {
      if (req.route !== "GetUsers") return;
      if (!req.query.get("pageToken")) stack.simulator.setLatency(60_000);
      else if (!page2Asked) {
        page2Asked = true;
        requestsWithPage2 = stack.simulator.stats.requests;
      }
    });
    const cancel = new AbortController();
    const call = stack.client.call(GrantsService.method.listGrants, { resource: readRole, activeSyncId }, cancel.signal);
    await vi.waitFor(() => expect(page2Asked).toBe(true), { timeout: 10_000, interval: 2 });
    const { requests: started, retries } = stack.app.transport.stats;
    cancel.abort(); // page 2 is in flight
    await expectCode(call, grpc.status.CANCELLED);
    // The connector saw the cancel: page 2 was abandoned, not awaited for its minute.
    await upstreamIdle(stack.simulator);
    await drained();
    // Counted where requests start (and a retry where it is decided, before its backoff), so
    // nothing started since is missed: no retry, no next page.
    expect(stack.app.transport.stats).toMatchObject({ requests: started, retries });
    expect(stack.simulator.stats.requests).toBe(requestsWithPage2);
  });

  /**
   * A call cancelled while it awaited something not tied to its signal (the account id, which
   * TemporalAccount.accountId shares between callers on purpose) must not start the access-index
   * walk on its way out: SharedFetches.get checks the caller's signal before starting a fetch.
   */
  it("a ListGrants cancelled while the account id loads does not walk the lists", async () => {
    const stack = await stackOf({ account }); // cold: the account id is not cached yet
    stack.simulator.setLatency(LATENCY_MS);
    const cancel = new AbortController();
    const call = stack.client.call(GrantsService.method.listGrants, { resource: readRole }, cancel.signal);
    await upstreamInFlight(stack.simulator); // GetAccount
    cancel.abort();
    await expectCode(call, grpc.status.CANCELLED);
    // The account id loads on (it is shared on purpose); the moment it has, a call that missed
    // its cancel would start the walk. The call awaited it first, so it reacts first.
    expect(await stack.app.account.accountId()).toBe("gen42");
    await drained();
    expect(stack.app.transport.stats.requests).toBe(1); // GetAccount alone
    expect(stack.simulator.stats.byRoute.get("GetUsers") ?? 0).toBe(0);
  });
});

