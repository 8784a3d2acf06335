import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { LogRecordSchema, type LogRecord } from "../../gen/temporal/api/cloud/auditlog/v1/message_pb.js";
import type { Prng } from "./prng.js";

/** RETENTION_MS is how long the audit log keeps a record: 30 days, as Temporal Cloud does. */
export const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** AuditPrincipal is who made a request, as a record names it. */
export interface AuditPrincipal {
  type: "user" | "serviceaccount";
  id: string;
  /** Email of a user, name of a service account. */
  name: string;
  /** The API key that authenticated the request; absent for the web UI. */
  apiKeyId?: string;
}

/** AuditEntryInit describes a record to append; emitMs defaults to the clock. */
export interface AuditEntryInit {
  operation: string;
  status: "OK" | "ERROR";
  principal: AuditPrincipal;
  /** The request's fields. */
  rawDetails: JsonObject;
  asyncOperationId?: string;
  emitMs?: number;
}

/** AuditWindow selects records: [startMs, endMs) by emit time, visible at nowMs. */
export interface AuditWindow {
  startMs: number;
  endMs: number;
}

/**
 * AuditLog is the simulated account's audit log: one record per request that changed, or tried
 * to change, the account. A record can be made visible only some time after its emit time, as
 * a real log pipeline does (late arrival).
 */
export interface AuditLog {
  append(init: AuditEntryInit): LogRecord;
  /**
   * setDelay makes records appended from now on visible `delayMs` after their emit time
   * (default 0: at once).
   */
  setDelay(delayMs: number): void;
  /**
   * page returns up to `size` visible records of the window, newest first (emit time, then log
   * id, descending), after the record whose key is `after` (see keyOf).
   */
  page(window: AuditWindow, size: number, after: string | undefined): { records: LogRecord[]; lastKey: string | undefined; more: boolean };
  /** size is how many records the log holds (visible or not). */
  readonly size: number;
}

interface Entry {
  record: LogRecord;
  emitMs: number;
  visibleAt: number;
  key: string;
}

/** AuditLogOptions configures createAuditLog. */
export interface AuditLogOptions {
  now: () => number;
  /** Makes the log ids. */
  prng: Prng;
}

/** createAuditLog returns an empty AuditLog. */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { now, prng } = options;
  // Ascending by key (emit time, then log id): appends come in time order, so inserts are at the end.
  const entries: Entry[] = [];
  let delayMs = 0;

  const insert = (entry: Entry): void => {
    let i = entries.length;
    while (i > 0 && entries[i - 1]!.key > entry.key) i--;
    entries.splice(i, 0, entry);
  };

  const prune = (): void => {
    const oldest = now() - RETENTION_MS;
    let drop = 0;
    while (drop < entries.length && entries[drop]!.emitMs < oldest) drop++;
    if (drop > 0) entries.splice(0, drop);
  };

  return {
    append(init) {
      const emitMs = init.emitMs ?? now();
      const record = create(LogRecordSchema, {
        emitTime: timestampFromMs(emitMs),
        operation: init.operation,
        status: init.status,
        version: 1,
        logId: prng.uuid(),
        principal: init.principal,
        rawDetails: init.rawDetails,
        asyncOperationId: init.asyncOperationId ?? "",
      });
      insert({ record, emitMs, visibleAt: emitMs + delayMs, key: keyOf(record) });
      prune();
      return record;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    page(window, size, after) {
      const at = now();
      const start = Math.max(window.startMs, at - RETENTION_MS);
      const records: LogRecord[] = [];
      let lastKey: string | undefined;
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i]!;
        if (entry.emitMs < start) break;
        if (entry.emitMs >= window.endMs || entry.visibleAt > at) continue;
        if (after !== undefined && entry.key >= after) continue;
        if (records.length === size) return { records, lastKey, more: true };
        records.push(entry.record);
        lastKey = entry.key;
      }
      return { records, lastKey, more: false };
    },
    get size() {
      return entries.length;
    },
  };
}

/**
 * keyOf is a record's position in the log: its emit time (zero-padded milliseconds, so that
 * keys sort as strings) and its log id.
 */
export function keyOf(record: LogRecord): string {
  const ms = record.emitTime ? timestampMs(record.emitTime) : 0;
  return `${String(ms).padStart(15, "0")} ${record.logId}`;
}

/**
 * OPERATION_NAMES are the operation names Temporal's audit-log documentation gives the API
 * methods that differ from the method name (some carry an `API` suffix, API keys are spelled
 * `APIKey`); the other methods are logged under their own name.
 */
const OPERATION_NAMES: Record<string, string> = {
  CreateUser: "CreateUserAPI",
  UpdateUser: "UpdateUserAPI",
  DeleteUser: "DeleteUserAPI",
  SetUserNamespaceAccess: "SetUserNamespaceAccessAPI",
  CreateApiKey: "CreateAPIKey",
  UpdateApiKey: "UpdateAPIKey",
  DeleteApiKey: "DeleteAPIKey",
  CreateNamespace: "CreateNamespaceAPI",
  UpdateNamespace: "UpdateNamespaceAPI",
  DeleteNamespace: "DeleteNamespaceAPI",
};

/** operationName is the name the audit log gives an API method. */
export function operationName(method: string): string {
  return OPERATION_NAMES[method] ?? method;
}

/** RequestFacts is what the simulator knows of a handled mutation request. */
export interface RequestFacts {
  /** The API method, e.g. "SetUserNamespaceAccess". */
  method: string;
  principal: AuditPrincipal;
  /** Path variables by JSON field name. */
  params: Record<string, string>;
  /** The JSON body of a POST. */
  body: unknown;
  /** The query string of a DELETE. */
  query: URLSearchParams;
  /** The response body, or undefined when the request failed. */
  response: unknown;
}

/**
 * requestEntry describes a handled mutation request as a record: rawDetails are the request's
 * fields (body or query, and path variables), the status OK when it was accepted.
 */
export function requestEntry(facts: RequestFacts): AuditEntryInit {
  const details: JsonObject = {};
  if (typeof facts.body === "object" && facts.body !== null && !Array.isArray(facts.body)) Object.assign(details, facts.body);
  else for (const [key, value] of facts.query) details[key] = value;
  Object.assign(details, facts.params);
  const operation = (facts.response as { asyncOperation?: { id?: unknown } } | undefined)?.asyncOperation;
  const asyncOperationId = typeof operation?.id === "string" ? operation.id : typeof details.asyncOperationId === "string" ? details.asyncOperationId : "";
  return {
    operation: operationName(facts.method),
    status: facts.response === undefined ? "ERROR" : "OK",
    principal: facts.principal,
    rawDetails: details,
    asyncOperationId,
  };
}
