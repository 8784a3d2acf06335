import { once } from "node:events";
import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { EntitlementSchema, GrantSchema, ResourceSchema, ResourceTypeSchema } from "../connector/c1.js";
import type { Values } from "./config.js";
import { isC1zReadError, type C1zReader } from "../c1z/c1z-reader.js";
import { CommandError } from "./command-error.js";
import { PROTOCOL_REGISTRY } from "../connector/protocol-registry.js";
import { openSyncFile } from "./sync-command.js";

/**
 * runInspectCommand is `temporalcloud-connector inspect -f sync.c1z`: a small table of the
 * newest sync in the file (resources per type, entitlements, grants direct and derived), or with --json every
 * resource type, resource, entitlement and grant as protojson, streamed so that a large file is
 * never held in memory. Resolves to the exit code.
 */
export async function runInspectCommand(values: Values, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const reader = await openSyncFile(values.file as string, { tempDir: env.BATON_TMPDIR || undefined });
  try {
    if (values.json) await writeJson(reader);
    else process.stdout.write(table(reader));
  } catch (err) {
    throw unreadable(values.file as string, err);
  } finally {
    await reader.close();
  }
  return 0;
}

/**
 * unreadable turns what a damaged file makes reading fail with (a row that does not decode, a
 * corrupt database, a time JSON cannot hold) into a one-line error; anything else is a bug.
 */
export function unreadable(file: string, err: unknown): unknown {
  if (isC1zReadError(err)) return new CommandError(err.message.includes(file) ? err.message : `cannot read ${file}: ${err.message}`);
  if (err instanceof UnprintableError) return new CommandError(`cannot print ${file} as JSON: ${err.message}`);
  return err;
}

/** UnprintableError is a message of the file that has no JSON form (a time out of JSON's range). */
class UnprintableError extends Error {}

function table(reader: C1zReader): string {
  const { sync } = reader;
  const heading = sync
    ? `${reader.path}: ${sync.syncType} sync ${sync.syncId}, started ${sync.startedAt}, ${sync.endedAt ? `ended ${sync.endedAt}` : "unfinished"}`
    : `${reader.path}: no sync run`;
  const counts = reader.counts();
  const rows: [string, string, string][] = [["RESOURCE TYPE", "DISPLAY NAME", "COUNT"]];
  const seen = new Set<string>();
  for (const type of reader.resourceTypes()) {
    seen.add(type.id);
    rows.push([type.id, type.displayName, String(counts.resources.get(type.id) ?? 0)]);
  }
  // Resources whose type is missing from the file still count (baton shows them as MISSING).
  for (const [type, n] of counts.resources) if (!seen.has(type)) rows.push([type, "(missing resource type)", String(n)]);
  rows.push(
    ["entitlements", "", String(counts.entitlements)],
    ["grants", "", String(counts.grants)],
    // What the connector listed, and what grant expansion derived from it (group members, inherited roles).
    ["  direct", "", String(counts.grants - counts.derivedGrants)],
    ["  derived", "", String(counts.derivedGrants)],
  );
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const countWidth = Math.max(...rows.map((r) => r[2].length));
  const lines = rows.map(([a, b, c]) => `${a.padEnd(widths[0]!)}  ${b.padEnd(widths[1]!)}  ${c.padStart(countWidth)}`.trimEnd());
  return `${heading}\n\n${lines.join("\n")}\n`;
}

/** writeJson prints one JSON document, one object per line inside each list. */
async function writeJson(reader: C1zReader): Promise<void> {
  const out = createOutput();
  await out.write(`{\n"sync": ${JSON.stringify(reader.sync ?? null)},\n`);
  const lists = [
    ["resourceTypes", ResourceTypeSchema, reader.resourceTypes()],
    ["resources", ResourceSchema, reader.resources()],
    ["entitlements", EntitlementSchema, reader.entitlements()],
    ["grants", GrantSchema, reader.grants()],
  ] as const;
  for (const [i, [name, schema, items]] of lists.entries()) {
    await out.write(`${JSON.stringify(name)}: [`);
    let first = true;
    for (const item of items as Iterable<MessageShape<DescMessage>>) {
      if (out.closed) return;
      await out.write(`${first ? "\n" : ",\n"}${JSON.stringify(printable(schema as DescMessage, item))}`);
      first = false;
    }
    await out.write(`${first ? "" : "\n"}]${i < lists.length - 1 ? ",\n" : "\n}\n"}`);
  }
  await out.flush();
}

function printable(schema: DescMessage, item: MessageShape<DescMessage>): unknown {
  try {
    return toJson(schema, item, { registry: PROTOCOL_REGISTRY });
  } catch (err) {
    throw new UnprintableError(`${schema.typeName}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * createOutput buffers stdout writes into 64 KiB chunks and honours back-pressure, so that a
 * large dump is fast and piping it into `jq` keeps memory bounded. A reader that goes away
 * early (`| head`) closes the pipe: the dump then stops quietly instead of failing on EPIPE.
 */
function createOutput() {
  let buffer = "";
  let closed = false;
  const stdout = process.stdout;
  stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    closed = true;
    stdout.emit("drain"); // release a writer waiting for a drain that will never come
  });
  const flush = async () => {
    const chunk = buffer;
    buffer = "";
    if (chunk && !closed && !stdout.write(chunk)) await once(stdout, "drain");
  };
  return {
    get closed() {
      return closed;
    },
    async write(text: string) {
      buffer += text;
      if (buffer.length >= 65_536) await flush();
    },
    flush,
  };
}
