import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { CompressStream, DecompressStream } from "zstd-napi";
import { trackTempPath } from "./temp-paths.js";

/** C1Z_MAGIC opens every v1 c1z: "C1ZF" and a NUL byte; the zstd stream follows directly. */
export const C1Z_MAGIC: Buffer = Buffer.from("C1ZF\0", "latin1");

/** The v3 (Pebble) container's magic, recognised only to refuse it with a clear message. */
const C1Z3_MAGIC = Buffer.from("C1Z3\0", "latin1");

/** WriteC1zOptions configures writeC1zEnvelope. */
export interface WriteC1zOptions {
  /**
   * zstd level. The SDK writes its default (≈ 3); anything up to 19 keeps the window far
   * below the 128 MiB readers accept (docs/c1z-format.md, "Reader limits").
   */
  compressionLevel?: number;
  /** Aborts the write; the target is then left as it was. */
  signal?: AbortSignal;
}

/**
 * CHUNK_BYTES is how much of a file each read takes: with the stream's default 64 KiB, compressing
 * the 330 MB database of a 10,000-user sync took 2.7 s, with 1 MiB reads 1.0 s.
 */
const CHUNK_BYTES = 1024 * 1024;

/**
 * writeC1zEnvelope publishes a finished SQLite database as the c1z `target`, atomically: it
 * writes `C1ZF\0` and one zstd stream of the database to `<target>.tmp-<random>` next to the
 * target (so that the rename stays on one file system), flushes it to disk, renames it over the
 * target and flushes the directory. Whatever happens before the rename — an error, an abort, a
 * signal — the previous target is untouched and the temporary file is removed; after it, the
 * target is the complete new file. Readers never see a truncated c1z.
 */
export async function writeC1zEnvelope(databasePath: string, target: string, options: WriteC1zOptions = {}): Promise<void> {
  const temp = `${target}.tmp-${randomBytes(6).toString("hex")}`;
  const untrack = trackTempPath(temp);
  try {
    // flush: fsync before close, so that the rename can never publish data still in the page cache.
    const out = createWriteStream(temp, { flags: "wx", flush: true });
    out.write(C1Z_MAGIC);
    await pipeline(createReadStream(databasePath, { highWaterMark: CHUNK_BYTES }), new CompressStream({ compressionLevel: options.compressionLevel ?? 3 }), out, { signal: options.signal });
    options.signal?.throwIfAborted();
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  } finally {
    untrack();
  }
  await syncDirectory(dirname(target));
}

/**
 * readC1zEnvelope checks that `path` is a v1 c1z and decompresses its SQLite database into
 * `databasePath` (which must not exist). Errors name the file and say what is wrong with it.
 */
export async function readC1zEnvelope(path: string, databasePath: string, signal?: AbortSignal): Promise<void> {
  const header = Buffer.alloc(C1Z_MAGIC.length);
  const file = await open(path, "r");
  let read: number;
  try {
    ({ bytesRead: read } = await file.read(header, 0, header.length, 0));
  } finally {
    await file.close();
  }
  if (read === 0) throw new C1zFormatError(`${path} is empty`);
  if (read === header.length && header.equals(C1Z3_MAGIC)) {
    throw new C1zFormatError(`${path} is a v3 (Pebble) c1z; only v1 (SQLite) files can be read`);
  }
  if (read < header.length || !header.equals(C1Z_MAGIC)) throw new C1zFormatError(`${path} is not a c1z file (it does not start with "C1ZF\\0")`);
  try {
    await pipeline(createReadStream(path, { start: C1Z_MAGIC.length, highWaterMark: CHUNK_BYTES }), new DecompressStream(), createWriteStream(databasePath, { flags: "wx" }), { signal });
  } catch (err) {
    if (err instanceof Error && err.name !== "AbortError" && !("code" in err && typeof err.code === "string" && err.code.startsWith("E"))) {
      throw new C1zFormatError(`${path} is corrupt: ${err.message}`);
    }
    throw err;
  }
}

/** C1zFormatError is a c1z that cannot be read: empty, another format, or corrupt. */
export class C1zFormatError extends Error {
  override name = "C1zFormatError";
}

/** syncDirectory makes a rename durable; some platforms cannot fsync a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // EISDIR/EPERM/EINVAL on platforms without directory fsync: the rename itself is still atomic.
  }
}
