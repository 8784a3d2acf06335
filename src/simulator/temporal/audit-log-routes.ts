import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  GetAuditLogsRequestSchema,
  GetAuditLogsResponseSchema,
} from "../../gen/temporal/api/cloud/cloudservice/v1/request_response_pb.js";
import { requireAccountAdmin } from "./access-policy.js";
import { RETENTION_MS } from "./audit-log.js";
import { decodePageToken, encodePageToken, resolvePageSize } from "./page-token.js";
import { parse, respond, type Route } from "./route.js";

const TAG = "audit-logs";

/**
 * auditLogRoutes serve GetAuditLogs: the records of a time window ([startTimeInclusive,
 * endTimeExclusive), by default the 30 days kept), newest first, as the API's documentation
 * shows them, to Account Owners and Global Admins only.
 */
export const auditLogRoutes: Route[] = [
  {
    method: "GET",
    path: "/cloud/audit-logs",
    name: "GetAuditLogs",
    handle(ctx) {
      const { store, caller, audit } = ctx;
      const request = parse(ctx, GetAuditLogsRequestSchema);
      requireAccountAdmin(store, caller, "reading the audit log");
      const size = resolvePageSize(request.pageSize);
      const now = store.now();
      const startMs = request.startTimeInclusive ? timestampMs(request.startTimeInclusive) : now - RETENTION_MS;
      const endMs = request.endTimeExclusive ? timestampMs(request.endTimeExclusive) : now;
      const page = audit.page({ startMs, endMs }, size, decodePageToken(TAG, request.pageToken));
      return respond(GetAuditLogsResponseSchema, {
        logs: page.records,
        nextPageToken: page.more && page.lastKey !== undefined ? encodePageToken(TAG, page.lastKey) : "",
      });
    },
  },
];
