import { afterEach, describe, expect, it, vi } from "vitest";
import { DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, waitForOperation, type Api } from "./simulator-helper.js";

const { users: U, namespaces: NS, groups: G } = DEMO_IDS;

describe("mutations", () => {
  let sim: Simulator;
  let api: Api;
  afterEach(async () => {
    vi.useRealTimers();
    await sim.close();
  });

  /**
   * controlClock gives the simulator a clock the test moves: only Date is faked (timers and
   * sockets run for real), and the simulator's store reads Date.now, captured when it starts,
   * to decide how far each async operation has got.
   */
  function controlClock(): void {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-05-01T12:00:00.000Z") });
  }

  async function start(options: Parameters<typeof startDemo>[0] = {}) {
    ({ sim, api } = await startDemo(options));
  }

  async function dave() {
    return (await api.get(`/cloud/users/${U.dave}`)).body.user;
  }

  /** readOnlyDaveSpec is a full spec for dave: updates replace the whole access, his project role included. */
  function readOnlyDaveSpec(extra: Record<string, unknown> = {}) {
    return {
      email: "dave@acme.example",
      access: {
        accountAccess: { role: "ROLE_READ" },
        namespaceAccesses: { [NS.ordersProd]: { permission: "PERMISSION_READ" }, ...extra },
        projectAccesses: { [DEMO_IDS.projects.data]: { role: "PROJECT_ROLE_READ" } },
      },
    };
  }

  it("returns a PENDING operation and applies the change by the next request", async () => {
    await start();
    const before = await dave();
    const reply = await api.post(`/cloud/users/${U.dave}`, {
      spec: readOnlyDaveSpec(),
      resourceVersion: before.resourceVersion,
    });
    expect(reply.status).toBe(200);
    const op = reply.body.asyncOperation;
    expect(op).toMatchObject({ state: "STATE_PENDING", checkDuration: "0.100s", operationType: "UpdateUser" });
    expect(op.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof op.startedTime).toBe("string");
    const after = await dave();
    expect(after.spec.access.namespaceAccesses).toEqual({ [NS.ordersProd]: { permission: "PERMISSION_READ" } });
    expect(after.resourceVersion).not.toBe(before.resourceVersion);
    expect(after.state).toBe("RESOURCE_STATE_ACTIVE");
    expect(after).not.toHaveProperty("asyncOperationId");
    expect(typeof after.lastModifiedTime).toBe("string");
    const done = (await api.get(`/cloud/operations/${op.id}`)).body.asyncOperation;
    expect(done.state).toBe("STATE_FULFILLED");
    expect(typeof done.finishedTime).toBe("string");
    expect(sim.stats.appliedMutations.get(op.id)).toBe(1);
  });

  it("refuses missing and stale resource versions with 400 'resource version mismatch'", async () => {
    await start();
    const before = await dave();
    const missing = await api.post(`/cloud/users/${U.dave}`, { spec: readOnlyDaveSpec() });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe(3);
    expect(missing.body.message).toContain("resource version mismatch");
    const deleteWithout = await api.delete(`/cloud/users/${U.dave}`);
    expect(deleteWithout.status).toBe(400);
    expect(deleteWithout.body.message).toContain("resource version mismatch");

    const first = await api.post(`/cloud/users/${U.dave}`, { spec: readOnlyDaveSpec(), resourceVersion: before.resourceVersion });
    expect(first.status).toBe(200);
    // The version changed when the first write was accepted: the same version is now stale.
    const second = await api.post(`/cloud/namespaces/${NS.analytics}/users/${U.dave}/access`, {
      access: { permission: "PERMISSION_READ" },
      resourceVersion: before.resourceVersion,
    });
    expect(second.status).toBe(400);
    expect(second.body.message).toContain("resource version mismatch");
  });

  it("sees a concurrent change made through the store", async () => {
    await start();
    const before = await dave();
    sim.store.updateUser(U.dave, (spec) => {
      delete spec.access?.namespaceAccesses[NS.analytics];
    });
    const reply = await api.post(`/cloud/users/${U.dave}`, { spec: readOnlyDaveSpec(), resourceVersion: before.resourceVersion });
    expect(reply.status).toBe(400);
    expect(reply.body.message).toContain("resource version mismatch");
  });

  it("lets an onRequest hook change state or inject an error", async () => {
    await start();
    const before = await dave();
    sim.onRequest((req) => {
      if (req.route === "SetUserNamespaceAccess") {
        expect(req.body).toMatchObject({ resourceVersion: before.resourceVersion });
        expect(req.apiKeyId).toBe(DEMO_IDS.apiKeys.batonConnector);
        sim.store.setNamespaceAccess("user", U.dave, NS.paymentsDev, 3);
      }
    });
    const raced = await api.post(`/cloud/namespaces/${NS.analytics}/users/${U.dave}/access`, {
      access: { permission: "PERMISSION_READ" },
      resourceVersion: before.resourceVersion,
    });
    expect(raced.status).toBe(400);
    sim.onRequest((req) => (req.route === "GetUsers" ? { status: 503, code: 14, message: "busy", retryAfterSeconds: 2 } : undefined));
    const injected = await api.get("/cloud/users");
    expect(injected.status).toBe(503);
    expect(injected.headers.get("retry-after")).toBe("2");
    expect(injected.body).toEqual({ code: 14, message: "busy", details: [] });
    sim.onRequest(undefined);
    expect((await api.get("/cloud/users")).status).toBe(200);
  });

  it("refuses updates that change nothing", async () => {
    await start();
    const current = await dave();
    const reply = await api.post(`/cloud/users/${U.dave}`, {
      spec: readOnlyDaveSpec({ [NS.analytics]: { permission: "PERMISSION_WRITE" } }),
      resourceVersion: current.resourceVersion,
    });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe(3);
    expect(reply.body.message).toContain("nothing to change");
    const access = await api.post(`/cloud/namespaces/${NS.analytics}/users/${U.dave}/access`, {
      access: { permission: 2 },
      resource_version: current.resourceVersion,
    });
    expect(access.status).toBe(400);
    expect(access.body.message).toContain("nothing to change");
  });

  it("treats a retried write with the same asyncOperationId as one write", async () => {
    await start();
    const current = await dave();
    const body = {
      spec: readOnlyDaveSpec(),
      resourceVersion: current.resourceVersion,
      asyncOperationId: "retry-1",
    };
    const first = await api.post(`/cloud/users/${U.dave}`, body);
    expect(first.body.asyncOperation.id).toBe("retry-1");
    // The retry uses snake_case and a reordered body: still the same request.
    const retry = await api.post(`/cloud/users/${U.dave}`, {
      async_operation_id: "retry-1",
      resource_version: current.resourceVersion,
      spec: readOnlyDaveSpec(),
    });
    expect(retry.status).toBe(200);
    expect(retry.body.asyncOperation.id).toBe("retry-1");
    expect(retry.body.asyncOperation.state).toBe("STATE_FULFILLED");
    expect(sim.stats.appliedMutations.get("retry-1")).toBe(1);

    const different = await api.post(`/cloud/users/${U.dave}`, { ...body, spec: readOnlyDaveSpec({ [NS.analytics]: { permission: "PERMISSION_READ" } }) });
    expect(different.status).toBe(409);
    expect(different.body.code).toBe(6);
    const otherRoute = await api.delete(`/cloud/users/${U.dave}?resourceVersion=${current.resourceVersion}&asyncOperationId=retry-1`);
    expect(otherRoute.status).toBe(409);
  });

  it("replays a create, returning the same new id", async () => {
    await start();
    const body = { spec: { email: "zoe@acme.example", access: { accountAccess: { role: "ROLE_READ" } } }, asyncOperationId: "create-zoe" };
    const first = await api.post("/cloud/users", body);
    const second = await api.post("/cloud/users", body);
    expect(second.body.userId).toBe(first.body.userId);
    expect(sim.stats.appliedMutations.get("create-zoe")).toBe(1);
    const zoe = (await api.get(`/cloud/users/${first.body.userId}`)).body.user;
    expect(zoe.state).toBe("RESOURCE_STATE_ACTIVE");
    expect(Date.parse(zoe.invitation.expiredTime) - Date.parse(zoe.invitation.createdTime)).toBe(7 * 86_400_000);
    expect((await api.post("/cloud/users", { spec: { email: "ZOE@acme.example" } })).status).toBe(409);
  });

  it("keeps an operation in flight for operationDelayMs and shows it on the resource", async () => {
    controlClock();
    await start({ operationDelayMs: 150, checkDuration: "2s" });
    const operationState = async (id: string) => (await api.get(`/cloud/operations/${id}`)).body.asyncOperation.state;
    const current = await dave();
    const reply = await api.post(`/cloud/users/${U.dave}`, { spec: readOnlyDaveSpec(), resourceVersion: current.resourceVersion });
    const op = reply.body.asyncOperation;
    expect(op.checkDuration).toBe("2s");
    const during = await dave();
    expect(during.state).toBe("RESOURCE_STATE_UPDATING");
    expect(during.asyncOperationId).toBe(op.id);
    expect(during.spec.access.namespaceAccesses[NS.analytics]).toEqual({ permission: "PERMISSION_WRITE" });
    expect(await operationState(op.id)).toBe("STATE_PENDING");
    vi.advanceTimersByTime(74);
    expect(await operationState(op.id)).toBe("STATE_PENDING");
    vi.advanceTimersByTime(1); // half-way
    expect(await operationState(op.id)).toBe("STATE_IN_PROGRESS");
    vi.advanceTimersByTime(74);
    expect(await operationState(op.id)).toBe("STATE_IN_PROGRESS");
    expect((await dave()).spec.access.namespaceAccesses[NS.analytics]).toEqual({ permission: "PERMISSION_WRITE" });
    vi.advanceTimersByTime(1); // operationDelayMs after it was accepted
    const done = await waitForOperation(api, op.id);
    expect(done.state).toBe("STATE_FULFILLED");
    const after = await dave();
    expect(after.state).toBe("RESOURCE_STATE_ACTIVE");
    expect(after.spec.access.namespaceAccesses[NS.analytics]).toBeUndefined();
  });

  it("shows ACTIVATING for a create and DELETING for a delete while they run", async () => {
    controlClock();
    await start({ operationDelayMs: 60 });
    const created = await api.post("/cloud/user-groups", { spec: { displayName: "Night Shift", cloudGroup: {} } });
    const groupId = created.body.groupId;
    expect((await api.get(`/cloud/user-groups/${groupId}`)).body.group.state).toBe("RESOURCE_STATE_ACTIVATING");
    vi.advanceTimersByTime(59);
    expect((await api.get(`/cloud/user-groups/${groupId}`)).body.group.state).toBe("RESOURCE_STATE_ACTIVATING");
    vi.advanceTimersByTime(1);
    await waitForOperation(api, created.body.asyncOperation.id);
    const group = (await api.get(`/cloud/user-groups/${groupId}`)).body.group;
    expect(group.state).toBe("RESOURCE_STATE_ACTIVE");
    const deleted = await api.delete(`/cloud/user-groups/${groupId}?resourceVersion=${group.resourceVersion}`);
    expect((await api.get(`/cloud/user-groups/${groupId}`)).body.group.state).toBe("RESOURCE_STATE_DELETING");
    vi.advanceTimersByTime(60);
    await waitForOperation(api, deleted.body.asyncOperation.id);
    expect((await api.get(`/cloud/user-groups/${groupId}`)).status).toBe(404);
    const again = await api.delete(`/cloud/user-groups/${groupId}?resourceVersion=${group.resourceVersion}`);
    expect(again.status).toBe(404);
  });

  it("applies nothing when an operation fails, is rejected or cancelled", async () => {
    await start();
    const outcomes = ["failed", "rejected", "cancelled"] as const;
    for (const outcome of outcomes) {
      sim.setOperationOutcome(() => (outcome === "failed" ? { state: "failed", reason: "quota exceeded" } : outcome));
      const current = await dave();
      const reply = await api.post(`/cloud/users/${U.dave}`, { spec: readOnlyDaveSpec(), resourceVersion: current.resourceVersion });
      const op = await waitForOperation(api, reply.body.asyncOperation.id);
      expect(op.state).toBe(`STATE_${outcome.toUpperCase()}`);
      if (outcome === "failed") expect(op.failureReason).toBe("quota exceeded");
      expect(typeof op.finishedTime).toBe("string");
      const after = await dave();
      expect(after.spec.access.namespaceAccesses[NS.analytics]).toEqual({ permission: "PERMISSION_WRITE" });
      expect(after.state).toBe("RESOURCE_STATE_ACTIVE");
      expect(sim.stats.appliedMutations.has(reply.body.asyncOperation.id)).toBe(false);
    }
    sim.setOperationOutcome(() => "failed");
    const created = await api.post("/cloud/users", { spec: { email: "nobody@acme.example" } });
    await waitForOperation(api, created.body.asyncOperation.id);
    expect((await api.get(`/cloud/users/${created.body.userId}`)).status).toBe(404);
  });

  it("keeps a 'never' operation IN_PROGRESS and counts it against the concurrency limit", async () => {
    controlClock();
    await start({ maxConcurrentOperations: 2 });
    sim.setOperationOutcome(({ operationType }) => (operationType === "SetUserGroupNamespaceAccess" ? "never" : "fulfilled"));
    const ops: string[] = [];
    for (const [group, namespace] of [
      [G.dataAnalysts, NS.ordersProd],
      [G.platformEngineering, NS.analytics],
    ] as const) {
      const version = (await api.get(`/cloud/user-groups/${group}`)).body.group.resourceVersion;
      const reply = await api.post(`/cloud/namespaces/${namespace}/user-groups/${group}/access`, {
        access: { permission: "PERMISSION_READ" },
        resourceVersion: version,
      });
      expect(reply.status).toBe(200);
      ops.push(reply.body.asyncOperation.id);
    }
    vi.advanceTimersByTime(24 * 60 * 60 * 1000); // a day later: still running
    expect((await api.get(`/cloud/operations/${ops[0]}`)).body.asyncOperation.state).toBe("STATE_IN_PROGRESS");
    const group = (await api.get(`/cloud/user-groups/${G.dataAnalysts}`)).body.group;
    expect(group.state).toBe("RESOURCE_STATE_UPDATING");
    expect(group.spec.access.namespaceAccesses[NS.ordersProd]).toBeUndefined();
    const third = await api.post(`/cloud/user-groups/${G.finance}/members`, { memberId: { userId: U.frank } });
    expect(third.status).toBe(429);
    expect(third.body.code).toBe(8);
  });
});
