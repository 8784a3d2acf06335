import type { Logger } from "pino";
import { CommandError } from "./command-error.js";
import { configSchema, parseArgs, usage, type Command, type Values } from "./config.js";
import type { Metrics } from "../metrics/metrics.js";
import type { RunningServer } from "../server/server.js";
import type { Simulator } from "../simulator/temporal/simulator.js";

const USAGE = `temporalcloud-connector: a baton (ConductorOne) connector for Temporal Cloud

Usage: temporalcloud-connector [command] [flags]

Commands:
  serve         Serve the connector over gRPC (the default command); with --client-id and
                --client-secret, run in service mode: take tasks from ConductorOne instead
  demo          Start the Temporal Cloud simulator with a demo account and the connector against it
                (--service-mode: also a ConductorOne simulator, and the connector in service mode)
  simulator     Start only the Temporal Cloud simulator
  c1-simulator  Start only the ConductorOne simulator (token endpoint and BatonService, test CA)
  sync          Sync the account once into a .c1z file for the baton CLI (-f sync.c1z), or run one
                provisioning action with what the file holds (--grant-entitlement, --revoke-grant, …)
  inspect       Summarise a .c1z file (counts per resource type), or dump it with --json
  events        Print the changes Temporal Cloud's audit log shows (--since 24h), one per line (--json)
  report        Write the access report of a .c1z file (-f sync.c1z -o access.html), or of the
                account as it is now (--live), as one self-contained HTML page
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
  async serve(values, env) {
    const signal = stopSignal();
    const { runServiceModeCommand, serviceModeAsked } = await import("./service-mode.js");
    if (serviceModeAsked(values)) return runServiceModeCommand(values, env, signal);
    const { apiKeySourceOf, logger } = await import("./api-key-option.js");
    const secrets = new Set<string>();
    const log = logger(values, secrets);
    let metrics: Metrics | undefined;
    const apiKey = apiKeySourceOf(values, log, secrets, (trigger) => metrics?.apiKeyChanged(trigger));
    // The connector's modules load only once the key file has been read: a bad one is told at once.
    const { checkApiKeyDaily, metricsOf, startService } = await import("./service.js");
    metrics = metricsOf(values);
    const upstream = { baseUrl: values["base-url"] as string, apiKey, allowInsecure: values["allow-insecure"] as boolean };
    const service = await startService(values, upstream, log, metrics);
    const { app } = service;
    log.info({ ...service.addresses, tls: Boolean(values["tls-cert"]), provisioning: app.connector.provisioning }, "connector serving");
    const stopChecks = checkApiKeyDaily(app, log);
    return untilSignal(signal, log, async () => {
      stopChecks();
      await service.close();
    });
  },

  async demo(values, env) {
    const signal = stopSignal();
    const { DEMO_API_KEY, startSimulator } = await import("../simulator/temporal/index.js");
    const { logger } = await import("./api-key-option.js");
    const { metricsOf, startService } = await import("./service.js");
    const log = logger(values, [DEMO_API_KEY]);
    const simulator = await startSimulator({
      account: await accountOf(values),
      latencyMs: values.latency as number,
      operationDelayMs: values["operation-delay"] as number,
      ...auditOf(values),
    });
    const apiKey = values.users === undefined ? DEMO_API_KEY : simulator.store.bearerKeys()[0]!;
    if (values["service-mode"]) {
      const { runServiceModeDemo } = await import("./service-demo.js");
      return runServiceModeDemo(values, env, signal, { simulator, apiKey }).finally(() => simulator.close());
    }
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
    const { logger } = await import("./api-key-option.js");
    const { hostPort } = await import("./service.js");
    const log = logger(values, []);
    const [host, port] = hostPort(values.listen as string, values.listen === "127.0.0.1:50051" ? 0 : undefined);
    const { startSimulator } = await import("../simulator/temporal/index.js");
    const simulator = await startSimulator({
      account: await accountOf(values),
      host,
      port,
      latencyMs: values.latency as number,
      operationDelayMs: values["operation-delay"] as number,
      cacheReads: values["cache-reads"] as boolean,
      ...auditOf(values),
    });
    // One JSON line on stdout, for scripts (the benchmark reads it); the key is the simulator's own.
    process.stdout.write(`${JSON.stringify({ url: simulator.url, apiKey: simulator.store.bearerKeys()[0] })}\n`);
    return untilSignal(signal, log, () => simulator.close());
  },

  async "c1-simulator"(values) {
    const signal = stopSignal();
    const { logger } = await import("./api-key-option.js");
    const { runConductorOneSimulator } = await import("./service-demo.js");
    return runConductorOneSimulator(values, logger(values, []), signal, untilSignal);
  },

  async sync(values, env) {
    const { runSyncCommand } = await import("./sync-command.js");
    const { oneShotConnector } = await import("./service.js");
    return runSyncCommand(values, env, { connect: ({ provisioning }) => oneShotConnector(values, provisioning) });
  },

  async events(values) {
    const { runEventsCommand } = await import("./events-command.js");
    const { oneShotConnector } = await import("./service.js");
    return runEventsCommand(values, { connect: () => oneShotConnector(values, false) });
  },

  async report(values, env) {
    const { runReportCommand } = await import("./report-command.js");
    const { oneShotConnector } = await import("./service.js");
    // Only --live reaches the account: a report of --file never asks for the key.
    return runReportCommand(values, env, { connect: () => oneShotConnector(values, false) });
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
    const [{ toJsonString }, { anyPack, AnySchema }, { createTemporalConnector }, { ConnectorCapabilitiesSchema }, { createLogger }, { PROTOCOL_REGISTRY }] = await Promise.all([
      import("@bufbuild/protobuf"),
      import("@bufbuild/protobuf/wkt"),
      import("../app/app.js"),
      import("../connector/c1.js"),
      import("../logger.js"),
      import("../connector/protocol-registry.js"),
    ]);
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

/** accountOf is the simulator's account: the demo account, or a generated one with --users. */
async function accountOf(values: Values) {
  const { createDemoAccount, generateAccount } = await import("../simulator/temporal/index.js");
  if (values.users === undefined) return createDemoAccount();
  return generateAccount({
    users: values.users as number,
    serviceAccounts: values["service-accounts"] as number,
    namespaces: values.namespaces as number,
    groups: values.groups as number,
    membersPerGroup: values["members-per-group"] as number,
    customRoles: values["custom-roles"] as number,
    apiKeys: values["api-keys"] as number,
    projects: values.projects as number,
    seed: values.seed as number,
  });
}

/** auditOf is the simulator's audit-log settings: its history and the chaos editor. */
function auditOf(values: Values): { auditHistoryDays: number; chaosIntervalMs?: number } {
  const days = values["audit-history-days"] as number;
  if (!(days >= 0)) throw new CommandError(`--audit-history-days must not be negative, got ${days}`, 2);
  const chaos = values.chaos as number;
  return { auditHistoryDays: days, ...(chaos > 0 ? { chaosIntervalMs: chaos } : {}) };
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
export async function untilSignal(signal: Promise<NodeJS.Signals>, log: Logger, stop: () => Promise<void>): Promise<number> {
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
  ${curl} -d '{"eventFeedId":"temporal_audit_log","startAt":"${new Date(Date.now() - 7 * 24 * 3_600_000).toISOString()}"}' ${base}/c1.connector.v2.EventService/ListEvents

Stop with Ctrl-C.
`;
}
