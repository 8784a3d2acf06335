import { create, fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { type Task, TaskSchema } from "../gen/c1/connectorapi/baton/v1/baton_pb.js";
import { StatusSchema, type Status } from "../gen/google/rpc/status_pb.js";

/**
 * TaskOutcome is how a task handler ended, and so what FinishTask reports (docs/service-mode.md,
 * "Finishing a task"): success with the connector's response, or an error with its gRPC status;
 * `unfinished` tasks send no FinishTask at all (hello tasks, which Hello answers, and syncs that
 * ConductorOne cancelled or that could not send their first heartbeat, as the Go SDK does).
 */
export type TaskOutcome =
  | { kind: "success"; response?: Any; annotations?: Any[]; cancelled?: undefined; syncType?: string; summary?: Record<string, number> }
  | { kind: "error"; status: Status; nonRetryable: boolean; cancelled?: boolean }
  | { kind: "unfinished"; reason: string; cancelled?: boolean; failed?: boolean };

/** success packs a connector response into the Any FinishTask carries, with its annotations. */
export function success<Desc extends DescMessage>(schema: Desc, response: MessageShape<Desc> & { annotations?: Any[] }): TaskOutcome {
  return { kind: "success", response: anyPack(schema, response), annotations: response.annotations ?? [] };
}

/** failure turns an error into FinishTask's error state, keeping a gRPC error's code, message and details. */
export function failure(err: unknown, nonRetryable: boolean): TaskOutcome {
  return { kind: "error", status: statusOf(err), nonRetryable };
}

/** Code holds the gRPC status codes this module names. */
export const Code = { CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, FAILED_PRECONDITION: 9, UNIMPLEMENTED: 12 } as const;

/**
 * statusOf maps an error to google.rpc.Status the way the Go SDK's task manager does: a gRPC
 * error keeps its code, message and details (the grpc-status-details-bin trailer); an aborted
 * operation is CANCELLED, a timeout DEADLINE_EXCEEDED, anything else UNKNOWN with its message.
 */
export function statusOf(err: unknown): Status {
  const e = err as { code?: unknown; details?: unknown; message?: unknown; name?: unknown; metadata?: { get(key: string): unknown[] } };
  if (typeof e?.code === "number" && typeof e.details === "string" && e.metadata) {
    return create(StatusSchema, { code: e.code, message: e.details, details: detailsOf(e.metadata) });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (e?.name === "AbortError") return create(StatusSchema, { code: Code.CANCELLED, message });
  if (e?.name === "TimeoutError") return create(StatusSchema, { code: Code.DEADLINE_EXCEEDED, message });
  return create(StatusSchema, { code: Code.UNKNOWN, message });
}

function detailsOf(metadata: { get(key: string): unknown[] }): Any[] {
  const [bin] = metadata.get("grpc-status-details-bin");
  if (!(bin instanceof Uint8Array)) return [];
  try {
    return fromBinary(StatusSchema, bin).details;
  } catch {
    return [];
  }
}

/** taskTypeOf names a task's type as the proto does (sync_full, grant…), "unknown" when it has none. */
export function taskTypeOf(task: Task): string {
  const kind = task.taskType.case;
  if (!kind) return "unknown";
  return TaskSchema.fields.find((f) => f.localName === kind)?.name ?? kind;
}
