import { rmSync } from "node:fs";

const tracked = new Set<string>();
let hooked = false;

/**
 * trackTempPath records a temporary file or directory so that it is removed even when the
 * process ends abruptly (process.exit after a second Ctrl-C, an uncaught error): the writer and
 * the reader remove their own files, and this is the last line of defence. It returns the
 * function that stops tracking the path once it was removed or renamed into place.
 */
export function trackTempPath(path: string): () => void {
  if (!hooked) {
    hooked = true;
    process.once("exit", removeTempPathsSync);
  }
  tracked.add(path);
  return () => void tracked.delete(path);
}

/** removeTempPathsSync removes every tracked path now, synchronously (for exit paths). */
export function removeTempPathsSync(): void {
  for (const path of tracked) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Best effort: the process is ending and there is nobody left to tell.
    }
    tracked.delete(path);
  }
}
