import type { Logger } from "pino";
import { createConnector, type Connector } from "./connector/connector.js";
import { AccountAccess_Role } from "./gen/temporal/api/cloud/identity/v1/message_pb.js";
import { createResourceSyncers } from "./resources/index.js";
import type { InsightThresholds } from "./resources/insight-rules.js";
import { createTemporalAccount, type TemporalAccount } from "./resources/temporal-account.js";
import { hasAdminEverywhere, type RoleSlug } from "./resources/temporal-access.js";
import { createTemporalClient } from "./temporal/client.js";
import { createRateLimiter } from "./temporal/rate-limiter.js";
import { createTransport, DEFAULT_API_VERSION, type RetryPolicy, type Transport } from "./temporal/transport.js";

/** TemporalConnectorOptions configures createTemporalConnector. */
export interface TemporalConnectorOptions {
  baseUrl: string;
  apiKey: string;
  apiVersion?: string;
  allowInsecure?: boolean;
  /** Upstream requests per second. */
  rateLimit?: number;
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  operationTimeoutMs?: number;
  /** Lower bound of the wait between two polls of an async operation. */
  minPollMs?: number;
  provisioning: boolean;
  defaultAccountRole?: RoleSlug;
  /** Thresholds of the security-insight rules (defaults: DEFAULT_INSIGHT_THRESHOLDS). */
  insights?: InsightThresholds;
  log: Logger;
}

/** TemporalConnector is the assembled connector and what it holds open. */
export interface TemporalConnector {
  connector: Connector;
  account: TemporalAccount;
  transport: Transport;
  close(): Promise<void>;
}

/**
 * createTemporalConnector assembles the product: an HTTP transport to the Temporal Cloud Ops API
 * (rate-limited, retried), the typed client, the resource types, and the protocol core.
 */
export function createTemporalConnector(options: TemporalConnectorOptions): TemporalConnector {
  const transport = createTransport({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    apiVersion: options.apiVersion ?? DEFAULT_API_VERSION,
    allowInsecure: options.allowInsecure,
    timeoutMs: options.requestTimeoutMs,
    retry: options.retry,
    rateLimiter: createRateLimiter({ perSecond: options.rateLimit ?? 80, burst: 5 }),
    userAgent: "temporalcloud-connector/0.1 (baton)",
    log: options.log,
  });
  const client = createTemporalClient(transport);
  const account = createTemporalAccount({
    client,
    operations: { deadlineMs: options.operationTimeoutMs, minPollMs: options.minPollMs },
    defaultAccountRole: options.defaultAccountRole,
  });
  const connector = createConnector({
    resourceTypes: createResourceSyncers(account, { insights: options.insights }),
    provisioning: options.provisioning,
    metadata: {
      displayName: "Temporal Cloud",
      description: "Users, service accounts, groups, namespaces, account and custom roles, and API keys of a Temporal Cloud account, with access-risk findings.",
      accountCreationSchema: {
        fieldMap: {
          email: {
            displayName: "Email",
            required: true,
            description: "Address to invite; Temporal Cloud emails the invitation.",
            placeholder: "person@example.com",
            order: 1,
            field: { case: "stringField", value: {} },
          },
        },
      },
    },
    async validate(ctx) {
      const [identity] = await Promise.all([client.getCurrentIdentity({ signal: ctx.signal }), account.accountId()]);
      const principal = identity.principal.value;
      const role = principal?.spec?.access?.accountAccess?.role ?? AccountAccess_Role.UNSPECIFIED;
      if (!hasAdminEverywhere(role)) {
        ctx.log.warn(
          { principal: principal?.id, role: AccountAccess_Role[role] },
          "the API key's principal is not an Account Admin or Owner: API keys of others are invisible and provisioning will be refused",
        );
      }
    },
    cleanup: (syncId) => account.forgetSync(syncId),
  });
  return {
    connector,
    account,
    transport,
    async close() {
      account.close();
      await transport.close();
    },
  };
}
