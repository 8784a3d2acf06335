import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEMO_API_KEY, DEMO_API_KEYS, DEMO_IDS } from "../../../src/simulator/temporal/demo-account.js";
import type { Simulator } from "../../../src/simulator/temporal/simulator.js";
import { startDemo, type Api } from "./simulator-helper.js";

describe("authentication and routing", () => {
  let sim: Simulator;
  let api: Api;
  beforeEach(async () => {
    ({ sim, api } = await startDemo());
  });
  afterEach(() => sim.close());

  it("refuses a missing Authorization header with 401 UNAUTHENTICATED", async () => {
    const reply = await api.as(undefined).get("/cloud/users");
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ code: 16, details: [] });
    expect(typeof reply.body.message).toBe("string");
  });

  it("refuses an unknown key without echoing it", async () => {
    const secret = "tcsim-not-a-real-key-0123456789abcdef";
    const reply = await api.as(secret).get("/cloud/users");
    expect(reply.status).toBe(401);
    expect(reply.body.code).toBe(16);
    expect(reply.text).not.toContain(secret);
    expect(reply.text).not.toContain("0123456789abcdef");
  });

  it("refuses expired and disabled keys", async () => {
    for (const secret of [DEMO_API_KEYS.paymentsWorker2025, DEMO_API_KEYS.metricsOld]) {
      const reply = await api.as(secret).get("/cloud/current-identity");
      expect(reply.status).toBe(401);
      expect(reply.text).not.toContain(secret);
    }
  });

  it("returns the principal of the presented key from current-identity", async () => {
    const admin = await api.get("/cloud/current-identity");
    expect(admin.status).toBe(200);
    expect(admin.body.serviceAccount.id).toBe(DEMO_IDS.serviceAccounts.batonConnector);
    expect(admin.body.serviceAccount.spec.access.accountAccess.role).toBe("ROLE_ADMIN");
    expect(admin.body.principalApiKey.id).toBe(DEMO_IDS.apiKeys.batonConnector);
    expect(admin.body.user).toBeUndefined();
    expect(admin.text).not.toContain(DEMO_API_KEY);

    const alice = await api.as(DEMO_API_KEYS.aliceLaptop).get("/cloud/current-identity");
    expect(alice.body.user.id).toBe(DEMO_IDS.users.alice);
    expect(alice.body.serviceAccount).toBeUndefined();
  });

  it("accepts semver and dated version headers and refuses others", async () => {
    for (const version of ["v0.17.1", "2024-10-01-00", ""]) {
      const reply = await api.get("/cloud/account", { headers: { "temporal-cloud-api-version": version } });
      expect(reply.status, version).toBe(200);
    }
    const bad = await api.get("/cloud/account", { headers: { "temporal-cloud-api-version": "latest" } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(3);
  });

  it("answers unknown paths with 404 NOT_FOUND and wrong methods with 405", async () => {
    const unknown = await api.get("/api/v1/users");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ code: 5, message: "Not Found", details: [] });
    const wrongMethod = await api.delete("/cloud/namespaces");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.code).toBe(12);
    expect(sim.stats.byRoute.get("NotFound")).toBe(1);
    expect(sim.stats.byRoute.get("MethodNotAllowed")).toBe(1);
  });

  it("answers unknown ids with 404 and malformed bodies with 400", async () => {
    expect((await api.get("/cloud/users/0000")).status).toBe(404);
    expect((await api.get("/cloud/namespaces/nope.acme7")).status).toBe(404);
    expect((await api.get("/cloud/operations/nope")).status).toBe(404);
    const notJson = await api.post(`/cloud/users/${DEMO_IDS.users.dave}`, "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe(3);
  });

  it("counts requests, routes and statuses", async () => {
    await api.get("/cloud/users");
    await api.get("/cloud/users");
    await api.as(undefined).get("/cloud/users");
    expect(sim.stats.requests).toBe(3);
    expect(sim.stats.byRoute.get("GetUsers")).toBe(3);
    expect(sim.stats.responsesByStatus.get(200)).toBe(2);
    expect(sim.stats.responsesByStatus.get(401)).toBe(1);
    expect(sim.stats.peakInFlight).toBeGreaterThanOrEqual(1);
  });

  it("lets a non-admin read but not manage users", async () => {
    const carol = api.as(DEMO_API_KEYS.carolCli);
    expect((await carol.get("/cloud/users")).status).toBe(200);
    const reply = await carol.post("/cloud/users", { spec: { email: "new@acme.example", access: { accountAccess: { role: "ROLE_READ" } } } });
    expect(reply.status).toBe(403);
    expect(reply.body.code).toBe(7);
    const keys = await carol.get("/cloud/api-keys");
    expect(keys.body.apiKeys.map((k: { id: string }) => k.id)).toEqual([DEMO_IDS.apiKeys.carolCli]);
  });
});
