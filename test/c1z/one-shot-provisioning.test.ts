import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrantSchema, ResourceSchema } from "../../src/connector/c1.js";
import { createDemoAccount, DEMO_API_KEY, DEMO_IDS, startSimulator, type Simulator } from "../../src/simulator/temporal/index.js";
import { decodeC1z } from "./decode-c1z.js";
import { runCli } from "./run-cli.js";

const { users: U, namespaces: NS } = DEMO_IDS;
const ENTITLEMENT = `namespace:${NS.paymentsProd}:read`;

/**
 * The official connector's end-to-end test, replayed with our CLI against the demo simulator:
 * sync → grant a namespace read permission with the one-shot flags → sync → the grant is in
 * the file → revoke → sync → gone → the immutable owner grant is refused → create an account →
 * delete it. Every step is a separate process, as in CI, and the file is read back
 * independently of our reader.
 */
describe("one-shot provisioning with the sync file, end to end", () => {
  let simulator: Simulator;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    simulator = await startSimulator({ account: createDemoAccount() });
    dir = mkdtempSync(join(tmpdir(), "c1z-one-shot-"));
    env = { BATON_API_KEY: DEMO_API_KEY, BATON_BASE_URL: simulator.url, BATON_ALLOW_INSECURE: "true", BATON_LOG_LEVEL: "warn", BATON_TMPDIR: dir };
  });
  afterAll(async () => {
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
  const sync = async () => {
    const run = await cli("sync");
    // --log-level warn (BATON_LOG_LEVEL) silences the progress lines: nothing on either stream.
    expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" });
  };
  /**
   * The grants and resources of one full sync in the file (0 = the newest, 1 = the one before,
   * which `baton diff` compares with), read with nothing but zstd and SQLite.
   */
  const stored = (age = 0) => {
    const file = decodeC1z(join(dir, "sync.c1z"));
    try {
      const syncs = file.db.prepare("select sync_id from v1_sync_runs where sync_type = 'full' and ended_at is not null order by ended_at desc").all() as { sync_id: string }[];
      const syncId = syncs[age]!.sync_id;
      const data = (table: string) => (file.db.prepare(`select data from ${table} where sync_id = ?`).all(syncId) as { data: Buffer }[]).map((r) => r.data);
      const grants = data("v1_grants").map((d) => fromBinary(GrantSchema, d));
      const resources = data("v1_resources").map((d) => fromBinary(ResourceSchema, d));
      return { syncs: syncs.length, grantIds: grants.map((g) => g.id), resources };
    } finally {
      file.close();
    }
  };

  it("refuses one-shot actions before there is a sync file", async () => {
    const run = await cli("sync", "--revoke-grant", `${ENTITLEMENT}:user:${U.dave}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("temporalcloud-connector: sync.c1z not found; run a sync first\n");
  });

  it("grants, revokes, refuses the owner grant, creates and deletes an account", async () => {
    await sync();

    // Find a user the way a script would: from the file, through inspect --json.
    const inspected = await cli("inspect", "--json");
    expect(inspected.code, inspected.stderr).toBe(0);
    const dump = JSON.parse(inspected.stdout) as { resources: { id: { resourceType: string; resource: string }; displayName: string }[] };
    const dave = dump.resources.find((r) => r.id.resourceType === "user" && r.displayName === "dave@acme.example")!.id.resource;
    expect(dave).toBe(U.dave);
    const grantId = `${ENTITLEMENT}:user:${dave}`;
    expect(stored().grantIds).not.toContain(grantId);

    const granted = await cli("sync", "--grant-entitlement", ENTITLEMENT, "--grant-principal", dave, "--grant-principal-type", "user");
    expect(granted.code, granted.stderr).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ grants: [{ id: grantId }] });
    await sync();
    expect(stored().grantIds).toContain(grantId);

    const revoked = await cli("sync", "--revoke-grant", grantId);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ annotations: [{ "@type": "type.googleapis.com/c1.connector.v2.RequestId" }] });
    await sync();
    expect(stored().grantIds).not.toContain(grantId);
    // Like the SDK, the file keeps the previous full sync for `baton diff`, and no more.
    expect(stored(1).grantIds).toContain(grantId);
    expect(stored().syncs).toBe(2);

    const ownerGrant = `account-role:acme7-owner:member:user:${U.alice}`;
    expect(stored().grantIds).toContain(ownerGrant);
    const refused = await cli("sync", "--revoke-grant", ownerGrant);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(new RegExp(`temporalcloud-connector: revoke ${ownerGrant} failed: .*Account Owner.* \\[failed_precondition\\]\\n$`));

    const createdRun = await cli("sync", "--create-account-email", "new.hire@acme.example", "--create-account-profile", '{"department":"payments"}');
    expect(createdRun.code, createdRun.stderr).toBe(0);
    const created = JSON.parse(createdRun.stdout) as { success: { resource: { id: { resourceType: string; resource: string }; displayName: string } } };
    expect(created.success.resource).toMatchObject({ id: { resourceType: "user" }, displayName: "new.hire@acme.example" });
    const newId = created.success.resource.id.resource;
    await sync();
    expect(stored().resources.map((r) => r.id!.resource)).toContain(newId);

    const deleted = await cli("sync", "--delete-resource", newId, "--delete-resource-type", "user");
    expect(deleted.code, deleted.stderr).toBe(0);
    await sync();
    expect(stored().resources.map((r) => r.id!.resource)).not.toContain(newId);
    expect(simulator.store.resource("user", newId)).toBeUndefined();
  }, 180_000); // ten CLI processes one after the other, each a full Node start

  it("names unknown ids and the file in a one-line error, without calling the connector", async () => {
    if (!existsSync(join(dir, "sync.c1z"))) await sync();
    const requests = simulator.stats.requests;
    const cases: [string[], string][] = [
      [["--grant-entitlement", "namespace:nope.acme7:read", "--grant-principal", U.dave, "--grant-principal-type", "user"], 'entitlement "namespace:nope.acme7:read" not found in sync.c1z; run a sync first'],
      [["--grant-entitlement", ENTITLEMENT, "--grant-principal", "nobody", "--grant-principal-type", "user"], 'principal "user:nobody" not found in sync.c1z; run a sync first'],
      [["--revoke-grant", `${ENTITLEMENT}:user:nobody`], `grant "${ENTITLEMENT}:user:nobody" not found in sync.c1z; run a sync first`],
      [["--delete-resource", "nobody", "--delete-resource-type", "user"], 'resource "user:nobody" not found in sync.c1z; run a sync first'],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli("sync", ...args)));
    expect(runs.map((r) => ({ code: r.code, stderr: r.stderr, stdout: r.stdout }))).toEqual(cases.map(([, message]) => ({ code: 1, stderr: `temporalcloud-connector: ${message}\n`, stdout: "" })));
    expect(simulator.stats.requests).toBe(requests);
  });

  it("checks that flags which go together are given together", async () => {
    const cases: [string[], string][] = [
      [["--grant-entitlement", ENTITLEMENT], "--grant-entitlement, --grant-principal, --grant-principal-type go together; missing --grant-principal, --grant-principal-type"],
      [["--delete-resource", U.dave], "--delete-resource, --delete-resource-type go together; missing --delete-resource-type"],
      [["--create-account-login", "someone"], "--create-account-email is required; missing --create-account-email"],
      [["--create-account-email", "a@b.example", "--create-account-profile", "[1]"], '--create-account-profile must be a JSON object, got "[1]"'],
      [["--revoke-grant", "x", "--delete-resource", "y", "--delete-resource-type", "user"], "--revoke-grant and --delete-resource cannot be used together: run one provisioning action at a time"],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli("sync", ...args)));
    expect(runs.map((r) => ({ code: r.code, stderr: r.stderr }))).toEqual(cases.map(([, message]) => ({ code: 2, stderr: `temporalcloud-connector: ${message}\n` })));
  });

  it("summarises the file with inspect, and leaves no temporary files behind", async () => {
    if (!existsSync(join(dir, "sync.c1z"))) await sync();
    const run = await cli("inspect", "-f", "sync.c1z");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^sync\.c1z: full sync [0-9A-Za-z]{27}, started \d{4}-\d{2}-\d{2} [\d:.]+, ended \d{4}-\d{2}-\d{2} [\d:.]+\n\n/);
    expect(run.stdout).toMatch(/\nuser +User +10\n/);
    expect(run.stdout).toMatch(/\nnamespace +Namespace +4\n/);
    expect(run.stdout).toMatch(/\nproject +Project +3\n/);
    expect(run.stdout).toMatch(/\nsecurity-insight +Security Insight +11\n/);
    // 70 grants the connector listed, and those expansion derived (group members, inherited namespace admin…).
    expect(run.stdout).toMatch(/\nentitlements +47\ngrants +129\n +direct +70\n +derived +59\n$/);
    expect(readdirSync(dir).sort()).toEqual(["sync.c1z"]);
  });
});
