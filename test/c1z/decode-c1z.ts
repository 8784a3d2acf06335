import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { decompress } from "zstd-napi";

/** DecodedC1z is a c1z's SQLite database, opened read-only from a private temporary copy. */
export interface DecodedC1z {
  db: Database.Database;
  /** The decompressed database file, byte for byte. */
  sqlite: Buffer;
  close(): void;
}

/**
 * decodeC1z reads a c1z without any of the writer's or reader's code, the way the Go SDK does:
 * the 5-byte "C1ZF\0" header, then one zstd stream that decompresses to a whole SQLite file.
 * Tests use it to check the file format independently of the code that produced it.
 */
export function decodeC1z(path: string): DecodedC1z {
  const bytes = readFileSync(path);
  const magic = bytes.subarray(0, 5);
  if (!magic.equals(Buffer.from([0x43, 0x31, 0x5a, 0x46, 0x00]))) throw new Error(`${path}: bad magic ${magic.toString("hex")}`);
  const sqlite = decompress(bytes.subarray(5));
  const dir = mkdtempSync(join(tmpdir(), "decode-c1z-"));
  const file = join(dir, "db");
  writeFileSync(file, sqlite);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  return {
    db,
    sqlite,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
