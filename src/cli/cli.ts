import { readFileSync } from "node:fs";
import { toJsonString } from "@bufbuild/protobuf";
import { anyPack, AnySchema } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { createTemporalConnector, type TemporalConnector } from "../app.js";
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
  report        Write the access report of a .c1z file (-f sync.c1z -o access.html), or of the
                account as it is now (--live), as one self-contained HTML page
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
    const apiKey = apiKeyOf(values);
    const log = logger(values, [apiKey]);
    const app = connectorOf(values, { baseUrl: values["base-url"] as string, apiKey, allowInsecure: values["allow-insecure"] as boolean }, log);
    const server = await serve(values, app, log);
    log.info({ address: `${server.host}:${server.port}`, tls: Boolean(values["tls-cert"]), provisioning: app.connector.provisioning }, "connector serving");
    return untilSignal(signal, log, async () => {
      await server.close();
      await app.close();
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
    const app = connectorOf(values, { baseUrl: simulator.url, apiKey, allowInsecure: true }, log);
    const server = await serve(values, app, log);
    process.stdout.write(demoInstructions(server, simulator, app.connector.provisioning, Boolean(values["tls-cert"])));
    return untilSignal(signal, log, async () => {
      await server.close();
      await app.close();
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
        const apiKey = apiKeyOf(values);
        const log = logger(values, [apiKey]);
        const upstream = { baseUrl: values["base-url"] as string, apiKey, allowInsecure: values["allow-insecure"] as boolean };
        return { log, app: connectorOf({ ...values, provisioning }, upstream, log) };
      },
    });
  },

  async report(values, env) {
    const { runReportCommand } = await import("./report-command.js");
    return runReportCommand(values, env, {
      connect() {
        const apiKey = apiKeyOf(values);
        const log = logger(values, [apiKey]);
        const upstream = { baseUrl: values["base-url"] as string, apiKey, allowInsecure: values["allow-insecure"] as boolean };
        return { log, app: connectorOf({ ...values, provisioning: false }, upstream, log) };
      },
    });
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

/** apiKeyOf reads the API key from --api-key / BATON_API_KEY or --api-key-file. */
function apiKeyOf(values: Values): string {
  const file = values["api-key-file"] as string | undefined;
  if (file) {
    try {
      const key = readFileSync(file, "utf8").trim();
      if (key) return key;
    } catch (err) {
      throw new CommandError(`cannot read --api-key-file ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    throw new CommandError(`--api-key-file ${file} is empty`);
  }
  const key = (values["api-key"] as string | undefined)?.trim();
  if (!key) {
    throw new CommandError(
      "no Temporal Cloud API key: set BATON_API_KEY, or pass --api-key-file (or --api-key); " +
        "to try the connector without credentials, run `temporalcloud-connector demo`",
    );
  }
  return key;
}

function logger(values: Values, secrets: string[]): Logger {
  return createLogger({ level: values["log-level"] as string, format: values["log-format"] as "json" | "console", secrets });
}

function connectorOf(values: Values, upstream: { baseUrl: string; apiKey: string; allowInsecure: boolean }, log: Logger): TemporalConnector {
  const rateLimit = values["rate-limit"] as number;
  if (!(rateLimit > 0)) throw new CommandError(`--rate-limit must be positive, got ${rateLimit}`);
  const insights = { apiKeyMaxDays: values["insight-api-key-max-days"] as number, minAdmins: values["insight-admins-min"] as number, maxAdminsPercent: values["insight-admins-percent"] as number };
  for (const [flag, value] of [["--insight-api-key-max-days", insights.apiKeyMaxDays], ["--insight-admins-min", insights.minAdmins], ["--insight-admins-percent", insights.maxAdminsPercent]] as const) {
    if (!(value >= 0)) throw new CommandError(`${flag} must be zero or more, got ${value}`);
  }
  try {
    return createTemporalConnector({
      ...upstream,
      apiVersion: values["api-version"] as string,
      rateLimit,
      requestTimeoutMs: values["request-timeout"] as number,
      operationTimeoutMs: values["operation-timeout"] as number,
      provisioning: values.provisioning as boolean,
      defaultAccountRole: values["default-account-role"] as RoleSlug,
      insights,
      log,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new CommandError(err.message);
    throw err;
  }
}

async function serve(values: Values, app: TemporalConnector, log: Logger): Promise<RunningServer> {
  const [host, port] = hostPort(values.listen as string);
  try {
    return await startServer({ connector: app.connector, log, host, port, tls: tlsOf(values), drainTimeoutMs: values["drain-timeout"] as number });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") throw new CommandError(`cannot listen on ${host}:${port}: ${code}`);
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

function hostPort(listen: string, portOverride?: number): [string, number] {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m || !m[1]) throw new CommandError(`--listen must be HOST:PORT, got "${listen}"`);
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
