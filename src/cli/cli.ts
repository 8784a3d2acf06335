import { readFileSync } from "node:fs";
import { toJsonString } from "@bufbuild/protobuf";
import { anyPack, AnySchema } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { createTemporalConnector, type TemporalConnector } from "../app.js";
import { createFileApiKeySource, staticApiKey, ApiKeyFileError, type ApiKeySource } from "../temporal/api-key-source.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { startMetricsServer } from "../metrics/metrics-server.js";
import { startHealthServer } from "../server/health-server.js";
import { CommandError } from "./command-error.js";
import { configSchema, parseArgs, usage, type Command, type Values } from "./config.js";
import { ConnectorCapabilitiesSchema } from "../connector/c1.js";
import { createLogger } from "../logger.js";
import type { RoleSlug } from "../resources/temporal-access.js";
import { PROTOCOL_REGISTRY } from "../connector/protocol-registry.js";
import { startServer, type RunningServer, type TlsOptions } from "../server/server.js";
import type { Simulator } from "../simulator/simulator.js";

const USAGE = `temporalcloud-connector: a baton (ConductorOne) connector for Temporal Cloud

Usage: temporalcloud-connector [command] [flags]

Commands:
  serve         Serve the connector over gRPC (the default command)
  demo          Start the Temporal Cloud simulator with a demo account and the connector against it
  simulator     Start only the Temporal Cloud simulator
  sync          Sync the account once into a .c1z file for the baton CLI (-f sync.c1z), or run one
                provisioning action with what the file holds (--grant-entitlement, --revoke-grant, …)
  inspect       Summarise a .c1z file (counts per resource type), or dump it with --json
  health        Ask a connector's gRPC health service: exit 0 when it is SERVING, 1 otherwise
  capabilities  Print the connector's capabilities as JSON
  config        Print the configuration schema as JSON

Run "temporalcloud-connector <command> --help" for a command's flags.`;


/** main runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const parsed = parseArgs(argv, env);
  if (!parsed.ok) {
    process.stderr.write(`temporalcloud-connector: ${parsed.error}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${usage(parsed.command)}\n`);
    return 0;
  }
  try {
    return await COMMANDS[parsed.command](parsed.values, env);
  } catch (err) {
    if (err instanceof CommandError) {
      process.stderr.write(`temporalcloud-connector: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

const COMMANDS: Record<Command, (values: Values, env: NodeJS.ProcessEnv) => Promise<number>> = {
  async serve(values) {
    const signal = stopSignal();
    const secrets = new Set<string>();
    const log = logger(values, secrets);
    const metrics = metricsOf(values);
    const apiKey = apiKeySourceOf(values, log, secrets, metrics);
    const upstream = { baseUrl: values["base-url"] as string, apiKey, allowInsecure: values["allow-insecure"] as boolean };
    const service = await startService(values, upstream, log, metrics);
    const { app, server } = service;
    log.info({ address: `${server.host}:${server.port}`, tls: Boolean(values["tls-cert"]), provisioning: app.connector.provisioning }, "connector serving");
    const stopChecks = checkApiKeyDaily(app, log);
    return untilSignal(signal, log, async () => {
      stopChecks();
      await service.close();
    });
  },

  async demo(values) {
    const signal = stopSignal();
    const { DEMO_API_KEY, startSimulator } = await import("../simulator/index.js");
    const log = logger(values, [DEMO_API_KEY]);
    const simulator = await startSimulator({
      account: await accountOf(values),
      latencyMs: values.latency as number,
      operationDelayMs: values["operation-delay"] as number,
    });
    const apiKey = values.users === undefined ? DEMO_API_KEY : simulator.store.bearerKeys()[0]!;
    const service = await startService(values, { baseUrl: simulator.url, apiKey, allowInsecure: true }, log, metricsOf(values)).catch(async (err: unknown) => {
      await simulator.close();
      throw err;
    });
    process.stdout.write(demoInstructions(service.server, simulator, service.app.connector.provisioning, Boolean(values["tls-cert"])));
    return untilSignal(signal, log, async () => {
      await service.close();
      await simulator.close();
    });
  },

  async simulator(values) {
    const signal = stopSignal();
    const log = logger(values, []);
    const [host, port] = hostPort(values.listen as string, values.listen === "127.0.0.1:50051" ? 0 : undefined);
    const { startSimulator } = await import("../simulator/index.js");
    const simulator = await startSimulator({
      account: await accountOf(values),
      host,
      port,
      latencyMs: values.latency as number,
      operationDelayMs: values["operation-delay"] as number,
      cacheReads: values["cache-reads"] as boolean,
    });
    // One JSON line on stdout, for scripts (the benchmark reads it); the key is the simulator's own.
    process.stdout.write(`${JSON.stringify({ url: simulator.url, apiKey: simulator.store.bearerKeys()[0] })}\n`);
    return untilSignal(signal, log, () => simulator.close());
  },

  async sync(values, env) {
    const { runSyncCommand } = await import("./sync-command.js");
    return runSyncCommand(values, env, {
      connect({ provisioning }) {
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
      },
    });
  },

  async health(values) {
    const { runHealthCommand } = await import("./health-command.js");
    return runHealthCommand(values);
  },

  async inspect(values, env) {
    const { runInspectCommand } = await import("./inspect-command.js");
    return runInspectCommand(values, env);
  },

  async capabilities() {
    // Capabilities are static: derived from the resource types, without calling Temporal Cloud.
    const app = createTemporalConnector({ baseUrl: "https://saas-api.tmprl.cloud", apiKey: "unused", provisioning: true, log: createLogger({ level: "error", format: "json" }) });
    const capabilities = app.connector.capabilities();
    await app.close();
    const json = toJsonString(AnySchema, anyPack(ConnectorCapabilitiesSchema, capabilities), { registry: PROTOCOL_REGISTRY, prettySpaces: 2 });
    process.stdout.write(`${json}\n`);
    return 0;
  },

  async config() {
    process.stdout.write(`${JSON.stringify(configSchema(), null, 2)}\n`);
    return 0;
  },
};

/**
 * apiKeySourceOf reads the API key from --api-key-file, watched so that a new key is used without
 * a restart, or from --api-key / BATON_API_KEY. Every key it reads is added to `secrets`, which
 * the logger scrubs, before any request carries it.
 */
function apiKeySourceOf(values: Values, log: Logger, secrets: Set<string>, metrics?: Metrics): ApiKeySource {
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

function logger(values: Values, secrets: Iterable<string>): Logger {
  return createLogger({ level: values["log-level"] as string, format: values["log-format"] as "json" | "console", secrets });
}

/** metricsOf creates the metrics when --metrics-listen asks for them. */
function metricsOf(values: Values): Metrics | undefined {
  return values["metrics-listen"] ? createMetrics() : undefined;
}

/** Service is what serve and demo run: the connector, its gRPC server, and the optional listeners. */
interface Service {
  app: TemporalConnector;
  server: RunningServer;
  close(): Promise<void>;
}

/**
 * startService starts, in order, the metrics endpoint (--metrics-listen), the connector, its
 * gRPC server (--listen) and the health-only server (--health-listen). If one cannot start,
 * those already started are closed again and a CommandError names the flag.
 */
async function startService(values: Values, upstream: Upstream, log: Logger, metrics: Metrics | undefined): Promise<Service> {
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
function checkApiKeyDaily(app: TemporalConnector, log: Logger): () => void {
  const check = () =>
    app.checkApiKey().catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, "API key check failed"));
  void check();
  const timer = setInterval(() => void check(), API_KEY_CHECK_MS).unref();
  return () => clearInterval(timer);
}

type Upstream = { baseUrl: string; apiKey: string | ApiKeySource; allowInsecure: boolean };

function connectorOf(values: Values, upstream: Upstream, log: Logger, metrics?: Metrics): TemporalConnector {
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

function hostPort(listen: string, portOverride?: number, flag = "--listen"): [string, number] {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m || !m[1]) throw new CommandError(`${flag} must be HOST:PORT, got "${listen}"`);
  const host = m[1].replace(/^\[(.*)\]$/, "$1");
  return [host, portOverride ?? Number(m[2])];
}

/** accountOf is the simulator's account: the demo account, or a generated one with --users. */
async function accountOf(values: Values) {
  const { createDemoAccount, generateAccount } = await import("../simulator/index.js");
  if (values.users === undefined) return createDemoAccount();
  return generateAccount({
    users: values.users as number,
    serviceAccounts: values["service-accounts"] as number,
    namespaces: values.namespaces as number,
    groups: values.groups as number,
    membersPerGroup: values["members-per-group"] as number,
    customRoles: values["custom-roles"] as number,
    apiKeys: values["api-keys"] as number,
    seed: values.seed as number,
  });
}

/**
 * stopSignal resolves on the first SIGINT or SIGTERM. It is installed before anything starts, so
 * that a signal sent as soon as the process says it is ready still stops it gracefully.
 */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** untilSignal waits for the stop signal, stops gracefully and resolves to the exit code. */
async function untilSignal(signal: Promise<NodeJS.Signals>, log: Logger, stop: () => Promise<void>): Promise<number> {
  log.info({ signal: await signal }, "shutting down");
  try {
    await stop();
    return 0;
  } catch (err) {
    log.error({ err }, "shutdown failed");
    return 1;
  }
}

function demoInstructions(server: RunningServer, simulator: Simulator, provisioning: boolean, tls: boolean): string {
  const addr = `${server.host}:${server.port}`;
  const curl = `npx buf curl --protocol grpc ${tls ? "--insecure" : "--http2-prior-knowledge"}`;
  const base = `${tls ? "https" : "http"}://${addr}`;
  return `
Temporal Cloud connector (demo) serving gRPC on ${addr}, against the simulator at ${simulator.url}.
Provisioning is ${provisioning ? "ON" : "off (restart with --provisioning to grant and revoke)"}.

Try (reflection is on, no .proto files needed):
  ${curl} --list-methods ${base}
  ${curl} ${base}/c1.connector.v2.ConnectorService/Validate
  ${curl} ${base}/c1.connector.v2.ResourceTypesService/ListResourceTypes
  ${curl} -d '{"resourceTypeId":"user"}' ${base}/c1.connector.v2.ResourcesService/ListResources
  ${curl} -d '{"resource":{"id":{"resourceType":"namespace","resource":"payments-prod.acme7"}}}' ${base}/c1.connector.v2.GrantsService/ListGrants

Stop with Ctrl-C.
`;
}
