import type { Logger } from "pino";
import { createApiKeyExpiry } from "./api-key-expiry.js";
import { createConnector, type Connector } from "../connector/connector.js";
import { Code, ConnectorError } from "../connector/errors.js";
import type { SyncObserver } from "../connector/sync-observer.js";
import { createTokenSealer } from "../connector/token-seal.js";
import { fastPathsOn } from "../codec/fast-paths.js";
import { AccountAccess_Role } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import { createAuditLogFeed } from "../feed/audit-log-feed.js";
import { createResourceSyncers } from "../resources/index.js";
import { DEFAULT_INSIGHT_THRESHOLDS, type InsightThresholds } from "../insights/insight-rules.js";
import { createSecurityInsightSyncer } from "../insights/security-insight.js";
import { createTemporalAccount, type TemporalAccount } from "../resources/temporal-account.js";
import { hasAdminEverywhere, type RoleSlug } from "../resources/temporal-access.js";
import { staticApiKey, type ApiKeySource } from "../temporal/api-key-source.js";
import { createTemporalClient } from "../temporal/client.js";
import { TemporalApiError, type TemporalErrorKind } from "../temporal/errors.js";
import type { TemporalObserver } from "../temporal/observer.js";
import { createRateLimiter } from "../temporal/rate-limiter.js";
import { memberReadAheadFor } from "../temporal/account-snapshot.js";
import { apiVersionAtLeast, PROJECTS_API_VERSION } from "../temporal/api-version.js";
import { createTransport, DEFAULT_API_VERSION, type RetryPolicy, type Transport } from "../temporal/transport.js";

/** TemporalConnectorOptions configures createTemporalConnector. */
export interface TemporalConnectorOptions {
  baseUrl: string;
  /** The API key, or a source that keeps it current (a file, rotated without a restart); closed with the connector. */
  apiKey: string | ApiKeySource;
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
  /** The audit-log event feed's timing (audit-log-feed.ts); tests shorten it and bring their own clock. */
  eventFeed?: { settleMs?: number; overlapMs?: number; now?: () => number };
  /** Thresholds of the security-insight rules (defaults: DEFAULT_INSIGHT_THRESHOLDS). */
  insights?: InsightThresholds;
  log: Logger;
  /** Told about upstream requests, retries, rate-limit and operation waits (metrics). */
  observer?: TemporalObserver;
  /** Told about the pages served to syncs (metrics). */
  syncObserver?: SyncObserver;
  /** Clock of the API key expiry checks (default Date.now). */
  now?: () => number;
}

/** TemporalConnector is the assembled connector and what it holds open. */
export interface TemporalConnector {
  connector: Connector;
  account: TemporalAccount;
  transport: Transport;
  /**
   * checkApiKey looks the key up (GetCurrentIdentity) unless Validate or a check did within
   * `unlessWithinMs`: it logs the expiry warning when due and rejects when the key is expired or
   * disabled. Validate does the same on every sync; this covers a connector nobody syncs with.
   */
  checkApiKey(options?: { unlessWithinMs?: number; signal?: AbortSignal }): Promise<void>;
  /** apiKeySecondsLeft is how long until the current key expires, once it has been looked up. */
  apiKeySecondsLeft(): number | undefined;
  close(): Promise<void>;
}

/**
 * createTemporalConnector assembles the product: an HTTP transport to the Temporal Cloud Ops API
 * (rate-limited, retried), the typed client, the resource types, and the protocol core.
 */
export function createTemporalConnector(options: TemporalConnectorOptions): TemporalConnector {
  const keys = typeof options.apiKey === "string" ? staticApiKey(options.apiKey) : options.apiKey;
  const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
  const rateLimit = options.rateLimit ?? 80;
  const transport = createTransport({
    baseUrl: options.baseUrl,
    apiKey: keys,
    apiVersion,
    allowInsecure: options.allowInsecure,
    timeoutMs: options.requestTimeoutMs,
    retry: options.retry,
    rateLimiter: createRateLimiter({ perSecond: rateLimit, burst: 5 }),
    userAgent: "temporalcloud-connector/0.1 (baton)",
    log: options.log,
    observer: options.observer,
  });
  const client = createTemporalClient(transport);
  const account = createTemporalAccount({
    client,
    operations: { deadlineMs: options.operationTimeoutMs, minPollMs: options.minPollMs },
    snapshots: { memberReadAhead: memberReadAheadFor(rateLimit) },
    defaultAccountRole: options.defaultAccountRole,
    observer: options.observer,
    projects: apiVersionAtLeast(apiVersion, PROJECTS_API_VERSION),
  });
  const now = options.now ?? Date.now;
  const expiry = createApiKeyExpiry({ log: options.log, now });
  let lookedUpAt = -Infinity;

  /** identity asks who the key is, remembering what it says about the key itself. */
  async function identity(signal: AbortSignal | undefined, alongside?: Promise<unknown>) {
    lookedUpAt = now();
    try {
      const [found] = await Promise.all([client.getCurrentIdentity({ signal }), alongside]);
      // The key read now is the one that was answered for (a 401 swaps it in before the retry).
      expiry.seen(found.principalApiKey, keys.current());
      return found;
    } catch (err) {
      if (err instanceof TemporalApiError && err.kind === "unauthenticated") throw expiry.refused(keys.current(), err);
      throw err;
    }
  }

  const connector = createConnector({
    resourceTypes: [createSecurityInsightSyncer(account, options.insights ?? DEFAULT_INSIGHT_THRESHOLDS), ...createResourceSyncers(account)],
    eventFeeds: [createAuditLogFeed({ client, users: account.users, projects: account.projects, ...options.eventFeed })],
    provisioning: options.provisioning,
    metadata: {
      displayName: "Temporal Cloud",
      description: `Users, service accounts, groups, namespaces, ${account.projects ? "projects, " : ""}account and custom roles, and API keys of a Temporal Cloud account, with access-risk findings.`,
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
      const principal = (await identity(ctx.signal, account.accountId())).principal.value;
      const role = principal?.spec?.access?.accountAccess?.role ?? AccountAccess_Role.UNSPECIFIED;
      if (!hasAdminEverywhere(role)) {
        ctx.log.warn(
          { principal: principal?.id, role: AccountAccess_Role[role] },
          "the API key's principal is not an Account Admin or Owner: API keys of others are invisible and provisioning will be refused",
        );
      }
      return expiry.check(keys.current());
    },
    cleanup: (syncId) => account.forgetSync(syncId),
    translateError: temporalErrorToConnector,
    readAhead: fastPathsOn(),
    syncObserver: options.syncObserver,
    // Every replica holds the API key: a token sealed by one opens on the others (docs/security.md).
    tokenSealer: createTokenSealer({ secret: () => keys.current() }),
  });
  return {
    connector,
    account,
    transport,
    async checkApiKey({ unlessWithinMs = 0, signal } = {}) {
      if (now() - lookedUpAt < unlessWithinMs) return;
      await identity(signal);
      expiry.check(keys.current());
    },
    apiKeySecondsLeft: () => expiry.secondsLeft(keys.current()),
    async close() {
      account.close();
      keys.close();
      await transport.close();
    },
  };
}

/** CODE_OF_KIND is what each kind of Temporal Cloud API failure means for the connector's caller. */
const CODE_OF_KIND: Record<TemporalErrorKind, Code> = {
  "invalid-argument": Code.InvalidArgument,
  "failed-precondition": Code.FailedPrecondition,
  unauthenticated: Code.Unauthenticated,
  "permission-denied": Code.PermissionDenied,
  "not-found": Code.NotFound,
  "already-exists": Code.AlreadyExists,
  "rate-limited": Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  "upstream-error": Code.Unavailable,
  timeout: Code.DeadlineExceeded,
  cancelled: Code.Canceled,
  "operation-failed": Code.Aborted,
  "operation-timeout": Code.DeadlineExceeded,
  "invalid-response": Code.Unavailable,
};

/**
 * temporalErrorToConnector is where Temporal Cloud API failures become the connector's: by kind
 * (401→Unauthenticated, 403→PermissionDenied, 404→NotFound, 429→ResourceExhausted,
 * 5xx→Unavailable, …), with their message, which the client keeps free of secrets, and a
 * Retry-After as a retry hint.
 */
function temporalErrorToConnector(err: unknown): ConnectorError | undefined {
  if (!(err instanceof TemporalApiError)) return undefined;
  const details = err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {};
  return new ConnectorError(CODE_OF_KIND[err.kind], err.message, details, { cause: err });
}
