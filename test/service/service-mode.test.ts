import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { anyUnpack, timestampFromMs, type Any } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTemporalConnector } from "../../src/app/app.js";
import { openC1z } from "../../src/c1z/c1z-reader.js";
import { CreateAccountResponseSchema, ConnectorService, GrantManagerServiceGrantResponseSchema, ListEventFeedsResponseSchema, ListEventsResponseSchema, type Grant } from "../../src/connector/c1.js";
import { HealthCheckResponse_ServingStatus, Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { createLogger } from "../../src/logger.js";
import { startServer } from "../../src/server/server.js";
import { startConductorOneSimulator, type ConductorOneSimulator, type TestClient } from "../../src/simulator/conductorone/index.js";
import { createDemoAccount, DEMO_API_KEY, DEMO_IDS, startSimulator, type Simulator } from "../../src/simulator/temporal/index.js";
import { createGrpcClient } from "../../src/sync/grpc-client.js";
import { startCli, type CliProcess } from "../helpers/cli-process.js";
import { entitlementRef, ref } from "../helpers/provisioning.js";
import { syncSummary, type SyncSummary } from "../helpers/sync-summary.js";

/**
 * Service mode end to end: the real process (`node dist/src/main.js` with a client id and
 * secret) against the ConductorOne simulator (TLS, its CA trusted through NODE_EXTRA_CA_CERTS, a
 * client id naming another host so that only BATON_C1_API_HOST leads there) and the Temporal
 * Cloud simulator. One connector process takes the tasks of the first block in sequence; tokens
 * live six seconds, so they expire (and are renewed) during the run.
 */

const CODE = { CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, NOT_FOUND: 5, FAILED_PRECONDITION: 9, UNIMPLEMENTED: 12 };
const quiet = createLogger({ level: "silent", format: "json" });

interface Fixture {
  temporal: Simulator;
  c1: ConductorOneSimulator;
  client: TestClient;
  dir: string;
  caFile: string;
}

async function startFixture(settings: Parameters<typeof startConductorOneSimulator>[0] = {}): Promise<Fixture> {
  const temporal = await startSimulator({ account: createDemoAccount(), auditHistoryDays: 2 });
  const c1 = await startConductorOneSimulator(settings);
  const dir = mkdtempSync(join(tmpdir(), "service-mode-"));
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, c1.caPem);
  // The id names a host that does not exist: the connector finds the simulator through BATON_C1_API_HOST only.
  return { temporal, c1, client: c1.addClient("temporalcloud-test", "tenant.c1.invalid"), dir, caFile };
}

async function stopFixture(f: Fixture | undefined): Promise<void> {
  await f?.c1.close();
  await f?.temporal.close();
  if (f) rmSync(f.dir, { recursive: true, force: true });
}

/** serviceMode starts the connector in service mode against the fixture's simulators. */
function serviceMode(f: Fixture, flags: string[] = [], env: Record<string, string> = {}): CliProcess {
  return startCli(["--base-url", f.temporal.url, "--allow-insecure", ...flags], {
    BATON_CLIENT_ID: f.client.clientId,
    BATON_CLIENT_SECRET: f.client.clientSecret,
    BATON_API_KEY: DEMO_API_KEY,
    BATON_C1_API_HOST: f.c1.address,
    BATON_HOST_ID: "service-mode-test",
    BATON_TMPDIR: f.dir,
    NODE_EXTRA_CA_CERTS: f.caFile,
    ...env,
  });
}

/** finished waits for the connector's "task finished" log line of a task. */
async function finished(cli: CliProcess, taskId: string): Promise<Record<string, unknown>> {
  return JSON.parse(await cli.waitForLine("stderr", new RegExp(`"taskId":"${taskId}".*"msg":"task finished`))) as Record<string, unknown>;
}

/** uploadedSummary opens an upload with our c1z reader and lists what it holds. */
async function uploadedSummary(f: Fixture, data: Buffer): Promise<SyncSummary & { grantsById: Map<string, Grant> }> {
  const file = join(f.dir, `upload-${Math.random().toString(36).slice(2)}.c1z`);
  writeFileSync(file, data);
  const reader = await openC1z(file);
  try {
    const grants = [...reader.grants()];
    return {
      resourceTypes: reader.resourceTypes().map((t) => t.id).sort(),
      resources: [...reader.resources()].map((r) => `${r.id!.resourceType}:${r.id!.resource}`).sort(),
      entitlements: [...reader.entitlements()].map((e) => e.id).sort(),
      grants: grants.map((g) => g.id).sort(),
      grantsById: new Map(grants.map((g) => [g.id, g])),
    };
  } finally {
    await reader.close();
  }
}

/** accountSummary syncs the account with our syncer through an in-process connector: what `sync -f` writes. */
async function accountSummary(temporal: Simulator): Promise<SyncSummary> {
  const app = createTemporalConnector({ baseUrl: temporal.url, apiKey: DEMO_API_KEY, allowInsecure: true, provisioning: false, log: quiet });
  const server = await startServer({ connector: app.connector, log: quiet, host: "127.0.0.1", port: 0 });
  const client = createGrpcClient({ address: `127.0.0.1:${server.port}` });
  try {
    return await syncSummary(client);
  } finally {
    client.close();
    await server.close();
    await app.close();
  }
}

const unpack = <T extends Parameters<typeof anyUnpack>[1]>(any: Any | undefined, schema: T) => anyUnpack(any!, schema)!;

describe("service mode: one connector process, many tasks", () => {
  let f: Fixture;
  let cli: CliProcess;
  let metricsAddress: string;
  let healthAddress: string;
  const DAVE_READS_DEV = `namespace:${DEMO_IDS.namespaces.paymentsDev}:read`;
  const daveGrantId = `${DAVE_READS_DEV}:user:${DEMO_IDS.users.dave}`;

  beforeAll(async () => {
    f = await startFixture({ settings: { nextPollMs: 20, nextHeartbeatMs: 1000, tokenLifetimeSeconds: 6 } });
    cli = serviceMode(f, ["--provisioning", "--metrics-listen", "127.0.0.1:0", "--health-listen", "127.0.0.1:0"]);
    const starting = await cli.waitForLog("service mode: connecting to ConductorOne");
    metricsAddress = starting.metrics as string;
    healthAddress = starting.health as string;
    await cli.waitForLog("connected to ConductorOne, waiting for tasks");
  });
  afterAll(async () => {
    await cli?.stop();
    await stopFixture(f);
  });

  /** run feeds a task and waits for its FinishTask. */
  const run = async (task: Parameters<ConductorOneSimulator["addTask"]>[0]) => {
    const id = f.c1.addTask(task);
    return { id, finish: await f.c1.waitForFinish(id), record: f.c1.tasks.get(id)! };
  };
  const sync = async () => {
    const { finish, record } = await run({ taskType: { case: "syncFull", value: {} } });
    expect(finish.finalState.case).toBe("success");
    expect(record.uploads).toHaveLength(1);
    return { record, upload: record.uploads[0]!, summary: await uploadedSummary(f, record.uploads[0]!.data) };
  };

  it("says Hello first, with GetMetadata's metadata, and answers a hello task with Hello alone", async () => {
    expect(f.c1.calls[0]).toMatchObject({ method: "Hello", outcome: "ok" });
    const [hello] = f.c1.hellos;
    expect(hello).toMatchObject({ hostId: "service-mode-test", taskId: "", buildInfo: { package: "temporalcloud-connector", langVersion: `node${process.versions.node}` } });
    expect(hello!.osInfo?.hostname).not.toBe("");
    const app = createTemporalConnector({ baseUrl: f.temporal.url, apiKey: DEMO_API_KEY, allowInsecure: true, provisioning: true, log: quiet });
    const server = await startServer({ connector: app.connector, log: quiet, host: "127.0.0.1", port: 0 });
    const client = createGrpcClient({ address: `127.0.0.1:${server.port}` });
    expect(hello!.connectorMetadata).toEqual((await client.call(ConnectorService.method.getMetadata, {})).metadata);
    client.close();
    await server.close();
    await app.close();

    const id = f.c1.addTask({ taskType: { case: "hello", value: {} } });
    const answer = await f.c1.waitFor(() => f.c1.tasks.get(id)!.hellos[0], "the hello task's Hello");
    expect(answer.taskId).toBe(id);
    expect(await finished(cli, id)).toMatchObject({ taskType: "hello", outcome: "success" });
    expect(f.c1.tasks.get(id)!.finishes).toEqual([]);
  });

  it("answers GRPC health SERVING on --health-listen once connected", async () => {
    const health = createGrpcClient({ address: healthAddress });
    expect((await health.call(Health.method.check, {})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    health.close();
  });

  it("uploads a full sync that holds what sync -f writes, in ≤ 512 KiB chunks with the file's SHA-256", async () => {
    const { record, upload, summary } = await sync();
    expect(record.heartbeats).toBeGreaterThanOrEqual(1);
    expect(upload).toMatchObject({ hostId: "service-mode-test", accepted: true, checksumOk: true });
    expect(upload.data.subarray(0, 5)).toEqual(Buffer.from("C1ZF\0"));
    expect(upload.chunkSizes.every((size) => size > 0 && size <= 512 * 1024)).toBe(true);
    const { grantsById: _, ...uploaded } = summary;
    expect(uploaded).toEqual(await accountSummary(f.temporal));
    expect(uploaded.resources).toContain(`user:${DEMO_IDS.users.dave}`);
    expect(uploaded.grants).not.toContain(daveGrantId);
    const line = await finished(cli, record.task.id);
    expect(line).toMatchObject({ taskType: "sync_full", outcome: "success", bytes: upload.data.length, chunks: upload.chunkSizes.length });
  });

  it("grants, and the next sync shows it; revokes, and the next sync does not", async () => {
    const granted = await run({ taskType: { case: "grant", value: { entitlement: entitlementRef(DAVE_READS_DEV), principal: ref(`user:${DEMO_IDS.users.dave}`) } } });
    expect(granted.finish.finalState.case).toBe("success");
    const success = granted.finish.finalState.value as { response?: Any; annotations: Any[] };
    expect(success.response?.typeUrl).toBe("type.googleapis.com/c1.connector.v2.GrantManagerServiceGrantResponse");
    expect(success.annotations).toEqual(unpack(success.response, GrantManagerServiceGrantResponseSchema).annotations);
    const after = (await sync()).summary;
    expect(after.grants).toContain(daveGrantId);

    const revoked = await run({ taskType: { case: "revoke", value: { grant: after.grantsById.get(daveGrantId)! } } });
    expect(revoked.finish.finalState.case).toBe("success");
    expect((revoked.finish.finalState.value as { response?: Any }).response?.typeUrl).toBe("type.googleapis.com/c1.connector.v2.GrantManagerServiceRevokeResponse");
    expect((await sync()).summary.grants).not.toContain(daveGrantId);
  });

  it("lists the event feeds and their events", async () => {
    const feeds = await run({ taskType: { case: "listEventFeeds", value: {} } });
    const list = unpack((feeds.finish.finalState.value as { response?: Any }).response, ListEventFeedsResponseSchema).list;
    expect(list.map((feed) => feed.id)).toEqual(["temporal_audit_log"]);
    // One page per task, following the cursor, as ConductorOne does, until events come.
    let cursor = "";
    let events = 0;
    for (let page = 0; page < 20 && events === 0; page++) {
      const read = await run({ taskType: { case: "listEvents", value: { eventFeedId: "temporal_audit_log", startAt: timestampFromMs(Date.now() - 3 * 24 * 3_600_000), cursor, pageSize: 100 } } });
      const response = unpack((read.finish.finalState.value as { response?: Any }).response, ListEventsResponseSchema);
      expect(response.cursor).not.toBe("");
      cursor = response.cursor;
      events = response.events.length;
    }
    expect(events).toBeGreaterThan(0);
  });

  it("creates an account and deletes it", async () => {
    const email = "service.mode.hire@acme.example";
    const created = await run({ taskType: { case: "createAccount", value: { accountInfo: { emails: [{ address: email, isPrimary: true }] } } } });
    expect(created.finish.finalState.case).toBe("success");
    const response = unpack((created.finish.finalState.value as { response?: Any }).response, CreateAccountResponseSchema);
    expect(response.result.case).toBe("success");
    const user = f.temporal.store.users.sorted().find((u) => u.spec?.email === email)!;
    expect(user).toBeDefined();
    const deleted = await run({ taskType: { case: "deleteResource", value: { resourceId: { resourceType: "user", resource: user.id } } } });
    expect(deleted.finish.finalState.case).toBe("success");
    expect(f.temporal.store.users.get(user.id)).toBeUndefined();
  });

  it("reports a failed or malformed grant as a non-retryable error with the connector's status, and goes on", async () => {
    const bad = await run({ taskType: { case: "grant", value: { entitlement: entitlementRef(DAVE_READS_DEV), principal: ref("user:0000000000000000000000000000dead") } } });
    expect(bad.finish.finalState).toEqual(expect.objectContaining({ case: "error", value: expect.objectContaining({ nonRetryable: true }) }));
    expect(bad.finish.status?.code).toBe(CODE.NOT_FOUND);
    expect(bad.finish.status?.message).toMatch(/0000000000000000000000000000dead/);
    const malformed = await run({ taskType: { case: "grant", value: { entitlement: entitlementRef(DAVE_READS_DEV) } } });
    expect(malformed.finish.status).toMatchObject({ code: CODE.INVALID_ARGUMENT, message: "malformed grant task: it needs an entitlement and a principal" });
    expect((malformed.finish.finalState.value as { nonRetryable: boolean }).nonRetryable).toBe(true);
  });

  it("finishes an unsupported task with an error and goes on, as the SDK's runner does", async () => {
    const cases = [
      [{ taskType: { case: "rotateCredentials" as const, value: {} } }, CODE.UNIMPLEMENTED, true],
      [{ taskType: { case: "createTicketTask" as const, value: {} } }, CODE.UNIMPLEMENTED, false],
      [{ taskType: { case: "eventFeed" as const, value: {} } }, CODE.UNKNOWN, false],
      [{}, CODE.UNKNOWN, false],
    ] as const;
    for (const [task, code, nonRetryable] of cases) {
      const { finish } = await run(task);
      expect(finish.finalState).toEqual(expect.objectContaining({ case: "error", value: expect.objectContaining({ nonRetryable }) }));
      expect(finish.status?.code).toBe(code);
    }
    expect((await run({ taskType: { case: "listEventFeeds", value: {} } })).finish.finalState.case).toBe("success");
  });

  it("stops a sync whose first heartbeat is cancelled: no upload, no FinishTask", async () => {
    const id = f.c1.addTask({ taskType: { case: "syncFull", value: {} } }, { cancelAfterHeartbeats: 0 });
    expect(await finished(cli, id)).toMatchObject({ taskType: "sync_full", outcome: "cancelled" });
    expect(f.c1.tasks.get(id)).toMatchObject({ heartbeats: 1, finishes: [], uploads: [] });
  });

  it("stops a sync cancelled by a later heartbeat: no upload, a CANCELLED error, never success", async () => {
    const release = f.temporal.hold(); // the sync waits on Temporal Cloud until the cancellation
    try {
      const id = f.c1.addTask({ taskType: { case: "syncFull", value: {} } }, { cancelAfterHeartbeats: 1 });
      const finish = await f.c1.waitForFinish(id);
      expect(finish.status).toMatchObject({ code: CODE.CANCELLED, message: "task was cancelled by ConductorOne" });
      expect(finish.finalState).toEqual(expect.objectContaining({ case: "error", value: expect.objectContaining({ nonRetryable: false }) }));
      expect(f.c1.tasks.get(id)).toMatchObject({ heartbeats: 2, uploads: [] });
    } finally {
      release();
    }
  });

  it("renews its short-lived tokens before they expire, and gets a new one when ConductorOne revokes them", async () => {
    // Six-second tokens over a run of several seconds: renewed half-way through their life (three
    // seconds of margin, even on a loaded machine), so no call ever carried an expired one.
    expect(f.c1.tokenRequests.filter((r) => r.issued).length).toBeGreaterThanOrEqual(2);
    expect(f.c1.calls.filter((c) => c.outcome === "Unauthenticated")).toEqual([]);
    f.c1.revokeTokens();
    const { finish } = await run({ taskType: { case: "listEventFeeds", value: {} } });
    expect(finish.finalState.case).toBe("success");
    expect(f.c1.calls.some((c) => c.outcome === "Unauthenticated")).toBe(true);
  });

  it("counts tasks, heartbeats, uploads and tokens in its metrics, and never shows a secret or token", async () => {
    const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    const value = (pattern: string) => Number(new RegExp(`^${pattern} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value('temporalcloud_connector_service_tasks_total\\{type="sync_full",outcome="success"\\}')).toBe(3);
    expect(value('temporalcloud_connector_service_tasks_total\\{type="sync_full",outcome="cancelled"\\}')).toBe(2);
    expect(value('temporalcloud_connector_service_tasks_total\\{type="grant",outcome="error"\\}')).toBe(2);
    expect(value('temporalcloud_connector_service_tasks_total\\{type="create_ticket_task",outcome="error"\\}')).toBe(1);
    expect(value('temporalcloud_connector_service_heartbeats_total\\{outcome="cancelled"\\}')).toBe(2);
    expect(value('temporalcloud_connector_service_uploads_total\\{outcome="ok"\\}')).toBe(3);
    const uploaded = [...f.c1.tasks.values()].flatMap((t) => t.uploads).reduce((sum, u) => sum + u.data.length, 0);
    expect(value("temporalcloud_connector_service_upload_bytes_total")).toBe(uploaded);
    expect(value('temporalcloud_connector_service_token_requests_total\\{outcome="issued"\\}')).toBe(f.c1.tokenRequests.length);
    expect(value("temporalcloud_connector_service_last_successful_sync_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(text).toMatch(/temporalcloud_connector_service_task_duration_seconds_count\{type="sync_full"\} 5/);

    // Every sync's temporary directory is gone once its task finished.
    expect(readdirSync(f.dir).filter((name) => name.startsWith("service-sync-"))).toEqual([]);
    const secret = f.client.clientSecret;
    const everything = [text, ...cli.stdout, ...cli.stderr].join("\n");
    expect(cli.stderr.length).toBeGreaterThan(20);
    for (const leak of [secret, secret.split(":")[3]!, JSON.parse(Buffer.from(secret.split(":")[3]!, "base64url").toString()).d as string, DEMO_API_KEY, ...f.c1.issuedTokens]) {
      expect(everything).not.toContain(leak);
    }
  });
});

describe("service mode: provisioning off, then SIGTERM during a sync", () => {
  let f: Fixture;
  let cli: CliProcess;
  beforeAll(async () => {
    f = await startFixture({ settings: { nextPollMs: 20 } });
    f.c1.failNext("Hello", Code.Unavailable); // a transient failure: Hello is sent again a second later
    cli = serviceMode(f, ["--log-level", "info"]);
    await cli.waitForLog("connected to ConductorOne, waiting for tasks");
  });

  it("sends Hello again after a transient failure", () => {
    expect(f.c1.calls.filter((c) => c.method === "Hello").map((c) => c.outcome)).toEqual(["Unavailable", "ok"]);
    expect(cli.stderr.some((line) => line.includes('"msg":"Hello failed, trying again"'))).toBe(true);
  });
  afterAll(async () => {
    await cli?.stop();
    await stopFixture(f);
  });

  it("refuses a grant with FAILED_PRECONDITION, non-retryable", async () => {
    const id = f.c1.addTask({ taskType: { case: "grant", value: { entitlement: entitlementRef(`namespace:${DEMO_IDS.namespaces.paymentsDev}:read`), principal: ref(`user:${DEMO_IDS.users.dave}`) } } });
    const finish = await f.c1.waitForFinish(id);
    expect(finish.status).toMatchObject({ code: CODE.FAILED_PRECONDITION, message: "provisioning is not enabled" });
    expect((finish.finalState.value as { nonRetryable: boolean }).nonRetryable).toBe(true);
  });

  it("runs tasks side by side; on SIGTERM takes no new task, lets the running sync finish and upload, and exits 0", async () => {
    const release = f.temporal.hold();
    const syncId = f.c1.addTask({ taskType: { case: "syncFull", value: {} } });
    await f.c1.waitFor(() => f.c1.tasks.get(syncId)!.heartbeats >= 1, "the sync's first heartbeat");
    // While the sync waits on Temporal Cloud, another slot takes and finishes another task.
    const feeds = f.c1.addTask({ taskType: { case: "listEventFeeds", value: {} } });
    expect((await f.c1.waitForFinish(feeds)).finalState.case).toBe("success");
    expect(f.c1.tasks.get(syncId)!.finishes).toEqual([]);
    cli.child.kill("SIGTERM");
    await cli.waitForLog("shutting down: no new tasks");
    const laterId = f.c1.addTask({ taskType: { case: "listEventFeeds", value: {} } });
    release();
    const exit = await cli.exited;
    expect(exit.code).toBe(0);
    expect(f.c1.tasks.get(syncId)!.finishes.map((x) => x.finalState.case)).toEqual(["success"]);
    expect(f.c1.tasks.get(syncId)!.uploads.map((u) => u.accepted)).toEqual([true]);
    // The process is gone: it never started the task queued after SIGTERM (a GetTask already on its
    // way when the signal came may have been answered with it, into a call that was cancelled).
    expect(cli.stderr.some((line) => line.includes(laterId))).toBe(false);
    expect(f.c1.tasks.get(laterId)!.finishes).toEqual([]);
  });
});

describe("service mode: bad input ends the process at once with one line naming the flag", () => {
  let f: Fixture;
  let closedPort: number;
  beforeAll(async () => {
    f = await startFixture();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closedPort = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
  });
  afterAll(() => stopFixture(f));

  /** failure runs the process to its end; its last stderr line is the error, every other one a JSON log line. */
  async function failure(env: Record<string, string>, flags: string[] = []) {
    const cli = serviceMode(f, flags, env);
    const exit = await cli.exited;
    // Node's DEP0123 (grpc-js names the simulator's IP as TLS server name) is the one non-log line allowed.
    const lines = cli.stderr.filter((line) => line !== "" && !/^\(node:\d+\) \[DEP0123\]|^\(Use `node --trace-deprecation/.test(line));
    expect(lines.slice(0, -1).every((line) => line.startsWith("{"))).toBe(true);
    return { code: exit.code, error: lines.at(-1) ?? "", output: [...cli.stdout, ...cli.stderr].join("\n") };
  }
  const secretOf = (jwk: object) => `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify(jwk)).toString("base64url")}`;

  it("refuses malformed credentials and missing halves before anything starts", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const publicOnly = secretOf(generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }));
    const ecKey = secretOf(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }));
    const results = await Promise.all([
      failure({ BATON_CLIENT_SECRET: "secret-token:conductorone.com:v1:!!!not-base64!!!" }),
      failure({ BATON_CLIENT_SECRET: publicOnly }),
      failure({ BATON_CLIENT_SECRET: ecKey }),
      failure({ BATON_CLIENT_ID: "temporalcloud-test" }),
      failure({ BATON_CLIENT_ID: "" }),
      failure({ BATON_CLIENT_SECRET: "" }),
      failure({}, ["--task-concurrency", "0"]),
    ]);
    const expected: [number, RegExp][] = [
      [2, /^temporalcloud-connector: --client-secret is not a ConductorOne client secret: its key is not unpadded base64url$/],
      [2, /^temporalcloud-connector: --client-secret holds only a public key/],
      [2, /^temporalcloud-connector: --client-secret holds a key of type EC P-256/],
      [2, /^temporalcloud-connector: --client-id must look like <name>@<host>\/<path>/],
      [2, /^temporalcloud-connector: --client-secret needs --client-id \(BATON_CLIENT_ID\)/],
      [2, /^temporalcloud-connector: --client-id needs --client-secret \(BATON_CLIENT_SECRET\)/],
      [2, /^temporalcloud-connector: --task-concurrency must be a whole number from 1 to 100, got 0$/],
    ];
    results.forEach((result, i) => {
      expect(result.code, result.error).toBe(expected[i]![0]);
      expect(result.error).toMatch(expected[i]![1]);
      expect(result.output).not.toContain("!!!not-base64!!!");
    });
    expect(f.c1.tokenRequests).toEqual([]);
  });

  it("ends at once, after one token request, when ConductorOne refuses the secret", async () => {
    const wrong = f.c1.addClient("other", "tenant.c1.invalid").clientSecret; // a well-formed secret of another credential
    const result = await failure({ BATON_CLIENT_SECRET: wrong });
    expect(result.code).toBe(1);
    expect(result.error).toBe("temporalcloud-connector: ConductorOne refused the client credentials (token endpoint answered HTTP 401); check --client-id and --client-secret, or create a new credential in ConductorOne");
    expect(f.c1.tokenRequests).toEqual([expect.objectContaining({ issued: false, reason: "bad signature" })]);
    expect(f.c1.calls).toEqual([]);
    for (const leak of [wrong, wrong.split(":")[3]!]) expect(result.output).not.toContain(leak);
  });

  it("ends at once when ConductorOne refuses the Hello for good", async () => {
    f.c1.failNext("Hello", Code.PermissionDenied, 5);
    const result = await failure({});
    expect(result.code).toBe(1);
    expect(result.error).toBe("temporalcloud-connector: ConductorOne refused the connector's Hello: injected PermissionDenied [code 7]");
    expect(f.c1.calls.filter((c) => c.method === "Hello")).toHaveLength(1);
  });

  it("ends at once when ConductorOne cannot be reached, or its certificate is not trusted", async () => {
    const [unreachable, untrusted] = await Promise.all([failure({ BATON_C1_API_HOST: `127.0.0.1:${closedPort}` }), failure({ NODE_EXTRA_CA_CERTS: "" })]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.error).toMatch(new RegExp(`^temporalcloud-connector: cannot reach ConductorOne's token endpoint at 127.0.0.1:${closedPort}: ECONNREFUSED \\(the host comes from --client-id, or BATON_C1_API_HOST;`));
    expect(untrusted.code).toBe(1);
    expect(untrusted.error).toMatch(/^temporalcloud-connector: cannot reach ConductorOne's token endpoint at 127\.0\.0\.1:\d+: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY) /);
  });
});
