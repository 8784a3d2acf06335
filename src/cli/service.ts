import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import type { Logger } from "pino";
import { createTemporalConnector, type TemporalConnector } from "../app/app.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { startMetricsServer } from "../metrics/metrics-server.js";
import type { InsightThresholds } from "../insights/insight-rules.js";
import type { RoleSlug } from "../resources/temporal-access.js";
import { startHealthServer } from "../server/health-server.js";
import type { ConnectionLimits } from "../server/connection-guard.js";
import { startServer, type RunningServer, type TlsOptions } from "../server/server.js";
import type { ApiKeySource } from "../temporal/api-key-source.js";
import { apiKeySourceOf, logger } from "./api-key-option.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";

// What the connector commands (serve, demo, sync) assemble. The CLI imports this module only for
// them, so that light commands (health, run by exec probes every few seconds) start fast.

/** metricsOf creates the metrics when --metrics-listen asks for them. */
export function metricsOf(values: Values): Metrics | undefined {
  return values["metrics-listen"] ? createMetrics() : undefined;
}

/** Service is what serve and demo run: the connector, its gRPC server, and the optional listeners. */
export interface Service {
  app: TemporalConnector;
  server: RunningServer;
  /** Where it listens: address (gRPC), and metrics and health when asked for. */
  addresses: Record<string, string>;
  close(): Promise<void>;
}

/**
 * startService starts, in order, the metrics endpoint (--metrics-listen), the connector, its
 * gRPC server (--listen) and the health-only server (--health-listen). If one cannot start,
 * those already started are closed again and a CommandError names the flag.
 */
export async function startService(values: Values, upstream: Upstream, log: Logger, metrics: Metrics | undefined): Promise<Service> {
  const started: { close(): Promise<void> | void }[] = [];
  // The connector closes the key source; until it exists, that is done here.
  let app: TemporalConnector | undefined;
  let grpcServer: RunningServer | undefined;
  const closeAll = async () => {
    // The gRPC server drains first: meanwhile the health port answers NOT_SERVING and metrics
    // are still scraped. Then the rest, last started first.
    await grpcServer?.close();
    for (const part of started.reverse()) await part.close();
    if (!app && typeof upstream.apiKey !== "string") upstream.apiKey.close();
  };
  try {
    // Settings that can be refused, before anything starts.
    const tls = tlsOf(values);
    const limits = connectionLimitsOf(values);
    const plainText = plainTextRefusal(values, tls);
    const addresses: Record<string, string> = {};
    if (metrics) {
      const endpoint = await listen("--metrics-listen", values["metrics-listen"] as string, (host, port) => startMetricsServer({ registry: metrics.registry, host, port, maxConnections: limits.maxConnections }));
      started.push(endpoint);
      addresses.metrics = `${endpoint.host}:${endpoint.port}`;
    }
    const connector = (app = connectorOf(values, upstream, log, metrics));
    started.push(connector);
    metrics?.trackApiKey(() => connector.apiKeySecondsLeft());
    const server = await listen("--listen", values.listen as string, (host, port) =>
      startServer({ connector: connector.connector, log, host, port, tls, drainTimeoutMs: values["drain-timeout"] as number, callObserver: metrics, limits, connectionObserver: metrics }),
    );
    grpcServer = server;
    addresses.address = `${server.host}:${server.port}`;
    if (plainText) log.warn({ address: addresses.address }, "serving plain-text gRPC on a network address (--listen-insecure): anyone who can connect reads the access graph, and provisions when --provisioning is on");
    const healthListen = values["health-listen"] as string | undefined;
    if (healthListen) {
      const healthServer = await listen("--health-listen", healthListen, (host, port) => startHealthServer({ health: server.health, host, port, log, limits, connectionObserver: metrics }));
      started.push(healthServer);
      addresses.health = `${healthServer.host}:${healthServer.port}`;
    }
    return { app: connector, server, addresses, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** listen starts a listener on a flag's HOST:PORT; an address that cannot be bound is a CommandError naming the flag. */
export async function listen<T>(flag: string, address: string, start: (host: string, port: number) => Promise<T>): Promise<T> {
  const [host, port] = hostPort(address, undefined, flag);
  try {
    return await start(host, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new CommandError(`cannot listen on ${flag} ${address}: ${code}`);
    throw err;
  }
}

/** API_KEY_CHECK_MS is how long a served connector goes without looking at its API key. */
const API_KEY_CHECK_MS = 6 * 60 * 60 * 1000;

/**
 * checkApiKeyDaily looks the API key up a minute after the start and then every few hours unless
 * a sync's Validate just did, so that the expiry warning is logged (once a day) and the expiry
 * metric is set even while nobody syncs. Not at once: the first sync's Validate usually comes
 * first, and a request more than a sync needs would be noise in what the benchmark counts.
 */
export function checkApiKeyDaily(app: TemporalConnector, log: Logger): () => void {
  const check = () =>
    void app.checkApiKey({ unlessWithinMs: API_KEY_CHECK_MS }).catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, "API key check failed"));
  let timer = setTimeout(() => {
    check();
    timer = setInterval(check, 60 * 60 * 1000).unref();
  }, 60_000).unref();
  return () => clearTimeout(timer);
}

/** Upstream is where the connector finds Temporal Cloud and with which key. */
export type Upstream = { baseUrl: string; apiKey: string | ApiKeySource; allowInsecure: boolean };

/**
 * oneShotConnector is what the one-shot commands (sync, events, report) run against: the
 * connector of the configured account (--api-key or --api-key-file, --base-url…) and its log.
 */
export function oneShotConnector(values: Values, provisioning: boolean): { app: TemporalConnector; log: Logger } {
  const secrets = new Set<string>();
  const log = logger(values, secrets);
  const apiKey = apiKeySourceOf(values, log, secrets);
  const upstream = { baseUrl: values["base-url"] as string, apiKey, allowInsecure: values["allow-insecure"] as boolean };
  try {
    return { log, app: connectorOf({ ...values, provisioning }, upstream, log) };
  } catch (err) {
    apiKey.close();
    throw err;
  }
}

/**
 * limitHeapGrowth keeps the heap close to what the connector holds. A connector holds little live
 * data but allocates fast while it converts and encodes pages, and by default V8 lets both heaps
 * grow to several times what is live before collecting. Growing the old heap by at most a quarter
 * and keeping the young one at its initial size hold the resident size close to what the account
 * needs (at 10k users about 140 MB instead of 240 MB) for a few percent more GC time. It is set
 * once the connector's modules are loaded: set before, while the heap is still small, the heap
 * grows a quarter at a time to its working size and the collections on the way doubled the GC
 * time of a sync (measured with the bench's 10k-user subset). V8 reads both at every collection.
 */
function limitHeapGrowth(): void {
  setFlagsFromString("--heap-growing-percent=25");
  setFlagsFromString("--semi-space-growth-factor=1");
}

/** connectorOf assembles the connector from the command's settings. */
export function connectorOf(values: Values, upstream: Upstream, log: Logger, metrics?: Metrics): TemporalConnector {
  const rateLimit = values["rate-limit"] as number;
  if (!(rateLimit > 0)) throw new CommandError(`--rate-limit must be positive, got ${rateLimit}`);
  const insights = insightsOf(values);
  try {
    const connector = createTemporalConnector({
      ...upstream,
      apiVersion: values["api-version"] as string,
      rateLimit,
      requestTimeoutMs: values["request-timeout"] as number,
      operationTimeoutMs: values["operation-timeout"] as number,
      provisioning: values.provisioning as boolean,
      defaultAccountRole: values["default-account-role"] as RoleSlug,
      insights,
      log,
      observer: metrics,
      syncObserver: metrics,
    });
    limitHeapGrowth();
    return connector;
  } catch (err) {
    if (err instanceof RangeError) throw new CommandError(err.message);
    throw err;
  }
}

/** insightsOf reads the thresholds of the security-insight rules (commands without them keep the defaults). */
function insightsOf(values: Values): InsightThresholds | undefined {
  if (values["insight-api-key-max-days"] === undefined) return undefined;
  const insights = { apiKeyMaxDays: values["insight-api-key-max-days"] as number, minAdmins: values["insight-admins-min"] as number, maxAdminsPercent: values["insight-admins-percent"] as number };
  for (const [flag, value] of [["--insight-api-key-max-days", insights.apiKeyMaxDays], ["--insight-admins-min", insights.minAdmins], ["--insight-admins-percent", insights.maxAdminsPercent]] as const) {
    if (!(value >= 0)) throw new CommandError(`${flag} must be zero or more, got ${value}`);
  }
  return insights;
}

function tlsOf(values: Values): TlsOptions | undefined {
  const [certFile, keyFile, caFile] = [values["tls-cert"], values["tls-key"], values["tls-client-ca"]] as (string | undefined)[];
  const clientSans = (values["tls-client-san"] as string[] | undefined) ?? [];
  if (clientSans.length > 0 && !caFile) throw new CommandError("--tls-client-san needs --tls-client-ca (mutual TLS)");
  if (!certFile && !keyFile) {
    if (caFile) throw new CommandError("--tls-client-ca needs --tls-cert and --tls-key");
    return undefined;
  }
  if (!certFile || !keyFile) throw new CommandError("--tls-cert and --tls-key go together");
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CommandError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  };
  return { cert: read("--tls-cert", certFile), key: read("--tls-key", keyFile), clientCa: caFile ? read("--tls-client-ca", caFile) : undefined, clientSans };
}

/**
 * plainTextRefusal refuses, before anything listens, to serve plain text on an address that is
 * not loopback: whoever reaches it reads the access graph (and provisions, with --provisioning).
 * With --listen-insecure it is allowed, and true says so (the caller warns once it listens).
 */
export function plainTextRefusal(values: Values, tls: TlsOptions | undefined): boolean {
  if (tls) return false;
  const [host] = hostPort(values.listen as string);
  if (isLoopback(host)) return false;
  if (values["listen-insecure"] === true) return true;
  throw new CommandError(`refusing to serve plain text on --listen ${values.listen as string}, which is not a loopback address: add --tls-cert and --tls-key (and --tls-client-ca), or --listen-insecure`);
}

/** isLoopback is true for addresses only this host can reach: 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const ip = host.toLowerCase().replace(/^::ffff:/, "");
  return ip === "localhost" || ip === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/** connectionLimitsOf reads the limits of the served ports (--handshake-timeout, --idle-timeout…). */
export function connectionLimitsOf(values: Values): ConnectionLimits {
  const maxConnections = values["max-connections"] as number;
  if (!(Number.isInteger(maxConnections) && maxConnections >= 1)) throw new CommandError(`--max-connections must be a whole number, at least 1; got ${maxConnections}`);
  return {
    handshakeTimeoutMs: values["handshake-timeout"] as number,
    idleTimeoutMs: values["idle-timeout"] as number,
    maxConnections,
    requestReadTimeoutMs: values["request-read-timeout"] as number,
  };
}

/** hostPort splits a flag's HOST:PORT (IPv6 in brackets). */
export function hostPort(listen: string, portOverride?: number, flag = "--listen"): [string, number] {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m || !m[1]) throw new CommandError(`${flag} must be HOST:PORT, got "${listen}"`);
  const host = m[1].replace(/^\[(.*)\]$/, "$1");
  return [host, portOverride ?? Number(m[2])];
}

