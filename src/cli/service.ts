import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { createTemporalConnector, type TemporalConnector } from "../app.js";
import { createLogger } from "../logger.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { startMetricsServer } from "../metrics/metrics-server.js";
import type { RoleSlug } from "../resources/temporal-access.js";
import { startHealthServer } from "../server/health-server.js";
import { startServer, type RunningServer, type TlsOptions } from "../server/server.js";
import { ApiKeyFileError, createFileApiKeySource, staticApiKey, type ApiKeySource } from "../temporal/api-key-source.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";

// What the connector commands (serve, demo, sync) assemble. The CLI imports this module only for
// them, so that light commands (health, run by exec probes every few seconds) start fast.

/**
 * apiKeySourceOf reads the API key from --api-key-file, watched so that a new key is used without
 * a restart, or from --api-key / BATON_API_KEY. Every key it reads is added to `secrets`, which
 * the logger scrubs, before any request carries it.
 */
export function apiKeySourceOf(values: Values, log: Logger, secrets: Set<string>, metrics?: Metrics): ApiKeySource {
  const file = values["api-key-file"] as string | undefined;
  if (file) {
    let source: ApiKeySource;
    try {
      source = createFileApiKeySource(file, {
        onChange(key, trigger) {
          secrets.add(key);
          metrics?.apiKeyChanged(trigger);
          log.info({ file, trigger }, "using the new API key from --api-key-file");
        },
        onError: (reason) => log.warn({ reason }, "--api-key-file changed but cannot be used: keeping the current key"),
      });
    } catch (err) {
      if (err instanceof ApiKeyFileError) throw new CommandError(`--api-key-file: ${err.message}`);
      throw err;
    }
    secrets.add(source.current());
    return source;
  }
  const key = (values["api-key"] as string | undefined)?.trim();
  if (!key) {
    throw new CommandError(
      "no Temporal Cloud API key: set BATON_API_KEY, or pass --api-key-file (or --api-key); " +
        "to try the connector without credentials, run `temporalcloud-connector demo`",
    );
  }
  secrets.add(key);
  return staticApiKey(key);
}

/** logger logs as --log-level and --log-format say, scrubbing `secrets`. */
export function logger(values: Values, secrets: Iterable<string>): Logger {
  return createLogger({ level: values["log-level"] as string, format: values["log-format"] as "json" | "console", secrets });
}

/** metricsOf creates the metrics when --metrics-listen asks for them. */
export function metricsOf(values: Values): Metrics | undefined {
  return values["metrics-listen"] ? createMetrics() : undefined;
}

/** Service is what serve and demo run: the connector, its gRPC server, and the optional listeners. */
export interface Service {
  app: TemporalConnector;
  server: RunningServer;
  close(): Promise<void>;
}

/**
 * startService starts, in order, the metrics endpoint (--metrics-listen), the connector, its
 * gRPC server (--listen) and the health-only server (--health-listen). If one cannot start,
 * those already started are closed again and a CommandError names the flag.
 */
export async function startService(values: Values, upstream: Upstream, log: Logger, metrics: Metrics | undefined): Promise<Service> {
  const started: { close(): Promise<void> | void }[] = [];
  const closeAll = async () => {
    for (const part of started.reverse()) await part.close();
  };
  try {
    if (metrics) started.push(await listen("--metrics-listen", values["metrics-listen"] as string, (host, port) => startMetricsServer({ registry: metrics.registry, host, port })));
    let app: TemporalConnector;
    try {
      app = connectorOf(values, upstream, log, metrics);
    } catch (err) {
      if (typeof upstream.apiKey !== "string") upstream.apiKey.close();
      throw err;
    }
    started.push(app);
    metrics?.trackApiKey(() => app.apiKeySecondsLeft());
    const server = await listen("--listen", values.listen as string, (host, port) =>
      startServer({ connector: app.connector, log, host, port, tls: tlsOf(values), drainTimeoutMs: values["drain-timeout"] as number, callObserver: metrics }),
    );
    started.push(server);
    const healthListen = values["health-listen"] as string | undefined;
    if (healthListen) started.push(await listen("--health-listen", healthListen, (host, port) => startHealthServer({ health: server.health, host, port })));
    return { app, server, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** listen starts a listener on a flag's HOST:PORT; an address that cannot be bound is a CommandError naming the flag. */
async function listen<T>(flag: string, address: string, start: (host: string, port: number) => Promise<T>): Promise<T> {
  const [host, port] = hostPort(address, undefined, flag);
  try {
    return await start(host, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new CommandError(`cannot listen on ${flag} ${address}: ${code}`);
    throw err;
  }
}

/** API_KEY_CHECK_MS is how often a served connector looks at its API key's expiry on its own. */
const API_KEY_CHECK_MS = 6 * 60 * 60 * 1000;

/**
 * checkApiKeyDaily looks the API key up now and every few hours, so that the expiry warning is
 * logged (once a day) and the expiry metric is set even while no sync calls Validate.
 */
export function checkApiKeyDaily(app: TemporalConnector, log: Logger): () => void {
  const check = () =>
    app.checkApiKey().catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, "API key check failed"));
  void check();
  const timer = setInterval(() => void check(), API_KEY_CHECK_MS).unref();
  return () => clearInterval(timer);
}

/** Upstream is where the connector finds Temporal Cloud and with which key. */
export type Upstream = { baseUrl: string; apiKey: string | ApiKeySource; allowInsecure: boolean };

/** connectorOf assembles the connector from the command's settings. */
export function connectorOf(values: Values, upstream: Upstream, log: Logger, metrics?: Metrics): TemporalConnector {
  const rateLimit = values["rate-limit"] as number;
  if (!(rateLimit > 0)) throw new CommandError(`--rate-limit must be positive, got ${rateLimit}`);
  try {
    return createTemporalConnector({
      ...upstream,
      apiVersion: values["api-version"] as string,
      rateLimit,
      requestTimeoutMs: values["request-timeout"] as number,
      operationTimeoutMs: values["operation-timeout"] as number,
      provisioning: values.provisioning as boolean,
      defaultAccountRole: values["default-account-role"] as RoleSlug,
      log,
      observer: metrics,
      syncObserver: metrics,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new CommandError(err.message);
    throw err;
  }
}

function tlsOf(values: Values): TlsOptions | undefined {
  const [certFile, keyFile, caFile] = [values["tls-cert"], values["tls-key"], values["tls-client-ca"]] as (string | undefined)[];
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
  return { cert: read("--tls-cert", certFile), key: read("--tls-key", keyFile), clientCa: caFile ? read("--tls-client-ca", caFile) : undefined };
}

/** hostPort splits a flag's HOST:PORT (IPv6 in brackets). */
export function hostPort(listen: string, portOverride?: number, flag = "--listen"): [string, number] {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m || !m[1]) throw new CommandError(`${flag} must be HOST:PORT, got "${listen}"`);
  const host = m[1].replace(/^\[(.*)\]$/, "$1");
  return [host, portOverride ?? Number(m[2])];
}

