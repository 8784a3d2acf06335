import { afterEach, describe, expect, it } from "vitest";
import { DEMO_API_KEYS, DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator, SimulatorOptions } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, type Api } from "./simulator-helper.js";

describe("fault injection", () => {
  const running: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });

  async function start(options: Partial<SimulatorOptions>): Promise<{ sim: Simulator; api: Api }> {
    const started = await startDemo(options);
    running.push(started.sim);
    return started;
  }

  async function statuses(api: Api, path: string, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await api.get(path)).status);
    return out;
  }

  it("injects 503s at the configured rate, identically for the same seed", async () => {
    const options = { seed: 42, faults: { status503: 0.3, onlyPaths: /^\/cloud\/users/ } };
    const a = await start(options);
    const b = await start(options);
    const first = await statuses(a.api, "/cloud/users?pageSize=1", 100);
    const second = await statuses(b.api, "/cloud/users?pageSize=1", 100);
    expect(second).toEqual(first);
    const failures = first.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(15);
    expect(failures).toBeLessThan(45);
    expect(a.sim.stats.faultsInjected.get("503")).toBe(failures);
    expect(a.sim.stats.responsesByStatus.get(503)).toBe(failures);
    // Paths outside onlyPaths never fail.
    expect(new Set(await statuses(a.api, "/cloud/namespaces", 20))).toEqual(new Set([200]));
    const other = await start({ ...options, seed: 43 });
    expect(await statuses(other.api, "/cloud/users?pageSize=1", 100)).not.toEqual(first);
  });

  it("answers injected 503/500/504 with a Status body and 502 with HTML", async () => {
    const { sim, api } = await start({ faults: { status503: 1 } });
    expect((await api.get("/cloud/users")).body).toMatchObject({ code: 14 });
    sim.setFaults({ status500: 1 });
    expect((await api.get("/cloud/users")).body).toMatchObject({ code: 13 });
    sim.setFaults({ status504: 1 });
    const timeout = await api.get("/cloud/users");
    expect(timeout.status).toBe(504);
    expect(timeout.body.code).toBe(4);
    sim.setFaults({ status502: 1 });
    const gateway = await api.get("/cloud/users");
    expect(gateway.status).toBe(502);
    expect(gateway.headers.get("content-type")).toBe("text/html");
    expect(gateway.body).toBeUndefined();
    sim.setFaults(undefined);
    expect((await api.get("/cloud/users")).status).toBe(200);
  });

  it("injects 429 with Retry-After and the production message", async () => {
    const { api } = await start({ faults: { status429: 1, retryAfterSeconds: 7 } });
    const reply = await api.get("/cloud/users");
    expect(reply.status).toBe(429);
    expect(reply.headers.get("retry-after")).toBe("7");
    expect(reply.body.code).toBe(8);
    expect(reply.body.message).toBe(
      `rate limit exceeded for principal type=serviceaccount, id=${DEMO_IDS.serviceAccounts.batonConnector}, please retry later.`,
    );
  });

  it("applies a mutation whose response was dropped exactly once across the client's retry", async () => {
    const { sim, api } = await start({ faults: { dropConnection: 1, onlyPaths: /\/access$/ } });
    const { users: U, namespaces: NS } = DEMO_IDS;
    const version = (await api.get(`/cloud/users/${U.frank}`)).body.user.resourceVersion;
    const body = { access: { permission: "PERMISSION_READ" }, resourceVersion: version, asyncOperationId: "lost-1" };
    const path = `/cloud/namespaces/${NS.analytics}/users/${U.frank}/access`;
    await expect(api.post(path, body)).rejects.toThrow();
    expect(sim.stats.droppedConnections).toBe(1);
    sim.setFaults(undefined);
    const retry = await api.post(path, body);
    expect(retry.status).toBe(200);
    expect(retry.body.asyncOperation.id).toBe("lost-1");
    expect(sim.stats.appliedMutations.get("lost-1")).toBe(1);
    const frank = (await api.get(`/cloud/users/${U.frank}`)).body.user;
    expect(frank.spec.access.namespaceAccesses[NS.analytics]).toEqual({ permission: "PERMISSION_READ" });
  });

  it("limits requests per API key per second", async () => {
    const { api } = await start({ rateLimitPerSecond: 5 });
    const results = await statuses(api, "/cloud/account", 8);
    expect(results.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(results.slice(5)).toEqual([429, 429, 429]);
    const limited = await api.get("/cloud/account");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another key has its own budget.
    expect((await api.as(DEMO_API_KEYS.aliceLaptop).get("/cloud/account")).status).toBe(200);
  });

  it("adds latency and serves many concurrent keep-alive requests", async () => {
    const { sim, api } = await start({ latencyMs: 30, jitterMs: 10 });
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: 200 }, () => api.get("/cloud/users?pageSize=5")));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(30);
    expect(sim.stats.peakInFlight).toBeGreaterThan(10);
    sim.setLatency(0);
    const quick = performance.now();
    await api.get("/cloud/account");
    expect(performance.now() - quick).toBeLessThan(30);
  });
});
