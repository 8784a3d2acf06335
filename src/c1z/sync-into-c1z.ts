import { runSync, type SyncOptions, type SyncResult } from "../sync/syncer.js";
import type { C1zWriter } from "./c1z-writer.js";

/** SyncIntoC1zOptions is runSync's options, less what the writer decides (its store and sync id). */
export type SyncIntoC1zOptions = Omit<SyncOptions, "store" | "syncId">;

/**
 * syncIntoC1z is the sync both `sync -f` and service mode run: the syncer drives the connector
 * into the writer under the writer's sync id (the writer was created for the scope's sync type,
 * syncTypeOf), then the writer publishes its c1z. When anything fails the writer is aborted (the
 * target is left as it was) and the error is thrown. writeMs is the time publishing took.
 */
export async function syncIntoC1z(writer: C1zWriter, options: SyncIntoC1zOptions): Promise<{ result: SyncResult; bytes: number; writeMs: number }> {
  try {
    const result = await runSync({ ...options, store: writer, syncId: writer.syncId });
    const writing = performance.now();
    const { bytes } = await writer.finish(options.signal);
    return { result, bytes, writeMs: performance.now() - writing };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
