import { create } from "@bufbuild/protobuf";
import {
  AccountManagerService,
  CreateAccountResponseSchema,
  DeleteResourceResponseSchema,
  EventService,
  GrantManagerService,
  GrantManagerServiceGrantResponseSchema,
  GrantManagerServiceRevokeResponseSchema,
  ListEventFeedsResponseSchema,
  ListEventsResponseSchema,
  ResourceManagerService,
} from "../connector/c1.js";
import { StatusSchema } from "../gen/google/rpc/status_pb.js";
import type { Task } from "../gen/c1/connectorapi/baton/v1/baton_pb.js";
import type { ConnectorApi } from "../sync/syncer.js";
import { Code, failure, success, taskTypeOf, type TaskOutcome } from "./task-outcome.js";

/**
 * runConnectorTask performs a task that is one call to the connector (docs/service-mode.md,
 * "Tasks"): grant, revoke, create_account and delete_resource through the provisioning services,
 * list_event_feeds and list_events through EventService, all over the same gRPC path as any
 * client's call. The connector's response goes back as an Any; refusals keep their gRPC status
 * (FAILED_PRECONDITION when provisioning is off). As in the Go SDK, a failed change to access or
 * accounts is non-retryable, and so is a task that lacks what it needs (a malformed task); a failed
 * event read is retryable. The other types end as the SDK's runner ends them with a connector
 * that offers none of them: credential and resource-creation tasks with the connector's
 * UNIMPLEMENTED, non-retryable (a change to access); ticket and action tasks with UNIMPLEMENTED,
 * retryable; a type the SDK does not know (event_feed, diffs, compaction, none) with UNKNOWN
 * "unsupported task type", retryable, as its runner answers (docs/service-mode.md).
 */
export async function runConnectorTask(task: Task, api: ConnectorApi, signal: AbortSignal): Promise<TaskOutcome> {
  const t = task.taskType;
  try {
    switch (t.case) {
      case "grant": {
        if (!t.value.entitlement || !t.value.principal) return malformed(task, "an entitlement and a principal");
        const response = await api.call(GrantManagerService.method.grant, { entitlement: t.value.entitlement, principal: t.value.principal }, signal);
        return success(GrantManagerServiceGrantResponseSchema, response);
      }
      case "revoke": {
        if (!t.value.grant) return malformed(task, "a grant");
        const response = await api.call(GrantManagerService.method.revoke, { grant: t.value.grant }, signal);
        return success(GrantManagerServiceRevokeResponseSchema, response);
      }
      case "createAccount": {
        if (!t.value.accountInfo) return malformed(task, "account info");
        const { accountInfo, credentialOptions, encryptionConfigs, resourceTypeId } = t.value;
        const response = await api.call(AccountManagerService.method.createAccount, { accountInfo, credentialOptions, encryptionConfigs, resourceTypeId }, signal);
        return success(CreateAccountResponseSchema, response);
      }
      case "deleteResource": {
        const { resourceId, parentResourceId } = t.value;
        if (!resourceId?.resource || !resourceId.resourceType) return malformed(task, "a resource id");
        const response = await api.call(ResourceManagerService.method.deleteResource, { resourceId, parentResourceId }, signal);
        return success(DeleteResourceResponseSchema, response);
      }
      case "listEventFeeds": {
        const { list } = await readEvents(() => api.call(EventService.method.listEventFeeds, {}, signal));
        // Like the Go SDK: the feeds alone, without the connector's annotations.
        return success(ListEventFeedsResponseSchema, create(ListEventFeedsResponseSchema, { list }));
      }
      case "listEvents": {
        const { eventFeedId, startAt, cursor, pageSize } = t.value;
        const { events, cursor: next, hasMore } = await readEvents(() => api.call(EventService.method.listEvents, { eventFeedId, startAt, cursor, pageSize }, signal));
        return success(ListEventsResponseSchema, create(ListEventsResponseSchema, { events, cursor: next, hasMore }));
      }
      case "createResource":
      case "rotateCredentials":
      case "issueCredential":
        return unimplemented(task, true);
      case "createTicketTask":
      case "listTicketSchemas":
      case "getTicket":
      case "bulkCreateTickets":
      case "bulkGetTickets":
      case "actionListSchemas":
      case "actionGetSchema":
      case "actionInvoke":
      case "actionStatus":
        return unimplemented(task, false);
      default:
        return { kind: "error", status: create(StatusSchema, { code: Code.UNKNOWN, message: "unsupported task type" }), nonRetryable: false };
    }
  } catch (err) {
    if (err instanceof RetryableTaskError) return failure(err.cause, false);
    return failure(err, true);
  }
}

/** RetryableTaskError marks a failed read: ConductorOne may ask again. */
class RetryableTaskError extends Error {
  constructor(override readonly cause: unknown) {
    super("retryable");
  }
}

async function readEvents<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw new RetryableTaskError(err);
  }
}

/** unimplemented is the connector's answer to a task of a kind it does not offer. */
function unimplemented(task: Task, nonRetryable: boolean): TaskOutcome {
  return { kind: "error", status: create(StatusSchema, { code: Code.UNIMPLEMENTED, message: `this connector does not offer ${taskTypeOf(task)} tasks` }), nonRetryable };
}

function malformed(task: Task, needs: string): TaskOutcome {
  return { kind: "error", status: create(StatusSchema, { code: Code.INVALID_ARGUMENT, message: `malformed ${taskTypeOf(task)} task: it needs ${needs}` }), nonRetryable: true };
}
