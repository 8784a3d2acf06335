import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JsonValue } from "@bufbuild/protobuf";
import type { AccountData } from "./account-data.js";
import { accountRoutes } from "./account-routes.js";
import { apiKeyRoutes } from "./api-key-routes.js";
import { ApiError, Code, invalidArgument, type GrpcCode } from "./api-error.js";
import {
  createAsyncOperations,
  type OperationOutcome,
  type OperationOutcomeDecider,
} from "./async-operations.js";
import { hasProjects, VERSION_HEADER } from "./api-version.js";
import { auditLogRoutes } from "./audit-log-routes.js";
import { createAuditLog, requestEntry, type AuditLog, type AuditPrincipal } from "./audit-log.js";
import { auditHistory } from "./audit-history.js";
import { authenticate } from "./authenticate.js";
import { createChaos, type ChaosEdit } from "./chaos.js";
import { customRoleRoutes } from "./custom-role-routes.js";
import { createFaultInjector, type Fault, type FaultOptions } from "./fault-injector.js";
import { namespaceRoutes } from "./namespace-routes.js";
import { createPrng } from "./prng.js";
import { projectRoutes } from "./project-routes.js";
import { createRateLimiter } from "./rate-limiter.js";
import { callerId, type Caller, type HttpMethod, type Route } from "./route.js";
import { createRouter } from "./router.js";
import { serviceAccountRoutes } from "./service-account-routes.js";
import { createSimulatorStats, increment, type SimulatorStats } from "./simulator-stats.js";
import { createSimulatorStore, type SimulatorStore } from "./simulator-store.js";
import { serveStats } from "./stats-route.js";
import { userGroupRoutes } from "./user-group-routes.js";
import { userRoutes } from "./user-routes.js";

export type { FaultOptions } from "./fault-injector.js";
export type { OperationOutcome } from "./async-operations.js";
export type { ChaosEdit } from "./chaos.js";

/**
 * SimulatorOptions configures startSimulator.
 */
export interface SimulatorOptions {
  /** The account to serve, from createDemoAccount() or generateAccount(); the store works on a copy. */
  account: AccountData;
  /** Interface to listen on (default "127.0.0.1"). */
  host?: string;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Time every response takes at least, the simulator's own work included, in ms (default 0). */
  latencyMs?: number;
  /** Uniform random extra latency in [0, jitterMs] per response (default 0). */
  jitterMs?: number;
  /** How long async operations stay PENDING/IN_PROGRESS (default 0: settled by the next request). */
  operationDelayMs?: number;
  /** checkDuration returned on operations (default "0.1s"). */
  checkDuration?: string;
  /** Injected failures (default none). */
  faults?: FaultOptions;
  /** Requests per second allowed per API key (sliding window) before 429 (default: no limit). */
  rateLimitPerSecond?: number;
  /** Pending async operations allowed account-wide before mutations get 429 (default 10, the real limit). */
  maxConcurrentOperations?: number;
  /** Seed of every random choice: faults, jitter, generated ids (default 1). */
  seed?: number;
  /**
   * Answer a repeated cacheable read from the body sent before, until the next write (default
   * false). For benchmarks: the simulator shares their machine, and the service it stands in
   * for does its JSON work on its own. Changes made directly through `store` are not seen by
   * reads answered from the cache.
   */
  cacheReads?: boolean;
  /**
   * Words every error message the API sends anew (default: as Temporal Cloud words them, as far
   * as known). Tests use it to prove that no decision of the connector rests on the wording.
   */
  rewordErrors?: (message: string) => string;
  /** Clock of the simulated account, in ms since the epoch (default Date.now). */
  clock?: () => number;
  /** Records appended to the audit log become visible this long after their emit time (default 0). */
  auditDelayMs?: number;
  /**
   * Days of audit-log history to start with (default 0): plausible past activity that led to
   * the account's current state (audit-history.ts).
   */
  auditHistoryDays?: number;
  /** Every this many ms, change the account behind the connector's back (chaos.ts; default never). */
  chaosIntervalMs?: number;
}

/**
 * SimulatedRequest is what an onRequest hook sees of a request. It never carries the API key
 * secret, only the id of the key that authenticated.
 */
export interface SimulatedRequest {
  method: string;
  path: string;
  /** RPC name, e.g. "SetUserNamespaceAccess". */
  route: string;
  query: URLSearchParams;
  /** Parsed JSON body (undefined for GET and DELETE). */
  body: unknown;
  apiKeyId?: string;
}

/** InjectedError is an error response an onRequest hook asks the simulator to send. */
export interface InjectedError {
  status: number;
  code: number;
  message: string;
  retryAfterSeconds?: number;
}

/**
 * Simulator is a running Temporal Cloud Ops HTTP API simulator.
 */
export interface Simulator {
  /** Base URL, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  /** The live state; tests read and change it directly. */
  readonly store: SimulatorStore;
  readonly stats: SimulatorStats;
  /** The audit log: every mutation request, accepted or refused, and every chaos edit. */
  readonly audit: AuditLog;
  /** setAuditDelay makes audit records appended from now on visible only `delayMs` after they were emitted. */
  setAuditDelay(delayMs: number): void;
  /** chaos applies one random edit behind the connector's back (as a person in the web UI) and logs it. */
  chaos(): ChaosEdit;
  setFaults(faults: FaultOptions | undefined): void;
  setLatency(latencyMs: number, jitterMs?: number): void;
  /**
   * hold keeps every response (those already on their way included) from being sent until the
   * returned release is called: a test keeps a call in flight for exactly as long as it needs.
   */
  hold(): () => void;
  /**
   * onRequest installs a hook called for every request after authentication and before
   * handling. It may change the store (to simulate a concurrent change) or return an error to send.
   */
  onRequest(hook: ((req: SimulatedRequest) => void | InjectedError) | undefined): void;
  /**
   * setOperationOutcome decides the outcome of async operations created from now on
   * (FULFILLED by default): "failed" (or { state: "failed", reason }), "rejected", "cancelled",
   * or "never" (stays IN_PROGRESS forever).
   */
  setOperationOutcome(decide: ((op: { id: string; operationType: string }) => OperationOutcome) | undefined): void;
  close(): Promise<void>;
}

/** ROUTES are every Cloud Ops API method the simulator serves. */
export const ROUTES: readonly Route[] = [
  ...accountRoutes,
  ...userRoutes,
  ...serviceAccountRoutes,
  ...userGroupRoutes,
  ...apiKeyRoutes,
  ...customRoleRoutes,
  ...namespaceRoutes,
  ...projectRoutes,
  ...auditLogRoutes,
];

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const BAD_GATEWAY_HTML =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
  "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

interface Reply {
  status: number;
  body: string;
  contentType: string;
  retryAfterSeconds?: number | undefined;
}

function statusReply(code: GrpcCode | number, message: string, status: number, retryAfterSeconds?: number): Reply {
  return {
    status,
    body: JSON.stringify({ code, message, details: [] }),
    contentType: "application/json",
    retryAfterSeconds,
  };
}

function errorReply(error: ApiError, reword: ((message: string) => string) | undefined): Reply {
  return statusReply(error.code, reword ? reword(error.message) : error.message, error.status, error.retryAfterSeconds);
}

function rateLimitMessage(caller: Caller): string {
  const [type, id] =
    caller.kind === "user" ? ["user", caller.user.id] : ["serviceaccount", caller.serviceAccount.id];
  // The wording observed in production (docs/temporal-cloud-api.md, "Errors").
  return `rate limit exceeded for principal type=${type}, id=${id}, please retry later.`;
}

function faultReply(fault: Extract<Fault, { kind: "status" }>, caller: Caller): Reply {
  switch (fault.status) {
    case 503:
      return statusReply(Code.UNAVAILABLE, "the service is temporarily unavailable, please retry", 503);
    case 500:
      return statusReply(Code.INTERNAL, "internal error", 500);
    case 504:
      return statusReply(Code.DEADLINE_EXCEEDED, "upstream request timeout", 504);
    case 429:
      return statusReply(Code.RESOURCE_EXHAUSTED, rateLimitMessage(caller), 429, fault.retryAfterSeconds);
    case 502:
      // A load balancer answers 502 itself, so the body is not a Status (docs/temporal-cloud-api.md, "Errors": tolerate non-JSON).
      return {
        status: 502,
        body: BAD_GATEWAY_HTML,
        contentType: "text/html",
      };
  }
}

/** principalOf names the caller as audit records do. */
function principalOf(caller: Caller): AuditPrincipal {
  const name = caller.kind === "user" ? (caller.user.spec?.email ?? "") : (caller.serviceAccount.spec?.name ?? "");
  return { type: caller.kind === "user" ? "user" : "serviceaccount", id: callerId(caller), name, apiKeyId: caller.apiKey.id };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) reject(invalidArgument("request body too large"));
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidArgument("request body is not valid JSON");
  }
}

/**
 * startSimulator starts a Temporal Cloud Ops HTTP API simulator serving `options.account` and
 * resolves once it listens.
 */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const stats = createSimulatorStats();
  const store = createSimulatorStore(options.account, { seed, ...(options.clock ? { now: options.clock } : {}) });
  const audit = createAuditLog({ now: store.now, prng: createPrng(seed ^ 0xa0d17) });
  for (const entry of auditHistory(options.account, { now: store.now(), days: options.auditHistoryDays ?? 0, seed })) audit.append(entry);
  audit.setDelay(options.auditDelayMs ?? 0);
  const chaos = createChaos({ store, audit, prng: createPrng(seed ^ 0xc4a05) });
  const operations = createAsyncOperations({
    store,
    stats,
    prng: createPrng(seed ^ 0x0b5e),
    ...(options.operationDelayMs === undefined ? {} : { operationDelayMs: options.operationDelayMs }),
    ...(options.checkDuration === undefined ? {} : { checkDuration: options.checkDuration }),
    ...(options.maxConcurrentOperations === undefined ? {} : { maxConcurrentOperations: options.maxConcurrentOperations }),
  });
  const faults = createFaultInjector(createPrng(seed), options.faults);
  // Jitter has its own generator so that changing latency never shifts which requests fail.
  const jitterPrng = createPrng(seed ^ 0x7177e2);
  const rateLimiter = options.rateLimitPerSecond === undefined ? undefined : createRateLimiter(options.rateLimitPerSecond);
  const router = createRouter(ROUTES);
  let latencyMs = options.latencyMs ?? 0;
  let jitterMs = options.jitterMs ?? 0;
  let hook: ((req: SimulatedRequest) => void | InjectedError) | undefined;
  let held: Promise<void> | undefined;

  const send = (res: ServerResponse, reply: Reply): void => {
    if (res.destroyed || res.writableEnded) return;
    increment(stats.responsesByStatus, reply.status);
    const headers: Record<string, string | number> = {
      "content-type": reply.contentType,
      "content-length": Buffer.byteLength(reply.body),
    };
    if (reply.retryAfterSeconds !== undefined) headers["retry-after"] = reply.retryAfterSeconds;
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  };

  // Bodies of cacheable reads by caller, API version and URL (cacheReads); any write clears it.
  const readCache = options.cacheReads ? new Map<string, string>() : undefined;

  // answer handles one request; it returns the reply, or "drop" to close the socket unanswered.
  const answer = (req: IncomingMessage, bodyText: string): Reply | "drop" => {
    operations.settle();
    const method = req.method ?? "GET";
    if (method !== "GET") readCache?.clear();
    const url = new URL(req.url ?? "/", "http://simulator");
    const match = router.match(method, url.pathname);
    if (match.route === undefined) {
      // grpc-gateway v2 routing errors: 404 NOT_FOUND, or 405 with code UNIMPLEMENTED for a wrong method.
      increment(stats.byRoute, match.status === 404 ? "NotFound" : "MethodNotAllowed");
      return match.status === 404
        ? statusReply(Code.NOT_FOUND, "Not Found", 404)
        : statusReply(Code.UNIMPLEMENTED, "Method Not Allowed", 405);
    }
    const route = match.route;
    increment(stats.byRoute, route.name);
    let fault: Fault | undefined;
    let result: JsonValue;
    let cacheKey: string | undefined;
    let caller: Caller | undefined;
    let body: unknown;
    // A mutation the service handled, accepted or refused, is logged; one refused before (by
    // authentication, the rate limit or an injected fault) never reached it.
    const logRequest = (response: JsonValue | undefined): void => {
      if (route.method === "GET" || caller === undefined) return;
      const principal = principalOf(caller);
      audit.append(requestEntry({ method: route.name, principal, params: match.params, body, query: url.searchParams, response }));
    };
    let handling = false;
    try {
      caller = authenticate(store, req.headers.authorization);
      const version = req.headers[VERSION_HEADER];
      const projects = hasProjects(version);
      body = route.method === "POST" ? parseJsonBody(bodyText) : undefined;
      const injected = hook?.({
        method,
        path: url.pathname,
        route: route.name,
        query: url.searchParams,
        body,
        apiKeyId: caller.apiKey.id,
      });
      if (injected !== undefined) {
        return statusReply(injected.code, injected.message, injected.status, injected.retryAfterSeconds);
      }
      if (rateLimiter !== undefined) {
        const wait = rateLimiter.take(caller.apiKey.id, store.now());
        if (wait > 0) throw new ApiError(Code.RESOURCE_EXHAUSTED, rateLimitMessage(caller), { retryAfterSeconds: wait });
      }
      fault = faults.draw(url.pathname);
      if (fault?.kind === "status") {
        increment(stats.faultsInjected, String(fault.status));
        return faultReply(fault, caller);
      }
      // A pending operation may change the account when it settles, so nothing is cached meanwhile.
      cacheKey = readCache && route.cacheable && operations.pendingCount() === 0 ? `${caller.apiKey.id} ${String(version ?? "")} ${req.url ?? ""}` : undefined;
      const cached = cacheKey === undefined ? undefined : readCache!.get(cacheKey);
      if (cached !== undefined && fault?.kind !== "drop") return { status: 200, body: cached, contentType: "application/json" };
      handling = true;
      result = route.handle({
        method: route.method as HttpMethod,
        store,
        operations,
        audit,
        caller,
        projects,
        params: match.params,
        query: url.searchParams,
        body,
      });
      logRequest(result);
    } catch (error) {
      if (handling && error instanceof ApiError) logRequest(undefined);
      if (fault?.kind === "drop") return "drop";
      if (error instanceof ApiError) return errorReply(error, options.rewordErrors);
      // Anything else is a simulator bug: answer INTERNAL without details, keep the cause in the log.
      console.error("temporal cloud simulator: internal error", error);
      return statusReply(Code.INTERNAL, "internal error", 500);
    }
    if (fault?.kind === "drop") return "drop";
    const text = JSON.stringify(result);
    if (cacheKey !== undefined) readCache!.set(cacheKey, text);
    return { status: 200, body: text, contentType: "application/json" };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    stats.inFlight++;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    res.once("close", () => {
      stats.inFlight--;
    });
    try {
      const bodyText = await readBody(req);
      const arrived = performance.now();
      const latency = latencyMs + (jitterMs > 0 ? jitterPrng.next() * jitterMs : 0);
      // The latency is each response's time, the simulator's own work included, as a real
      // server's is: a read is answered from the state it arrives to and leaves once the latency
      // has passed. A write is applied only then, so a write cancelled in flight never happens.
      const read = req.method === "GET" ? answer(req, bodyText) : undefined;
      const wait = latency - (performance.now() - arrived);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      while (held) await held;
      const reply = read ?? answer(req, bodyText);
      if (reply === "drop") {
        increment(stats.faultsInjected, "drop");
        stats.droppedConnections++;
        req.socket.destroy();
        return;
      }
      send(res, reply);
    } catch (error) {
      send(res, error instanceof ApiError ? errorReply(error, options.rewordErrors) : statusReply(Code.INTERNAL, "internal error", 500));
    }
  };

  const server = createServer((req, res) => {
    // GET /_sim/stats is the simulator's own diagnostics route, outside the Cloud Ops API (stats-route.ts).
    if (serveStats(req, res, stats)) return;
    void handle(req, res);
  });
  const host = options.host ?? "127.0.0.1";
  // once() rejects with the error (EADDRINUSE…) if the server fails to listen.
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const chaosEdit = (): ChaosEdit => {
    readCache?.clear();
    return chaos.edit();
  };
  const chaosTimer = options.chaosIntervalMs ? setInterval(chaosEdit, options.chaosIntervalMs) : undefined;
  chaosTimer?.unref();

  return {
    url,
    store,
    stats,
    audit,
    setAuditDelay: (delayMs) => audit.setDelay(delayMs),
    chaos: chaosEdit,
    setFaults: (next) => faults.set(next),
    setLatency(nextLatencyMs, nextJitterMs = 0) {
      latencyMs = nextLatencyMs;
      jitterMs = nextJitterMs;
    },
    hold() {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      held = gate;
      return () => {
        if (held === gate) held = undefined;
        release();
      };
    },
    onRequest(next) {
      hook = next;
    },
    setOperationOutcome(decide: OperationOutcomeDecider | undefined) {
      operations.setOutcome(decide);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        clearInterval(chaosTimer);
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
