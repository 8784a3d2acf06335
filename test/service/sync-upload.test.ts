import { rootCertificates } from "node:tls";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { Task_SyncFullTaskSchema } from "../../src/gen/c1/connectorapi/baton/v1/baton_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openC1z } from "../../src/c1z/c1z-reader.js";
import { createLogger } from "../../src/logger.js";
import { createBatonClient, type BatonClient } from "../../src/service/baton-client.js";
import { parseClientCredentials } from "../../src/service/client-credentials.js";
import { heartbeatIntervalMs, runSyncTask } from "../../src/service/sync-task.js";
import { createTokenSource, type TokenSource } from "../../src/service/token-source.js";
import { startConductorOneSimulator, type ConductorOneSimulator } from "../../src/simulator/conductorone/index.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack, type Stack } from "../helpers/stack.js";

/**
 * The sync task in process, against real servers (the connector on a loopback port, the
 * ConductorOne simulator over TLS): its upload in small chunks, so that the chunking shows on
 * the demo account, arrives whole and checksummed.
 */
describe("sync task: upload", () => {
  let stack: Stack;
  let c1: ConductorOneSimulator;
  let tokens: TokenSource;
  let baton: BatonClient;
  let dir: string;
  const log = createLogger({ level: "silent", format: "json" });
  beforeAll(async () => {
    stack = await startStack();
    c1 = await startConductorOneSimulator();
    const ca = [...rootCertificates, c1.caPem];
    tokens = createTokenSource({ credentials: parseClientCredentials(c1.client.clientId, c1.client.clientSecret), host: c1.address, ca });
    baton = createBatonClient({ address: c1.address, tokens, ca, userAgent: "test" });
    dir = mkdtempSync(join(tmpdir(), "sync-upload-"));
  });
  afterAll(async () => {
    baton?.close();
    await tokens?.close();
    await c1?.close();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** syncTask runs a sync task of this scope and opens what it uploaded. */
  async function syncTask(scope: MessageInitShape<typeof Task_SyncFullTaskSchema>, chunkBytes?: number) {
    const id = c1.addTask({ taskType: { case: "syncFull", value: scope } });
    const task = c1.tasks.get(id)!.task;
    if (task.taskType.case !== "syncFull") throw new Error("not a sync");
    const outcome = await runSyncTask({ task, sync: task.taskType.value, api: stack.client, baton, hostId: "in-process", signal: new AbortController().signal, log, tempDir: dir, chunkBytes });
    if (outcome.kind !== "success") throw new Error(`the sync task ended ${outcome.kind}`);
    const upload = c1.tasks.get(id)!.uploads[0]!;
    const file = join(dir, `${id}.c1z`);
    writeFileSync(file, upload.data);
    const reader = await openC1z(file);
    try {
      return { id, outcome, upload, syncType: reader.sync?.syncType, resources: [...reader.resources()].map((r) => `${r.id!.resourceType}:${r.id!.resource}`), entitlements: [...reader.entitlements()].length, grants: [...reader.grants()] };
    } finally {
      await reader.close();
    }
  }

  let full: Awaited<ReturnType<typeof syncTask>>;

  it("sends metadata, fixed-size chunks and the SHA-256 of the whole file, which is the sync's c1z", async () => {
    full = await syncTask({}, 4096);
    expect(full.upload).toMatchObject({ taskId: full.id, hostId: "in-process", accepted: true, checksumOk: true });
    const sizes = full.upload.chunkSizes;
    expect(sizes.length).toBeGreaterThan(2);
    expect(sizes.slice(0, -1).every((size) => size === 4096)).toBe(true);
    expect(sizes.at(-1)).toBeGreaterThan(0);
    expect(sizes.at(-1)).toBeLessThanOrEqual(4096);
    expect(full.outcome.summary).toMatchObject({ chunks: sizes.length, bytes: full.upload.data.length, resources: full.resources.length });
    expect(full.syncType).toBe("full");
  });

  it("syncs what the task's scope asks for, recorded as the SDK records it", async () => {
    const derived = full.grants.filter((g) => g.sources && Object.keys(g.sources.sources).length > 0 && !g.sources.sources[g.entitlement!.id]);
    expect(derived.length).toBeGreaterThan(0);
    expect(full.outcome.summary?.derivedGrants).toBe(derived.length);
    // skip_expand_grants: ConductorOne expands; the derived grants are left out.
    const unexpanded = await syncTask({ skipExpandGrants: true });
    expect(unexpanded.grants.length).toBe(full.grants.length - derived.length);
    // skip_entitlements_and_grants with sync_resource_type_ids: users only, resources only.
    const usersOnly = await syncTask({ skipEntitlementsAndGrants: true, syncResourceTypeIds: ["user"] });
    expect(usersOnly).toMatchObject({ syncType: "resources_only", entitlements: 0, grants: [] });
    expect(usersOnly.resources.length).toBeGreaterThan(0);
    expect(usersOnly.resources.every((r) => r.startsWith("user:"))).toBe(true);
    // targeted_sync_resources: a partial sync of those resources.
    const user = full.resources.find((r) => r.startsWith("user:"))!.slice("user:".length);
    const targeted = await syncTask({ targetedSyncResources: [{ id: { resourceType: "user", resource: user } }] });
    expect(targeted.syncType).toBe("partial");
    expect(targeted.resources).toContain(`user:${user}`);
    expect(targeted.resources.length).toBeLessThan(full.resources.length);
  });

  it("clamps next_heartbeat to [1 s, 5 min], 0 meaning 30 s", () => {
    expect([undefined, durationFromMs(0), durationFromMs(10), durationFromMs(2500), durationFromMs(3_600_000)].map(heartbeatIntervalMs)).toEqual([30_000, 30_000, 1000, 2500, 300_000]);
  });
});
