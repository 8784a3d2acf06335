import { toJsonString } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import type { TemporalConnector } from "../app/app.js";
import { EventSchema, EventService, type Event, type Resource } from "../connector/c1.js";
import { PROTOCOL_REGISTRY } from "../connector/protocol-registry.js";
import { AUDIT_LOG_FEED_ID, RETENTION_MS } from "../feed/audit-log-feed.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";
import { describeError, serveInProcess, type Endpoint } from "./loopback.js";

/** EventsCommandDeps is what the CLI hands the events command: how to build the connector. */
export interface EventsCommandDeps {
  /** connect assembles the connector from the command's settings, exactly as `serve` does. */
  connect(): { app: TemporalConnector; log: Logger };
}

// What the Go SDK's `--event-feed` mode asks for per call.
const PAGE_SIZE = 100;

/**
 * runEventsCommand is `temporalcloud-connector events`: the audit-log event feed of the last
 * --since, printed one event per line (for people, or as JSON with --json), read the way the
 * platform reads it: ListEvents through the connector's own loopback gRPC server, page after
 * page while has_more. Resolves to the exit code.
 */
export async function runEventsCommand(values: Values, deps: EventsCommandDeps, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const since = values.since as number;
  if (!(since > 0)) throw new CommandError(`--since must be a positive duration such as 24h, got ${String(values.since)}`, 2);
  if (since > RETENTION_MS) throw new CommandError(`--since ${since / 3_600_000}h reaches further back than the 30 days (720h) Temporal Cloud keeps its audit log`, 2);
  const json = values.json as boolean;
  const { app, log } = deps.connect();
  let endpoint: Endpoint | undefined;
  // A reader that has seen enough (`| head`) closes the pipe: stop there, successfully. The
  // listener stays: write errors are reported after the writes that caused them.
  let outputError: NodeJS.ErrnoException | undefined;
  out.on("error", (err: NodeJS.ErrnoException) => (outputError ??= err));
  try {
    endpoint = await serveInProcess(app, log);
    const startAt = timestampFromMs(Date.now() - since);
    let cursor = "";
    let count = 0;
    for (;;) {
      // Like the Go SDK's CLI, start_at goes with every call; the cursor wins once there is one.
      const page = await endpoint.client.call(EventService.method.listEvents, { eventFeedId: AUDIT_LOG_FEED_ID, startAt, cursor, pageSize: PAGE_SIZE });
      for (const event of page.events) out.write(`${json ? toJsonString(EventSchema, event, { registry: PROTOCOL_REGISTRY }) : describeEvent(event)}\n`);
      count += page.events.length;
      cursor = page.cursor;
      if (!page.hasMore || outputError) break;
    }
    if (outputError && outputError.code !== "EPIPE") throw new CommandError(`cannot write the events: ${outputError.code ?? outputError.message}`);
    log.info({ events: count }, "events listed");
    return 0;
  } catch (err) {
    if (err instanceof CommandError) throw err;
    log.debug({ err }, "events failed");
    throw new CommandError(`listing events failed: ${describeError(err)}`);
  } finally {
    await endpoint?.close();
    await app.close();
  }
}

/**
 * describeEvent renders an event as one line for people: when, what, and the ids the sync uses,
 * e.g. `2025-06-02T10:00:00.000Z  grant   namespace:payments-dev.acme7:read  to user:da7e…`.
 */
export function describeEvent(event: Event): string {
  const when = event.occurredAt ? timestampDate(event.occurredAt).toISOString() : "(no time)";
  const e = event.event;
  let what: string;
  switch (e.case) {
    case "createGrantEvent":
      what = `grant   ${e.value.entitlement?.id ?? "?"}  to ${name(e.value.principal)}`;
      break;
    case "createRevokeEvent":
      what = `revoke  ${e.value.entitlement?.id ?? "?"}  from ${name(e.value.principal)}`;
      break;
    case "resourceChangeEvent":
      what = `change  ${e.value.resourceId?.resourceType}:${e.value.resourceId?.resource}`;
      break;
    case "usageEvent":
      what = `usage   ${name(e.value.targetResource)}  by ${name(e.value.actorResource)}`;
      break;
    default:
      what = `${e.case ?? "unknown"}`;
  }
  return `${when}  ${what}  [${event.id}]`;
}

function name(resource: Resource | undefined): string {
  const id = resource?.id ? `${resource.id.resourceType}:${resource.id.resource}` : "?";
  return resource?.displayName ? `${id} (${resource.displayName})` : id;
}
