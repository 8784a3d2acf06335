import { existsSync } from "node:fs";
import type { Logger } from "pino";
import type { TemporalConnector } from "../app/app.js";
import type { Values } from "./config.js";
import { syncTypeOf, type SyncScope } from "../sync/syncer.js";
import { C1zFormatError } from "../c1z/c1z-envelope.js";
import { openC1z, type C1zReader } from "../c1z/c1z-reader.js";
import { createC1zWriter, type C1zWriter } from "../c1z/c1z-writer.js";
import { syncIntoC1z } from "../c1z/sync-into-c1z.js";
import { CommandError } from "./command-error.js";
import { describeError, serveInProcess, type Endpoint } from "./loopback.js";
import { prepareProvisioningCall, provisioningActionOf, type ProvisioningAction } from "./provisioning-action.js";
import { createSyncProgressReporter } from "./sync-progress.js";
import { syncScopeOf } from "./sync-scope.js";
import { removeTempPathsSync } from "../c1z/temp-paths.js";

/** SyncCommandDeps is what the CLI hands the sync command: how to build the connector. */
export interface SyncCommandDeps {
  /**
   * connect assembles the connector from the command's settings (API key, base URL, rate
   * limit…), exactly as `serve` does, with provisioning on or off; it may throw the CLI's own
   * one-line errors (no API key), which the CLI reports.
   */
  connect(options: { provisioning: boolean }): { app: TemporalConnector; log: Logger };
}

/**
 * runSyncCommand is `temporalcloud-connector sync`: baton's one-shot mode. Without an action
 * flag it runs a full sync into --file; with one of the provisioning flags it performs that one
 * action with what --file holds instead (docs/baton-protocol.md, "One-shot CLI mode"). Either way the connector is
 * served in process on a loopback port and driven over gRPC, as baton drives its
 * `_connector-service` child, so the one-shot mode exercises the same protocol path as
 * ConductorOne. SIGINT/SIGTERM abort cleanly: temporary files go, --file stays as it was, and
 * the exit code is 130/143. Resolves to the exit code.
 */
export async function runSyncCommand(values: Values, env: NodeJS.ProcessEnv, deps: SyncCommandDeps): Promise<number> {
  const file = values.file as string;
  const tempDir = env.BATON_TMPDIR || undefined;
  const interrupt = interruptOnSignals();
  try {
    const scope = syncScopeOf(values);
    const action = provisioningActionOf(values);
    if (action) return await runOneShot(action, { file, tempDir, deps, signal: interrupt.signal });
    return await runFullSync({ file, tempDir, keepSyncs: keepSyncsOf(env), deps, signal: interrupt.signal, scope });
  } finally {
    interrupt.dispose();
  }
}

interface RunOptions {
  file: string;
  tempDir: string | undefined;
  deps: SyncCommandDeps;
  signal: AbortSignal;
}

/**
 * keepSyncsOf reads the SDK's cleanup settings: BATON_KEEP_SYNC_COUNT full syncs stay in the
 * file (2 by default, so `baton diff` has the previous one), all of them with BATON_SKIP_CLEANUP.
 */
export function keepSyncsOf(env: NodeJS.ProcessEnv): number {
  if (/^(true|1)$/i.test(env.BATON_SKIP_CLEANUP ?? "")) return Infinity;
  const count = env.BATON_KEEP_SYNC_COUNT;
  if (count === undefined || count === "") return 2;
  if (!/^\d+$/.test(count) || Number(count) < 1) throw new CommandError(`BATON_KEEP_SYNC_COUNT must be a whole number of syncs, at least 1; got "${count}"`);
  return Number(count);
}

/**
 * runFullSync syncs into --file: a full sync by default, or what the scope flags ask for (a
 * partial sync of some resources, resources only, some types, no expansion), recorded as the
 * SDK records it.
 */
async function runFullSync({ file, tempDir, keepSyncs, deps, signal, scope }: RunOptions & { keepSyncs: number; scope: SyncScope }): Promise<number> {
  const { app, log } = deps.connect({ provisioning: false });
  let writer: C1zWriter | undefined;
  let endpoint: Endpoint | undefined;
  const untouched = () => `${file} was ${existsSync(file) ? "left unchanged" : "not written"}`;
  try {
    writer = await createC1zWriter({ path: file, tempDir, keepSyncs, syncType: syncTypeOf(scope) }).catch((err: unknown) => {
      if (err instanceof C1zFormatError) throw new CommandError(`${err.message}; it was left as it is (remove it, or choose another --file)`);
      throw new CommandError(`cannot write ${file}: ${errorCode(err)}`);
    });
    endpoint = await serveInProcess(app, log);
    const store = writer;
    log.info({ file, syncId: store.syncId, syncType: syncTypeOf(scope) }, "sync started");
    const progress = createSyncProgressReporter({ log, counts: () => store.counts() });
    let bytes: number;
    let elapsedSeconds: number;
    let expansion: { derivedGrants: number; expansionSeconds: number } | undefined;
    let writeSeconds: number;
    try {
      const synced = await syncIntoC1z(store, {
        ...scope,
        api: endpoint.client,
        signal,
        onProgress: (event) => progress.phaseDone(event),
        warn: (message, fields) => log.warn(fields, message),
      });
      const { result } = synced;
      if (result.expansion) expansion = { derivedGrants: result.expansion.derived, expansionSeconds: seconds(result.expansionMs) };
      bytes = synced.bytes;
      writeSeconds = seconds(synced.writeMs);
    } finally {
      elapsedSeconds = progress.stop();
    }
    const usage = process.resourceUsage();
    const maxRssMB = Math.round(usage.maxRSS / 1024);
    const cpuSeconds = seconds((usage.userCPUTime + usage.systemCPUTime) / 1000);
    log.info({ file, syncId: store.syncId, ...store.counts(), ...expansion, bytes, writeSeconds, elapsedSeconds, cpuSeconds, maxRssMB }, "sync finished");
    return 0;
  } catch (err) {
    await writer?.abort();
    if (err instanceof CommandError) throw err;
    const received = interruptedBy(signal);
    if (received) throw new CommandError(`sync interrupted by ${received}; ${untouched()}`, exitCodeOf(received));
    log.debug({ err }, "sync failed");
    throw new CommandError(`sync failed: ${describeError(err)}; ${untouched()}`);
  } finally {
    await endpoint?.close();
    await app.close();
  }
}

async function runOneShot(action: ProvisioningAction, { file, tempDir, deps, signal }: RunOptions): Promise<number> {
  // Everything is looked up in the file before connecting, so an unknown id fails fast.
  let reader: C1zReader | undefined;
  let prepared;
  try {
    if (action.kind !== "create-account") reader = await openSyncFile(file, { tempDir, signal });
    prepared = prepareProvisioningCall(action, reader, file);
  } catch (err) {
    const received = interruptedBy(signal);
    if (received) throw new CommandError(`interrupted by ${received} while reading ${file}`, exitCodeOf(received));
    throw err;
  } finally {
    await reader?.close();
  }
  const { app, log } = deps.connect({ provisioning: true });
  let endpoint: Endpoint | undefined;
  try {
    endpoint = await serveInProcess(app, log);
    const json = await prepared.send(endpoint.client, signal);
    process.stdout.write(`${json}\n`);
    return 0;
  } catch (err) {
    const received = interruptedBy(signal);
    if (received) throw new CommandError(`${prepared.description} interrupted by ${received}`, exitCodeOf(received));
    log.debug({ err }, "provisioning failed");
    throw new CommandError(`${prepared.description} failed: ${describeError(err)}`);
  } finally {
    await endpoint?.close();
    await app.close();
  }
}

/** openSyncFile opens --file for reading, turning the usual problems into one-line errors. */
export async function openSyncFile(file: string, options: { tempDir?: string; signal?: AbortSignal } = {}): Promise<C1zReader> {
  try {
    return await openC1z(file, options);
  } catch (err) {
    if (errorCode(err) === "ENOENT") throw new CommandError(`${file} not found; run a sync first`);
    if (err instanceof C1zFormatError) throw new CommandError(err.message);
    if (errorCode(err) !== "error") throw new CommandError(`cannot read ${file}: ${errorCode(err)}`);
    throw err;
  }
}

/**
 * interruptOnSignals turns the first SIGINT or SIGTERM into an abort of the running command,
 * which then cleans up and exits with a message. A second signal means "now": temporary files
 * are removed synchronously and the process exits at once.
 */
function interruptOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      removeTempPathsSync();
      process.exit(exitCodeOf(signal));
    }
    controller.abort(new Interrupted(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** Interrupted is the abort reason of a command stopped by a signal. */
class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "AbortError";
  }
}

function interruptedBy(signal: AbortSignal): NodeJS.Signals | undefined {
  return signal.aborted && signal.reason instanceof Interrupted ? signal.reason.signal : undefined;
}

/** exitCodeOf follows the shell convention: 128 + the signal number. */
function exitCodeOf(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

function errorCode(err: unknown): string {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : "error";
}
