import { afterEach, describe, expect, it, vi } from "vitest";
import { createDemoAccount, DEMO_API_KEYS, DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { createApi, startDemo, type Api } from "./simulator-helper.js";

const { users: U, namespaces: NS, serviceAccounts: SA, apiKeys: K } = DEMO_IDS;
const DAY = 24 * 60 * 60 * 1000;

describe("audit log", () => {
  let sim: Simulator;
  let api: Api;
  afterEach(() => sim.close());

  /** A clock the test moves; the simulator's account lives on it. */
  function clock(start = Date.parse("2025-06-02T12:00:00Z")) {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  const logs = async (query = "", as: Api = api) => {
    const reply = await as.get(`/cloud/audit-logs${query}`);
    expect(reply.status, reply.text).toBe(200);
    return reply.body as { logs?: Record<string, any>[]; nextPageToken?: string };
  };

  it("logs an accepted mutation with the LogRecord JSON shape and the request's fields", async () => {
    ({ sim, api } = await startDemo());
    const dave = (await api.get(`/cloud/users/${U.dave}`)).body.user;
    const reply = await api.post(`/cloud/namespaces/${NS.paymentsDev}/users/${U.dave}/access`, {
      access: { permission: "PERMISSION_READ" },
      resourceVersion: dave.resourceVersion,
      asyncOperationId: "op-read-for-dave",
    });
    expect(reply.status).toBe(200);
    const { logs: records } = await logs();
    expect(records).toHaveLength(1);
    const record = records![0]!;
    expect(Object.keys(record).sort()).toEqual(["asyncOperationId", "emitTime", "logId", "operation", "principal", "rawDetails", "status", "version"]);
    expect(record).toMatchObject({
      operation: "SetUserNamespaceAccessAPI",
      status: "OK",
      asyncOperationId: "op-read-for-dave",
      principal: { type: "serviceaccount", id: SA.batonConnector, name: "baton-connector", apiKeyId: K.batonConnector },
      rawDetails: { namespace: NS.paymentsDev, userId: U.dave, access: { permission: "PERMISSION_READ" }, resourceVersion: dave.resourceVersion, asyncOperationId: "op-read-for-dave" },
    });
    expect(record.logId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(record.emitTime as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("logs refused requests with status ERROR, and neither reads nor requests refused before the service", async () => {
    ({ sim, api } = await startDemo());
    // Bob is a Global Admin: his namespace access cannot be set.
    const bob = (await api.get(`/cloud/users/${U.bob}`)).body.user;
    const refused = await api.post(`/cloud/namespaces/${NS.paymentsDev}/users/${U.bob}/access`, { access: { permission: "PERMISSION_READ" }, resourceVersion: bob.resourceVersion });
    expect(refused.status).toBe(400);
    expect((await api.as("not-a-key").post(`/cloud/users/${U.dave}`, {})).status).toBe(401);
    await api.get("/cloud/users");
    const { logs: records } = await logs();
    expect(records!.map((r) => [r.operation, r.status, r.rawDetails.userId])).toEqual([["SetUserNamespaceAccessAPI", "ERROR", U.bob]]);
    expect(records![0]!.asyncOperationId).toBeUndefined();
  });

  it("logs deletions with their query fields", async () => {
    ({ sim, api } = await startDemo());
    const key = (await api.get(`/cloud/api-keys/${K.carolCli}`)).body.apiKey;
    expect((await api.delete(`/cloud/api-keys/${K.carolCli}?resourceVersion=${key.resourceVersion}`)).status).toBe(200);
    const { logs: records } = await logs();
    expect(records![0]).toMatchObject({ operation: "DeleteAPIKey", status: "OK", rawDetails: { keyId: K.carolCli, resourceVersion: key.resourceVersion } });
  });

  it("serves the newest records first, page by page, within [startTimeInclusive, endTimeExclusive)", async () => {
    const time = clock();
    ({ sim, api } = await startDemo({ clock: time.now }));
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      at.push(time.now());
      sim.chaos();
      time.advance(1000);
    }
    const first = await logs("?pageSize=2");
    expect(first.logs!.map((r) => Date.parse(r.emitTime))).toEqual([at[4], at[3]]);
    const second = await logs(`?pageSize=2&pageToken=${first.nextPageToken}`);
    expect(second.logs!.map((r) => Date.parse(r.emitTime))).toEqual([at[2], at[1]]);
    const third = await logs(`?pageSize=2&pageToken=${second.nextPageToken}`);
    expect(third.logs!.map((r) => Date.parse(r.emitTime))).toEqual([at[0]]);
    expect(third.nextPageToken).toBeUndefined();
    const window = await logs(`?startTimeInclusive=${new Date(at[1]!).toISOString()}&endTimeExclusive=${new Date(at[3]!).toISOString()}`);
    expect(window.logs!.map((r) => Date.parse(r.emitTime))).toEqual([at[2], at[1]]);
    expect((await api.get("/cloud/audit-logs?pageSize=1001")).status).toBe(400);
  });

  it("is for Account Owners and Global Admins only", async () => {
    ({ sim, api } = await startDemo());
    const carol = api.as(DEMO_API_KEYS.carolCli);
    const reply = await carol.get("/cloud/audit-logs");
    expect(reply.status).toBe(403);
    expect(reply.body.code).toBe(7);
  });

  it("shows a record only once its delay has passed (late arrival)", async () => {
    const time = clock();
    ({ sim, api } = await startDemo({ clock: time.now }));
    sim.setAuditDelay(30_000);
    const edit = sim.chaos();
    expect((await logs()).logs).toBeUndefined();
    time.advance(29_999);
    expect((await logs()).logs).toBeUndefined();
    time.advance(1);
    expect((await logs()).logs!.map((r) => r.logId)).toEqual([edit.record.logId]);
  });

  it("chaos changes the account behind the caller's back and logs what it did as a person in the web UI", async () => {
    const time = clock();
    ({ sim, api } = await startDemo({ seed: 7, clock: time.now }));
    const edits = Array.from({ length: 12 }, () => {
      time.advance(1000);
      return sim.chaos();
    });
    const operations = new Set(edits.map((e) => e.record.operation));
    expect(operations.size).toBeGreaterThan(1);
    for (const { record } of edits) {
      // Alice is the demo account's Owner, signed in to the web UI: no API key.
      expect(record.principal).toMatchObject({ type: "user", id: U.alice, name: "alice@acme.example", apiKeyId: "" });
      expect(record.status).toBe("OK");
    }
    time.advance(1);
    const last = edits.at(-1)!.record;
    const details = last.rawDetails as Record<string, any>;
    if (last.operation === "SetUserNamespaceAccessAPI") {
      const user = (await api.get(`/cloud/users/${details.userId}`)).body.user;
      expect(user.spec.access.namespaceAccesses?.[details.namespace]?.permission).toBe(details.access?.permission);
    }
    expect((await logs()).logs!.map((r) => r.logId)).toEqual(edits.map((e) => e.record.logId).reverse());
  });

  it("edits on its own every --chaos interval", async () => {
    ({ sim, api } = await startDemo({ chaosIntervalMs: 5 }));
    await vi.waitFor(() => expect(sim.audit.size).toBeGreaterThanOrEqual(3), { timeout: 5000, interval: 5 });
  });

  it("starts the demo account with a week of history that agrees with its state, the same for the same seed", async () => {
    const time = clock();
    ({ sim, api } = await startDemo({ clock: time.now, auditHistoryDays: 7 }));
    const records: Record<string, any>[] = [];
    let token = "";
    do {
      const page = await logs(`?pageSize=25${token ? `&pageToken=${token}` : ""}`);
      records.push(...page.logs!);
      token = page.nextPageToken ?? "";
    } while (token);
    expect(records.length).toBeGreaterThanOrEqual(7 * 6);
    const times = records.map((r) => Date.parse(r.emitTime));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(time.now() - 7 * DAY);
    expect(Math.max(...times)).toBeLessThan(time.now());
    expect(new Set(records.map((r) => r.status))).toEqual(new Set(["OK", "ERROR"]));
    const account = createDemoAccount();
    for (const r of records.filter((x) => x.operation === "SetUserNamespaceAccessAPI" && x.status === "OK")) {
      const user = account.users.find((u) => u.id === r.rawDetails.userId)!;
      const permission = user.spec!.access!.namespaceAccesses[r.rawDetails.namespace]!.permission;
      expect(r.rawDetails.access.permission).toBe(`PERMISSION_${["UNSPECIFIED", "ADMIN", "WRITE", "READ"][permission]}`);
    }
    const again = await startDemo({ clock: time.now, auditHistoryDays: 7 });
    try {
      const replay = await logs("?pageSize=1000", createApi(again.sim.url, DEMO_API_KEYS.batonConnector));
      expect(replay.logs!.map((r) => [r.emitTime, r.operation, r.rawDetails])).toEqual(records.map((r) => [r.emitTime, r.operation, r.rawDetails]));
    } finally {
      await again.sim.close();
    }
  });

  it("keeps 30 days", async () => {
    const time = clock();
    ({ sim, api } = await startDemo({ clock: time.now, auditHistoryDays: 7 }));
    time.advance(30 * DAY - 6 * DAY);
    const within = (await logs("?pageSize=1000")).logs!.length;
    time.advance(3 * DAY);
    const later = (await logs("?pageSize=1000")).logs!.length;
    expect(within).toBeGreaterThan(later);
    time.advance(4 * DAY);
    expect((await logs()).logs).toBeUndefined();
  });
});
