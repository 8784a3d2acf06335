import { existsSync, readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import type { Logger } from "pino";
import type { Metrics } from "../metrics/metrics.js";
import type { ApiKeySource } from "../temporal/api-key-source.js";
import { CredentialsError, parseClientCredentials, type ClientCredentials } from "../service/client-credentials.js";
import { apiKeySourceOf, logger } from "./api-key-option.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";
import type { Upstream } from "./service.js";

// Light to load: the flags, the credentials and the first token are checked before the
// connector's modules load, so that a wrong secret or an unreachable host is told at once.

/** ServiceModeSetup is what the demo hands service mode instead of what an operator configures. */
export interface ServiceModeSetup {
  /** The Temporal Cloud account (default: --api-key/--api-key-file, --base-url…). */
  upstream?: Upstream;
  /** ConductorOne's HOST:PORT (default: BATON_C1_API_HOST, else the client id's host). */
  c1Host?: string;
  /** A PEM CA to trust besides Node's roots (default: only the roots and NODE_EXTRA_CA_CERTS). */
  trustedCa?: string;
  /** Values that must never be logged (the demo's API key). */
  secrets?: string[];
  /** onReady runs once ConductorOne answered the startup Hello. */
  onReady?(log: Logger): void;
}

/**
 * serviceModeAsked says whether serve runs in service mode: --client-id or --client-secret (or
 * their BATON_ variables) is set. Both are needed; runServiceModeCommand says so when one is missing.
 */
export function serviceModeAsked(values: Values): boolean {
  return values["client-id"] !== undefined || values["client-secret"] !== undefined;
}

/**
 * runServiceModeCommand is `serve --client-id … --client-secret …` (docs/service-mode.md): the
 * connector is served in process on a loopback port, as `sync -f` serves it, and service mode
 * drives it for ConductorOne. No gRPC port is opened for anyone else; --health-listen answers
 * SERVING once ConductorOne said hello back, and --metrics-listen serves the metrics. Flags that
 * cannot work end the command at once with one line naming the flag; so do credentials that
 * ConductorOne refuses and a ConductorOne that cannot be reached at startup. SIGTERM (or SIGINT)
 * stops taking tasks, lets running ones finish within --drain-timeout, and exits 0.
 */
export async function runServiceModeCommand(values: Values, env: NodeJS.ProcessEnv, signal: Promise<NodeJS.Signals>, setup: ServiceModeSetup = {}): Promise<number> {
  const credentials = credentialsOf(values);
  const taskConcurrency = values["task-concurrency"] as number;
  if (!Number.isInteger(taskConcurrency) || taskConcurrency < 1 || taskConcurrency > 100) {
    throw new CommandError(`--task-concurrency must be a whole number from 1 to 100, got ${taskConcurrency}`, 2);
  }
  const c1Host = setup.c1Host ?? (env.BATON_C1_API_HOST || credentials.host);
  const ca = trustedCasOf(env, setup.trustedCa);
  const secrets = new Set<string>([...credentials.secrets, ...(setup.secrets ?? [])]);
  const log = logger(values, secrets);
  const metrics = values["metrics-listen"] ? (await import("../metrics/metrics.js")).createMetrics() : undefined;
  const upstream = setup.upstream ?? { baseUrl: values["base-url"] as string, apiKey: apiKeySourceOf(values, log, secrets, (trigger) => metrics?.apiKeyChanged(trigger)), allowInsecure: values["allow-insecure"] as boolean };
  const closers: (() => Promise<void> | void)[] = [];
  if (!setup.upstream && typeof upstream.apiKey !== "string") closers.push(() => (upstream.apiKey as ApiKeySource).close());
  try {
    return await serviceMode({ values, env, signal, setup, credentials, taskConcurrency, c1Host, ca, secrets, log, metrics, upstream, closers });
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

/** serviceMode is runServiceModeCommand once the settings are read: the first token, then the connector and the task loop. */
async function serviceMode(s: {
  values: Values;
  env: NodeJS.ProcessEnv;
  signal: Promise<NodeJS.Signals>;
  setup: ServiceModeSetup;
  credentials: ClientCredentials;
  taskConcurrency: number;
  c1Host: string;
  ca: string[] | undefined;
  secrets: Set<string>;
  log: Logger;
  metrics: Metrics | undefined;
  upstream: Upstream;
  closers: (() => Promise<void> | void)[];
}): Promise<number> {
  const { values, env, setup, credentials, log, metrics, closers } = s;
  const stop = new AbortController();
  void s.signal.then((received) => {
    log.info({ signal: received }, "shutting down: no new tasks");
    stop.abort();
  });
  const { createTokenSource, TokenRefusedError, TokenRequestError } = await import("../service/token-source.js");
  const tokens = createTokenSource({ credentials, host: s.c1Host, ca: s.ca, onToken: (token) => s.secrets.add(token), onRequested: (outcome) => metrics?.tokenRequested(outcome) });
  closers.push(() => tokens.close());
  try {
    await tokens.token();
  } catch (err) {
    if (err instanceof TokenRefusedError) throw new CommandError(err.message);
    if (err instanceof TokenRequestError) throw new CommandError(`${err.message} (the host comes from --client-id, or BATON_C1_API_HOST; its certificate must be trusted by Node.js' roots or NODE_EXTRA_CA_CERTS)`);
    throw err;
  }

  const [{ connectorOf, connectionLimitsOf, listen }, { startMetricsServer }, { createHealthState }, { startHealthServer }, { createBatonClient }, { hostIdOf, osInfo }, { runServiceMode, ServiceModeError }, { serveInProcess }] = await Promise.all([
    import("./service.js"),
    import("../metrics/metrics-server.js"),
    import("../server/health.js"),
    import("../server/health-server.js"),
    import("../service/baton-client.js"),
    import("../service/hello.js"),
    import("../service/service-mode.js"),
    import("./loopback.js"),
  ]);
  const addresses: Record<string, string> = {};
  const app = connectorOf(values, s.upstream, log, metrics);
  closers.push(() => app.close());
  if (metrics) {
    metrics.trackApiKey(() => app.apiKeySecondsLeft());
    const endpoint = await listen("--metrics-listen", values["metrics-listen"] as string, (host, port) => startMetricsServer({ registry: metrics.registry, host, port, maxConnections: connectionLimitsOf(values).maxConnections }));
    closers.push(() => endpoint.close());
    addresses.metrics = `${endpoint.host}:${endpoint.port}`;
  }
  const health = createHealthState();
  const healthListen = values["health-listen"] as string | undefined;
  if (healthListen) {
    const server = await listen("--health-listen", healthListen, (host, port) => startHealthServer({ health, host, port, log, limits: connectionLimitsOf(values), connectionObserver: metrics }));
    closers.push(() => server.close());
    addresses.health = `${server.host}:${server.port}`;
  }
  const loopback = await serveInProcess(app, log);
  closers.push(() => loopback.close());
  const baton = createBatonClient({ address: grpcAddressOf(s.c1Host), tokens, ca: s.ca, userAgent: `${credentials.clientName} temporalcloud-connector/${packageVersion()}` });
  closers.push(() => baton.close());

  const hostId = hostIdOf(env);
  log.info({ conductorOne: s.c1Host, hostId, provisioning: app.connector.provisioning, taskConcurrency: s.taskConcurrency, ...addresses }, "service mode: connecting to ConductorOne");
  try {
    await runServiceMode({
      api: loopback.client,
      baton,
      hello: { hostId, buildInfo: { langVersion: `node${process.versions.node}`, package: "temporalcloud-connector", packageVersion: packageVersion() }, osInfo: osInfo() },
      taskConcurrency: s.taskConcurrency,
      drainTimeoutMs: values["drain-timeout"] as number,
      tempDir: env.BATON_TMPDIR || undefined,
      stop: stop.signal,
      log,
      observer: metrics,
      onReady() {
        health.setServing(true);
        setup.onReady?.(log);
      },
      onStopping: () => health.stop(),
    });
    return 0;
  } catch (err) {
    if (err instanceof ServiceModeError) throw new CommandError(err.message);
    throw err;
  }
}

/**
 * trustedCasOf is what ConductorOne's certificate is checked against: Node's roots plus
 * NODE_EXTRA_CA_CERTS (and the demo's CA), or undefined for Node's defaults when neither is set.
 * Given explicitly because grpc-js, unlike Node's HTTPS, was seen not to trust NODE_EXTRA_CA_CERTS
 * on its own (both clients get the same list, so both trust the same).
 */
function trustedCasOf(env: NodeJS.ProcessEnv, extra: string | undefined): string[] | undefined {
  const pems: string[] = [];
  const file = env.NODE_EXTRA_CA_CERTS;
  if (file) {
    try {
      pems.push(...pemCertificates(readFileSync(file, "utf8")));
    } catch (err) {
      throw new CommandError(`NODE_EXTRA_CA_CERTS names ${file}, which cannot be read: ${(err as NodeJS.ErrnoException).code ?? "error"}`, 2);
    }
  }
  if (extra) pems.push(...pemCertificates(extra));
  return pems.length > 0 ? [...rootCertificates, ...pems] : undefined;
}

/** pemCertificates splits a PEM bundle into its certificates. */
function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** credentialsOf checks --client-id and --client-secret: both given, each in ConductorOne's format. */
function credentialsOf(values: Values): ClientCredentials {
  const id = values["client-id"] as string | undefined;
  const secret = values["client-secret"] as string | undefined;
  if (!id) throw new CommandError("--client-secret needs --client-id (BATON_CLIENT_ID): service mode takes both, as ConductorOne shows them", 2);
  if (!secret) throw new CommandError("--client-id needs --client-secret (BATON_CLIENT_SECRET): service mode takes both, as ConductorOne shows them", 2);
  try {
    return parseClientCredentials(id, secret);
  } catch (err) {
    if (err instanceof CredentialsError) throw new CommandError(err.message, 2);
    throw err;
  }
}

/** grpcAddressOf is ConductorOne's gRPC address: the host, on port 443 unless it names one (IPv6 in brackets). */
export function grpcAddressOf(host: string): string {
  if (/^\[.*\]:\d+$/.test(host) || /^[^:]+:\d+$/.test(host)) return host;
  if (host.includes(":") && !host.startsWith("[")) return `[${host}]:443`;
  return `${host}:443`;
}

let version: string | undefined;

/** packageVersion is the connector's version, from its package.json (dist/src/cli or src/cli up to the package root). */
export function packageVersion(): string {
  if (version) return version;
  for (const candidate of ["../../../package.json", "../../package.json"]) {
    const path = new URL(candidate, import.meta.url);
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(readFileSync(path, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "temporalcloud-connector" && pkg.version) return (version = pkg.version);
  }
  return (version = "0.0.0");
}
