import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveGraph, type GraphSpec } from "../../harness/graph-connector.js";
import { createC1zWriter } from "../../src/c1z/c1z-writer.js";
import { fastPathsOn } from "../../src/codec/fast-paths.js";
import { createDemoAccount, DEMO_API_KEY, DEMO_IDS, generateAccount, startSimulator, type Simulator } from "../../src/simulator/temporal/index.js";
import { createGrpcClient } from "../../src/sync/grpc-client.js";
import { runSync, syncTypeOf, type SyncScope } from "../../src/sync/syncer.js";
import { parseResourceBid } from "../../src/cli/sync-scope.js";
import { dumpC1z, type GoldenDump } from "../helpers/golden-dump.js";
import { runCli } from "./run-cli.js";

const FIXTURES = new URL("../fixtures/go-sdk/", import.meta.url);
const golden = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8")) as GoldenDump | { error: string };
const spec = (name: string) => JSON.parse(readFileSync(new URL(`graphs/${name}.json`, FIXTURES), "utf8")) as GraphSpec;

/**
 * Our syncer stores what baton-sdk v0.25.0's syncer stores (test/fixtures/go-sdk/README.md): the
 * same resources, entitlements and grants, with the same ids, `sources` and annotations, the
 * grants expansion derives included, for full, scoped, partial and resources-only syncs; and it
 * fails where the SDK's fails, with its message. Each case syncs into a c1z, reads the file back
 * with our reader and compares it, reduced to ids, with the golden file.
 */
describe("syncs store what the Go SDK's syncer stores", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "golden-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe("expansion rules, on graphs Temporal Cloud's data cannot hold (harness/graph-connector.ts)", () => {
    const cases: [golden: string, graph: string, scope: SyncScope][] = [
      ["graph-nested", "nested", {}],
      ["graph-nested-skip-expand", "nested", { skipExpandGrants: true }],
      ["graph-nested-types", "nested", { resourceTypeIds: ["user", "group"] }],
      ["graph-nested-targeted", "nested", { targetedResources: ["group/g1", "user/u1", "group/nope"].map(parseResourceBid) }],
      ["graph-cycles", "cycles", {}],
      ["graph-shallow-and-filters", "shallow-and-filters", {}],
      ["graph-missing-entitlement", "missing-entitlement", {}],
      ["graph-principal-mismatch", "principal-mismatch", {}],
      ["graph-chain-of-20", "chain-of-20", {}],
      ["graph-deep-chain", "deep-chain", {}],
    ];
    for (const [name, graph, scope] of cases) {
      it(name, async () => {
        const server = await serveGraph(spec(graph));
        const client = createGrpcClient({ address: `127.0.0.1:${server.port}` });
        const path = join(dir, `${name}.c1z`);
        const writer = await createC1zWriter({ path, tempDir: dir, syncType: syncTypeOf(scope) });
        const warnings: string[] = [];
        try {
          const synced = runSync({ ...scope, api: client, store: writer, syncId: writer.syncId, warn: (message) => warnings.push(message) });
          const expected = golden(name);
          if ("error" in expected) {
            await expect(synced).rejects.toThrow(expected.error);
            await writer.abort();
            return;
          }
          await synced;
          await writer.finish();
          expect(await dumpC1z(path)).toEqual(expected);
          if (graph === "cycles") expect(warnings).toContain("cycle detected in entitlement graph");
          if (graph === "missing-entitlement") expect(warnings.some((w) => w.startsWith("grant expansion: dropped edges"))).toBe(true);
        } finally {
          client.close();
          await server.close();
        }
      });
    }
  });

  describe("Temporal Cloud accounts, synced by the sync -f process", () => {
    let demo: Simulator;
    let generated: Simulator;
    beforeAll(async () => {
      demo = await startSimulator({ account: createDemoAccount() });
      generated = await startSimulator({ account: generateAccount({ users: 120, serviceAccounts: 12, namespaces: 6, groups: 10, membersPerGroup: 8, customRoles: 4, apiKeys: 30, seed: 22 }) });
    });
    afterAll(async () => {
      await demo?.close();
      await generated?.close();
    });

    const { users: U, groups: G, customRoles: CR, namespaces: NS } = DEMO_IDS;
    // The scoped syncs take the same fast paths as the full ones: without fast paths
    // (vitest.config.ts, project plain), the full syncs alone.
    const scoped = fastPathsOn();
    const cases: [golden: string, account: () => Simulator, flags: string[]][] = [
      ["demo", () => demo, []],
      ["generated", () => generated, []],
      ...(scoped
        ? ([
            ["demo-skip-expand", () => demo, ["--skip-expand-grants"]],
            ["demo-resource-types", () => demo, ["--sync-resource-types", "user,group,namespace,account-role"]],
            ["demo-resources-only", () => demo, ["--skip-entitlements-and-grants"]],
            ["demo-targeted", () => demo, ["--sync-resources", `bid:r:user/${U.dave},bid:r:group/${G.admins},custom-role/${CR.deployApprover},namespace/${NS.paymentsProd}`]],
          ] as [string, () => Simulator, string[]][])
        : []),
    ];
    // Each case is its own process and file: they run side by side.
    it.concurrent.for(cases)("%s", async ([name, account, flags], { expect }) => {
      const simulator = account();
      const apiKey = simulator === demo ? DEMO_API_KEY : generated.store.bearerKeys()[0]!;
      const run = await runCli(["sync", "-f", `${name}.c1z`, ...flags], {
        cwd: dir,
        env: { BATON_API_KEY: apiKey, BATON_BASE_URL: simulator.url, BATON_ALLOW_INSECURE: "true", BATON_LOG_LEVEL: "error", BATON_TMPDIR: dir },
      });
      expect(run, run.stderr).toMatchObject({ code: 0, stderr: "" });
      expect(await dumpC1z(join(dir, `${name}.c1z`))).toEqual(golden(name));
    });
  });
});
