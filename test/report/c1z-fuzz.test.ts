import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readC1zEnvelope, writeC1zEnvelope } from "../../src/c1z/c1z-envelope.js";
import { createC1zWriter } from "../../src/c1z/c1z-writer.js";
import { main } from "../../src/cli/cli.js";
import { EntitlementSchema, GrantSchema, ResourceSchema, ResourceTypeSchema, SecretTraitSchema, SecurityInsightTraitSchema } from "../../src/connector/c1.js";
import { createPrng, type Prng } from "../../src/simulator/temporal/prng.js";
import { runSync } from "../../src/sync/syncer.js";
import { runCli } from "../c1z/run-cli.js";
import { startStack } from "../helpers/stack.js";

// Issue 24, point 6: `inspect` and `report -f` over damaged .c1z files. Every answer is a rendered
// page (or a summary) or a one-line error, never a stack trace. Case i is built from seed SEED + i.

const SEED = 0x24c1;
const CASES = 120;

const TABLES: Record<string, DescMessage | undefined> = {
  v1_resource_types: ResourceTypeSchema,
  v1_resources: ResourceSchema,
  v1_entitlements: EntitlementSchema,
  v1_grants: GrantSchema,
  v1_sync_runs: undefined,
};

/** Times no Date holds, or that protobuf's JSON refuses: the .c1z of the issue had an expiry of 1e15 s. */
const BAD_SECONDS = [10n ** 15n, -(10n ** 15n), 2n ** 62n, 253_402_300_800n, -62_135_596_801n];
const BAD_NANOS = [0, -1, 1_000_000_000, 2 ** 31 - 1];

/** randomValue is what a damaged column may hold: bytes, text, numbers, NULL. */
function randomValue(prng: Prng, original: unknown): unknown {
  switch (prng.int(7)) {
    case 0:
      return Buffer.from(Array.from({ length: prng.int(64) }, () => prng.int(256)));
    case 1: {
      // The original bytes, damaged: a flipped byte, a cut, an insertion.
      const bytes = Buffer.from(original instanceof Uint8Array ? original : Buffer.from(String(original)));
      if (bytes.length === 0) return bytes;
      const at = prng.int(bytes.length);
      if (prng.chance(0.4)) bytes[at] = bytes[at]! ^ (1 << prng.int(8));
      else if (prng.chance(0.5)) return bytes.subarray(0, at);
      else return Buffer.concat([bytes.subarray(0, at), Buffer.from([prng.int(256), prng.int(256)]), bytes.subarray(at)]);
      return bytes;
    }
    case 2:
      return prng.pick(["", "x", "2025-13-45 99:99:99", "9999-12-31 23:59:59.999999999", "0000-00-00 00:00:00", "\u0000", "<script>alert(1)</script>", "é".repeat(prng.int(100))]);
    case 3:
      return prng.pick([0, -1, 1e15, -1e300, 2 ** 53 + 1, 1.5]);
    case 4:
      return null;
    default:
      return original;
  }
}

/** badTimes sets every timestamp a report shows (expiry, creation, observation) of a row to one no Date holds. */
function badTimes(prng: Prng, schema: DescMessage, data: Uint8Array): Uint8Array | undefined {
  if (schema !== ResourceSchema) return undefined;
  const resource = fromBinary(ResourceSchema, data);
  const bad = () => create(TimestampSchema, { seconds: prng.pick(BAD_SECONDS), nanos: prng.pick(BAD_NANOS) });
  if (resource.createdAt) resource.createdAt = bad();
  for (const any of resource.annotations) {
    for (const schemaOf of [SecretTraitSchema, SecurityInsightTraitSchema] as const) {
      if (!any.typeUrl.endsWith(`/${schemaOf.typeName}`)) continue;
      const trait = fromBinary(schemaOf, any.value) as { expiresAt?: unknown; createdAt?: unknown; observedAt?: unknown };
      for (const field of ["expiresAt", "createdAt", "observedAt"] as const) if (field in trait) trait[field] = bad();
      any.value = toBinary(schemaOf as DescMessage, trait as never);
    }
  }
  return toBinary(ResourceSchema, resource);
}

/** damage applies a few random changes to a copy of the decompressed database. */
function damage(prng: Prng, database: string): void {
  const db = new Database(database);
  try {
    for (let n = 1 + prng.int(3); n > 0; n--) {
      const table = prng.pick(Object.keys(TABLES));
      const row = db.prepare(`select * from ${table} order by random() limit 1`).get() as Record<string, unknown> | undefined;
      if (!row) continue;
      // "rowid as r": a table with an integer primary key names its rowid after that column.
      const rowid = (db.prepare(`select rowid as r from ${table} where id = ?`).get(row.id) as { r: number }).r;
      const schema = TABLES[table];
      const timed = schema && row.data instanceof Uint8Array && prng.chance(0.3) ? badTimes(prng, schema, row.data) : undefined;
      if (timed) {
        db.prepare(`update ${table} set data = ? where rowid = ?`).run(timed, rowid);
        continue;
      }
      const column = prng.pick(Object.keys(row).filter((c) => c !== "id"));
      try {
        db.prepare(`update ${table} set "${column}" = ? where rowid = ?`).run(randomValue(prng, row[column]) as never, rowid);
      } catch (err) {
        // The schema refuses some values (NULL where NOT NULL, a duplicate key): that damage cannot happen.
        if (!(err instanceof Database.SqliteError && err.code.startsWith("SQLITE_CONSTRAINT"))) throw err;
      }
    }
    if (prng.chance(0.05)) db.exec(`drop table ${prng.pick(Object.keys(TABLES))}`);
  } finally {
    db.close();
  }
}

/** run runs the CLI in this process, capturing its output; a stack trace would be a thrown error here. */
async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const errorListeners = process.stdout.listeners("error");
  process.stdout.write = ((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args, env), ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    // inspect --json listens for EPIPE on stdout once per run, as a process runs it once.
    for (const listener of process.stdout.listeners("error")) if (!errorListeners.includes(listener)) process.stdout.removeListener("error", listener as never);
  }
}

describe("inspect and report -f over damaged .c1z files", () => {
  let dir: string;
  let base: string;
  let database: string;
  const env = () => ({ BATON_TMPDIR: dir });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "c1z-fuzz-"));
    base = join(dir, "base.c1z");
    const stack = await startStack();
    try {
      const writer = await createC1zWriter({ path: base, tempDir: dir });
      await runSync({ api: stack.client, store: writer });
      await writer.finish();
    } finally {
      await stack.close();
    }
    database = join(dir, "base.db");
    await readC1zEnvelope(base, database);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** damagedFile makes case i: a damaged database in a new envelope, or now and then damaged envelope bytes. */
  async function damagedFile(i: number): Promise<string> {
    const prng = createPrng(SEED + i);
    const file = join(dir, `case-${i}.c1z`);
    if (prng.chance(0.1)) {
      const bytes = readFileSync(base);
      for (let n = 1 + prng.int(4); n > 0; n--) bytes[prng.int(bytes.length)] = prng.int(256);
      writeFileSync(file, prng.chance(0.3) ? bytes.subarray(0, prng.int(bytes.length)) : bytes);
      return file;
    }
    const copy = join(dir, `case-${i}.db`);
    copyFileSync(database, copy);
    damage(prng, copy);
    await writeC1zEnvelope(copy, file);
    rmSync(copy);
    return file;
  }

  it(`answers ${CASES} damaged files with a page, a summary or one line, never a stack trace`, async () => {
    const outcomes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const file = await damagedFile(i);
      const output = join(dir, `case-${i}.html`);
      const runs = [["inspect", "-f", file], ["report", "-f", file, "-o", output], ...(i % 4 === 0 ? [["inspect", "--json", "-f", file]] : [])];
      for (const args of runs) {
        const result = await run(args, env()).catch((err: unknown) => {
          throw new Error(`case ${i}: ${args.join(" ")} threw ${err instanceof Error ? err.stack : String(err)}`);
        });
        const where = `case ${i}: ${args.join(" ")}: ${result.stderr}`;
        if (result.code === 0) {
          if (args[0] === "report") expect(readFileSync(output, "utf8"), where).toMatch(/^<!doctype html>[\s\S]*<\/html>\n$/);
        } else {
          expect(result.code, where).toBe(1);
          expect(result.stderr, where).toMatch(/^temporalcloud-connector: [^\n]+\n$/);
          expect(result.stderr, where).not.toMatch(/unexpected error|\n\s+at /);
        }
        const kind = `${args[0]}${args[1] === "--json" ? " --json" : ""} ${result.code === 0 ? "ok" : result.stderr.replace(/case-\d+/g, "case-N").replace(/\(.*$/s, "").slice(0, 90)}`;
        outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      }
      rmSync(file, { force: true });
      rmSync(output, { force: true });
    }
    // Both kinds of answer happen: the damage is neither always fatal nor always harmless.
    const ok = [...outcomes].filter(([k]) => k.endsWith(" ok")).reduce((n, [, c]) => n + c, 0);
    expect(ok).toBeGreaterThan(CASES / 4);
    expect([...outcomes.values()].reduce((a, b) => a + b) - ok).toBeGreaterThan(CASES / 10);
  });

  it("shows the times of a .c1z that no date holds as invalid, and renders the rest", async () => {
    const copy = join(dir, "dates.db");
    copyFileSync(database, copy);
    const db = new Database(copy);
    for (const row of db.prepare("select rowid as r, data from v1_resources where resource_type_id = 'api-key'").all() as { r: number; data: Buffer }[]) {
      const resource = fromBinary(ResourceSchema, row.data);
      for (const any of resource.annotations) {
        if (!any.typeUrl.endsWith(`/${SecretTraitSchema.typeName}`)) continue;
        const trait = fromBinary(SecretTraitSchema, any.value);
        trait.expiresAt = create(TimestampSchema, { seconds: 10n ** 15n });
        any.value = toBinary(SecretTraitSchema, trait);
      }
      db.prepare("update v1_resources set data = ? where rowid = ?").run(toBinary(ResourceSchema, resource), row.r);
    }
    db.close();
    const file = join(dir, "dates.c1z");
    await writeC1zEnvelope(copy, file);
    const output = join(dir, "dates.html");
    expect(await run(["report", "-f", file, "-o", output], env())).toMatchObject({ code: 0 });
    const html = readFileSync(output, "utf8");
    expect(html).toContain("invalid date");
    expect(html).toContain("Service account deploy-bot holds Account Admin");
    // The same file through the real process: a page, and inspect --json says in one line what it cannot print.
    expect(await runCli(["report", "-f", file, "-o", join(dir, "dates-cli.html")], { cwd: dir, env: env() })).toMatchObject({ code: 0 });
    const json = await runCli(["inspect", "--json", "-f", file], { cwd: dir, env: env() });
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/^temporalcloud-connector: cannot print .*dates\.c1z as JSON: c1\.connector\.v2\.Resource: cannot encode message google\.protobuf\.Timestamp to JSON[^\n]*\n$/);
  });

  it("says in one line, as a process, that a damaged file cannot be read", async () => {
    const copy = join(dir, "blob.db");
    copyFileSync(database, copy);
    const db = new Database(copy);
    db.prepare("update v1_grants set data = ? where rowid = (select min(rowid) from v1_grants)").run(Buffer.from([0xff, 0xff, 0xff]));
    db.close();
    const file = join(dir, "blob.c1z");
    await writeC1zEnvelope(copy, file);
    for (const args of [["report", "-f", file, "-o", join(dir, "blob.html")], ["inspect", "--json", "-f", file]]) {
      const result = await runCli(args, { cwd: dir, env: env() });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^temporalcloud-connector: .*blob\.c1z is corrupt: a row does not decode as c1\.connector\.v2\.Grant [^\n]*\n$/);
    }
  });
});
