import { createTemporalConnector, type TemporalConnector, type TemporalConnectorOptions } from "../../src/app/app.js";
import { createLogger } from "../../src/logger.js";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server/server.js";
import { createDemoAccount, DEMO_API_KEY, startSimulator, type AccountData, type Simulator, type SimulatorOptions } from "../../src/simulator/temporal/index.js";
import { createGrpcClient, type GrpcClient } from "../../src/sync/grpc-client.js";

/** StackOptions configures startStack. */
export interface StackOptions {
  account?: AccountData;
  apiKey?: string;
  provisioning?: boolean;
  simulator?: Partial<SimulatorOptions>;
  connector?: Partial<TemporalConnectorOptions>;
  server?: Partial<ServerOptions>;
}

/** Stack is a simulator, the real connector server against it, and a grpc-js client. */
export interface Stack {
  simulator: Simulator;
  app: TemporalConnector;
  server: RunningServer;
  client: GrpcClient;
  address: string;
  /** The API key the connector sends (and seals its page tokens with). */
  apiKey: string;
  /** Every log line the connector wrote. */
  logs: string[];
  /**
   * restartConnector stops the connector (client, server, app) and starts a new one, as a new
   * process would, against the same simulator; app, server, client and address are replaced.
   */
  restartConnector(): Promise<void>;
  close(): Promise<void>;
}

/**
 * startStack starts the real parts on loopback ports: the Temporal Cloud simulator (HTTP), the
 * connector server (HTTP/2 gRPC) talking to it over undici, and an independent grpc-js client.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const simulator = await startSimulator({ account: options.account ?? createDemoAccount(), ...options.simulator });
  const logs: string[] = [];
  const apiKey = options.apiKey ?? (options.account ? simulator.store.bearerKeys()[0]! : DEMO_API_KEY);
  const log = createLogger({ level: "debug", format: "json", secrets: [apiKey], destination: { write: (line: string) => logs.push(line) } });
  const connect = async () => {
    const app = createTemporalConnector({
      baseUrl: simulator.url,
      apiKey,
      allowInsecure: true,
      provisioning: options.provisioning ?? false,
      minPollMs: 5,
      log,
      ...options.connector,
    });
    const server = await startServer({ connector: app.connector, log, host: "127.0.0.1", port: 0, ...options.server });
    const address = `127.0.0.1:${server.port}`;
    return { app, server, address, client: createGrpcClient({ address }) };
  };
  const stack: Stack = {
    simulator,
    ...(await connect()),
    apiKey,
    logs,
    async restartConnector() {
      stack.client.close();
      await stack.server.close();
      await stack.app.close();
      Object.assign(stack, await connect());
    },
    async close() {
      stack.client.close();
      await stack.server.close();
      await stack.app.close();
      await simulator.close().catch(() => {}); // a test may have stopped it already
    },
  };
  return stack;
}
