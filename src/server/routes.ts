import type { DescMessage, DescService, MessageShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { parseContentType } from "@connectrpc/connect/protocol-grpc";
import type { Logger } from "pino";
import {
  AccountManagerService,
  ActionService,
  AssetService,
  ConnectorService,
  CredentialManagerService,
  EntitlementsService,
  EventService,
  GrantManagerService,
  GrantsService,
  RateLimitDescriptionSchema,
  RateLimitDescription_Status,
  ResourceDeleterService,
  ResourceGetterService,
  ResourceManagerService,
  ResourceTypesService,
  ResourcesService,
  TicketsService,
} from "../connector/c1.js";
import { toSend, type EncodedMessage, type WireFormat } from "../codec/codecs.js";
import { SDK_VERSION, type CallInfo, type Connector } from "../connector/connector.js";
import { Code as ConnectorCode } from "../connector/errors.js";
import { PROTOCOL_FILES } from "../connector/protocol-registry.js";
import { validateMessage } from "../connector/validate.js";
import { RateLimitDescription_Status as LimiterStatus, RateLimiterService } from "../gen/c1/ratelimit/v1/ratelimit_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { registerHealth, type HealthState } from "./health.js";
import { REFLECTION_SERVICES, registerReflection } from "./reflection.js";

/** CONNECTOR_SERVICES are the services the Go SDK's connector server registers, plus the rate limiter. */
export const CONNECTOR_SERVICES: readonly DescService[] = [
  ConnectorService,
  ResourceTypesService,
  ResourcesService,
  ResourceGetterService,
  EntitlementsService,
  GrantsService,
  GrantManagerService,
  ResourceManagerService,
  ResourceDeleterService,
  AccountManagerService,
  CredentialManagerService,
  EventService,
  ActionService,
  AssetService,
  TicketsService,
  RateLimiterService,
];

/**
 * REQUEST_STREAMING_PATHS are the paths of the served methods whose request is a stream (only
 * reflection's): their requests arrive message by message, never all at once.
 */
export const REQUEST_STREAMING_PATHS: ReadonlySet<string> = new Set(
  [...CONNECTOR_SERVICES, Health, ...REFLECTION_SERVICES].flatMap((service) =>
    service.methods.filter((m) => m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming").map((m) => `/${service.typeName}/${m.name}`),
  ),
);

/** RoutesOptions configures createRoutes. */
export interface RoutesOptions {
  connector: Connector;
  health: HealthState;
  log: Logger;
}

/**
 * createRoutes registers every service on a connect router: each method unpacks the request,
 * calls the protocol-neutral connector and returns what it answers. Nothing here knows Temporal.
 */
export function createRoutes({ connector, health, log }: RoutesOptions): (router: ConnectRouter) => void {
  const info = (ctx: HandlerContext): CallInfo => ({ signal: ctx.signal, log });
  // The Go SDK answers these when the feature is off or absent (docs/baton-protocol.md, "Services").
  const provisioningOff = () => new ConnectError("provisioning is not enabled", Code.FailedPrecondition);
  const unsupported = (what: string) => () => {
    throw connector.provisioning ? new ConnectError(`${what} is not supported by this connector`, Code.Unimplemented) : provisioningOff();
  };
  const ticketingOff = () => {
    throw new ConnectError("ticketing is not enabled", Code.Unknown);
  };
  const noSuchAction = (name: string) => new ConnectError(`action "${name}" not found: this connector has no actions`, Code.NotFound);

  return (router) => {
    router.service(ConnectorService, {
      getMetadata: () => ({ metadata: connector.metadata() }),
      async validate(_req, ctx) {
        return { sdkVersion: SDK_VERSION, annotations: await connector.validate(info(ctx)) };
      },
      cleanup(req) {
        if (req.activeSyncId) connector.cleanup(req.activeSyncId);
        return {};
      },
    });
    router.service(ResourceTypesService, { listResourceTypes: (req) => connector.listResourceTypes(req) });
    router.service(ResourcesService, { listResources: (req, ctx) => send(connector.listResources(req, info(ctx)), ctx) });
    router.service(ResourceGetterService, { getResource: (req, ctx) => connector.getResource(req, info(ctx)) });
    router.service(EntitlementsService, {
      listEntitlements: (req, ctx) => send(connector.listEntitlements(req, info(ctx)), ctx),
      listStaticEntitlements: (req) => connector.listStaticEntitlements(req),
    });
    router.service(GrantsService, { listGrants: (req, ctx) => send(connector.listGrants(req, info(ctx)), ctx) });
    router.service(GrantManagerService, {
      grant: (req, ctx) => connector.grant(req, info(ctx)),
      revoke: (req, ctx) => connector.revoke(req, info(ctx)),
    });
    router.service(ResourceManagerService, {
      createResource: unsupported("CreateResource"),
      deleteResource: (req, ctx) => connector.deleteResource(req, info(ctx)),
    });
    router.service(ResourceDeleterService, { deleteResourceV2: (req, ctx) => connector.deleteResource(req, info(ctx)) });
    router.service(AccountManagerService, { createAccount: (req, ctx) => connector.createAccount(req, info(ctx)) });
    router.service(CredentialManagerService, {
      rotateCredential: unsupported("RotateCredential"),
      issueCredential: unsupported("IssueCredential"),
    });
    router.service(EventService, {
      listEventFeeds: () => connector.listEventFeeds(),
      listEvents: (req, ctx) => connector.listEvents(req, info(ctx)),
    });
    router.service(ActionService, {
      listActionSchemas: () => ({ schemas: [] }),
      getActionSchema: (req) => Promise.reject(noSuchAction(req.name)),
      invokeAction: (req) => Promise.reject(noSuchAction(req.name)),
      getActionStatus: (req) => Promise.reject(noSuchAction(req.name || req.id)),
    });
    router.service(AssetService, {
      // Like the Go builder: no assets (icons) to serve, so the stream ends at once.
      // The interceptor validates unary requests only, so the stream checks its own request.
      async *getAsset(req) {
        try {
          validateMessage(AssetService.method.getAsset.input, req);
        } catch (err) {
          throw toConnectError(err, connector);
        }
      },
    });
    router.service(TicketsService, {
      createTicket: ticketingOff,
      getTicket: ticketingOff,
      listTicketSchemas: ticketingOff,
      getTicketSchema: ticketingOff,
      bulkCreateTickets: ticketingOff,
      bulkGetTickets: ticketingOff,
    });
    // The Go client asks Do before every call and skips the call unless the answer is OK or
    // EMPTY; the connector paces upstream calls itself, so it always says OK.
    router.service(RateLimiterService, {
      do: (req) => ({ requestToken: req.requestToken, description: { status: LimiterStatus.OK } }),
      report: () => ({}),
    });
    registerHealth(router, health, [...CONNECTOR_SERVICES.map((s) => s.typeName)]);
    registerReflection(router, [...CONNECTOR_SERVICES, Health], PROTOCOL_FILES);
  };
}

/**
 * send hands an encoded response to the codec the caller negotiated: the gRPC content subtype is
 * `proto` (the default, what the Go SDK sends) or `json` (legal, and used by connect-es and
 * grpc-go clients that ask for it). A JSON caller gets every field of the response.
 */
async function send<D extends DescMessage>(response: Promise<EncodedMessage<D>>, ctx: HandlerContext): Promise<MessageShape<D>> {
  return toSend(await response, wireFormat(ctx));
}

/** wireFormat is the serialization of a call: connect-es accepted its content type, so it parses. */
function wireFormat(ctx: HandlerContext): WireFormat {
  return parseContentType(ctx.requestHeader.get("content-type"))?.binary === false ? "json" : "binary";
}

/**
 * callInterceptor validates every unary request against the protocol's rules, maps failures to
 * gRPC status codes in one place and logs each failed call once (warn for the caller's mistakes,
 * error for ours). Unknown errors become Internal without their text, so nothing internal leaks.
 */
export function callInterceptor(connector: Connector, log: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    try {
      if (!req.stream) validateMessage(req.method.input, req.message);
      const res = await next(req);
      log.debug({ method: req.url, ms: Math.round(performance.now() - started) }, "call ok");
      return res;
    } catch (err) {
      const error = toConnectError(err, connector);
      const fields = { method: req.url, code: Code[error.code], ms: Math.round(performance.now() - started) };
      if (error.code === Code.Internal || error.code === Code.Unknown && !(err instanceof ConnectError)) {
        log.error({ ...fields, err }, "call failed");
      } else {
        log.warn({ ...fields, error: error.rawMessage }, "call failed");
      }
      throw error;
    }
  };
}

/**
 * MAX_ERROR_MESSAGE_CHARS bounds a status message: messages quote the caller's input, and a
 * 1 MiB field echoed into grpc-message would overflow the HTTP/2 header list the client accepts.
 */
const MAX_ERROR_MESSAGE_CHARS = 1024;

/**
 * statusMessage bounds a status message and makes it well-formed UTF-16: JSON input can carry
 * lone surrogates, which the grpc-message encoder (encodeURIComponent) throws on.
 */
function statusMessage(message: string): string {
  const short = message.length <= MAX_ERROR_MESSAGE_CHARS ? message : `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (message truncated)`;
  return short.toWellFormed();
}

/**
 * isUnreadableRequest tells the messages connect-es gives, with INTERNAL, to a request body it
 * cannot read: bytes that are not the request message, a compressed frame without an encoding,
 * a body that does not decompress. The request is at fault, so like grpc-go the caller is told
 * INVALID_ARGUMENT: INTERNAL would say the connector is broken.
 */
export function isUnreadableRequest(message: string): boolean {
  return /^(parse binary: |received compressed envelope|decompression failed)/.test(message);
}

function toConnectError(err: unknown, connector: Connector): ConnectError {
  if (err instanceof ConnectError) {
    const code = err.code === Code.Internal && isUnreadableRequest(err.rawMessage) ? Code.InvalidArgument : err.code;
    const message = statusMessage(err.rawMessage);
    if (code === err.code && message === err.rawMessage) return err;
    const rewritten = new ConnectError(message, code, err.metadata, undefined, err.cause);
    rewritten.details = err.details;
    return rewritten;
  }
  const known = connector.errorOf(err);
  if (!known) return new ConnectError("internal error", Code.Internal, undefined, undefined, err);
  const { retryAfterMs } = known.details;
  // Rate-limit facts travel as a status detail, which is where the Go syncer looks for them.
  const details =
    retryAfterMs === undefined
      ? []
      : [{ desc: RateLimitDescriptionSchema, value: { status: RateLimitDescription_Status.OVERLIMIT, remaining: 0n, resetAt: timestampFromMs(Date.now() + retryAfterMs) } }];
  return new ConnectError(statusMessage(known.message), CONNECT_CODES[known.code], undefined, details, err);
}

/** CONNECT_CODES maps the core's status codes to connect-es's (both are the gRPC codes). */
const CONNECT_CODES: Record<ConnectorCode, Code> = {
  [ConnectorCode.Canceled]: Code.Canceled,
  [ConnectorCode.Unknown]: Code.Unknown,
  [ConnectorCode.InvalidArgument]: Code.InvalidArgument,
  [ConnectorCode.DeadlineExceeded]: Code.DeadlineExceeded,
  [ConnectorCode.NotFound]: Code.NotFound,
  [ConnectorCode.AlreadyExists]: Code.AlreadyExists,
  [ConnectorCode.PermissionDenied]: Code.PermissionDenied,
  [ConnectorCode.ResourceExhausted]: Code.ResourceExhausted,
  [ConnectorCode.FailedPrecondition]: Code.FailedPrecondition,
  [ConnectorCode.Aborted]: Code.Aborted,
  [ConnectorCode.OutOfRange]: Code.OutOfRange,
  [ConnectorCode.Unimplemented]: Code.Unimplemented,
  [ConnectorCode.Internal]: Code.Internal,
  [ConnectorCode.Unavailable]: Code.Unavailable,
  [ConnectorCode.DataLoss]: Code.DataLoss,
  [ConnectorCode.Unauthenticated]: Code.Unauthenticated,
};
