import { rename, rm, writeFile } from "node:fs/promises";
import { parseSyncTimestamp } from "../c1z/sync-timestamp.js";
import type { ReportInput } from "../report/access-model.js";
import { renderReport } from "../report/render-report.js";
import { createMemoryStore, runSync } from "../sync/syncer.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";
import { unreadable } from "./inspect-command.js";
import { describeError, serveInProcess } from "./loopback.js";
import { openSyncFile, type SyncCommandDeps } from "./sync-command.js";

/**
 * runReportCommand is `temporalcloud-connector report`: the access report of the newest sync in
 * --file, or with --live of the configured account as it is now (a full sync through the
 * connector's own gRPC server, as `sync` runs, kept in memory), written to --output as one
 * self-contained HTML page. Resolves to the exit code.
 */
export async function runReportCommand(values: Values, env: NodeJS.ProcessEnv, deps: SyncCommandDeps): Promise<number> {
  const output = values.output as string;
  const html = values.live ? await liveReport(deps) : await fileReport(values.file as string, env);
  await writeAtomically(output, html);
  process.stderr.write(`temporalcloud-connector: wrote ${output} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB)\n`);
  return 0;
}

async function fileReport(file: string, env: NodeJS.ProcessEnv): Promise<string> {
  const reader = await openSyncFile(file, { tempDir: env.BATON_TMPDIR || undefined });
  try {
    const sync = reader.sync;
    const input: ReportInput = {
      sync: sync && { syncId: sync.syncId, startedAt: parseSyncTimestamp(sync.startedAt), endedAt: sync.endedAt ? parseSyncTimestamp(sync.endedAt) : undefined },
      resourceTypes: reader.resourceTypes(),
      resources: reader.resources(),
      grants: reader.grants(),
    };
    return renderReport(input, { generatedAt: new Date() });
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    await reader.close();
  }
}

async function liveReport(deps: SyncCommandDeps): Promise<string> {
  const { app, log } = deps.connect({ provisioning: false });
  const endpoint = await serveInProcess(app, log).catch(async (err: unknown) => {
    await app.close();
    throw err;
  });
  try {
    const store = createMemoryStore();
    const startedAt = new Date();
    const result = await runSync({ api: endpoint.client, store }).catch((err: unknown) => {
      log.debug({ err }, "live sync failed");
      throw new CommandError(`live sync failed: ${describeError(err)}`);
    });
    return renderReport(
      { sync: { syncId: result.syncId, startedAt, endedAt: new Date() }, resourceTypes: store.resourceTypes, resources: store.resources, grants: store.grants },
      { generatedAt: new Date() },
    );
  } finally {
    await endpoint.close();
    await app.close();
  }
}

/** writeAtomically writes to a temporary name and renames it, so a failed run leaves no half page. */
async function writeAtomically(path: string, content: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, content);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new CommandError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
