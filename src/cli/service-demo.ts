import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { startConductorOneSimulator, type ConductorOneSimulator } from "../simulator/conductorone/index.js";
import { DEMO_ACCOUNT_ID, DEMO_IDS, type Simulator } from "../simulator/temporal/index.js";
import type { Values } from "./config.js";
import { hostPort } from "./service.js";
import { runServiceModeCommand } from "./service-mode.js";

/**
 * runServiceModeDemo is `demo --service-mode`: next to the Temporal Cloud simulator, a ConductorOne
 * simulator, and the connector in service mode against both, exactly as an operator runs it (only
 * the credential and the CA come from the simulator). Once the connector said hello it is handed
 * a few tasks; its log shows one line as each starts and ends. More can be fed with curl.
 */
export async function runServiceModeDemo(values: Values, env: NodeJS.ProcessEnv, signal: Promise<NodeJS.Signals>, temporal: { simulator: Simulator; apiKey: string }): Promise<number> {
  quietIpServerNameWarning();
  const c1 = await startConductorOneSimulator({ settings: { nextPollMs: 500, nextHeartbeatMs: 2000 } });
  const dir = mkdtempSync(join(tmpdir(), "c1-simulator-"));
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, c1.caPem);
  try {
    const demoAccount = values.users === undefined;
    return await runServiceModeCommand({ ...values, "client-id": c1.client.clientId, "client-secret": c1.client.clientSecret }, env, signal, {
      upstream: { baseUrl: temporal.simulator.url, apiKey: temporal.apiKey, allowInsecure: true },
      c1Host: c1.address,
      trustedCa: c1.caPem,
      secrets: [temporal.apiKey],
      onReady(log) {
        feedDemoTasks(c1, demoAccount, log);
        process.stdout.write(instructions(c1, caFile, values.provisioning as boolean));
      },
    });
  } finally {
    await c1.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * quietIpServerNameWarning keeps Node's DEP0123 out of the demo's output: grpc-js names the
 * simulator's address, an IP, as the TLS server name, which Node warns about once. A real
 * ConductorOne host is a name; other warnings are printed as Node prints them.
 */
function quietIpServerNameWarning(): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error & { code?: string }) => {
    if (warning.code !== "DEP0123") process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
  });
}

/** feedDemoTasks hands the connector what ConductorOne typically does first, and one task it cannot do. */
function feedDemoTasks(c1: ConductorOneSimulator, demoAccount: boolean, log: Logger): void {
  c1.addTask({ taskType: { case: "hello", value: {} } });
  const sync = c1.addTask({ taskType: { case: "syncFull", value: {} } });
  c1.addTask({ taskType: { case: "listEventFeeds", value: {} } });
  c1.addTask({ taskType: { case: "listEvents", value: { eventFeedId: "temporal_audit_log", startAt: timestampFromMs(Date.now() - 7 * 24 * 3_600_000), pageSize: 50 } } });
  if (demoAccount) {
    const namespace = DEMO_IDS.namespaces.paymentsDev;
    c1.addTask({
      taskType: {
        case: "grant",
        value: {
          entitlement: { id: `namespace:${namespace}:read`, resource: { id: { resourceType: "namespace", resource: namespace } } },
          principal: { id: { resourceType: "user", resource: DEMO_IDS.users.dave } },
        },
      },
    });
  }
  c1.addTask({ taskType: { case: "createTicketTask", value: {} } });
  void c1.waitFor(() => c1.tasks.get(sync)?.uploads.find((u) => u.accepted), "the sync's upload", 10 * 60_000).then(
    (upload) => log.info({ bytes: upload.data.length, chunks: upload.chunkSizes.length, account: DEMO_ACCOUNT_ID }, "ConductorOne simulator: sync upload received, checksum verified"),
    () => undefined,
  );
}

function instructions(c1: ConductorOneSimulator, caFile: string, provisioning: boolean): string {
  return `
Temporal Cloud connector in service mode, connected to a ConductorOne simulator at ${c1.address}.
It was handed six tasks: hello, sync_full, list_event_feeds, list_events, grant and an unsupported
create_ticket_task. Watch the log: a "task started" and a "task finished" line for each (outcome,
and for errors the gRPC code and whether ConductorOne may retry). The grant is ${provisioning ? "performed (--provisioning is on)" : "refused with FAILED_PRECONDITION: restart with --provisioning to see it done"}.

What ConductorOne saw:
  curl -s --cacert ${caFile} https://${c1.address}/simulator/tasks
Hand it another task (any Task, as protobuf JSON):
  curl -s --cacert ${caFile} -d '{"syncFull":{}}' https://${c1.address}/simulator/tasks

Stop with Ctrl-C: running tasks get --drain-timeout to finish.
`;
}

/**
 * runConductorOneSimulator is the `c1-simulator` command: the simulator alone, for a connector
 * started separately (ours, or one built on the Go SDK). Its CA goes to --ca-file; one JSON line
 * on stdout says where it listens and the credential to use.
 */
export async function runConductorOneSimulator(values: Values, log: Logger, signal: Promise<NodeJS.Signals>, untilSignal: (signal: Promise<NodeJS.Signals>, log: Logger, stop: () => Promise<void>) => Promise<number>): Promise<number> {
  const [host, port] = hostPort(values.listen as string, values.listen === "127.0.0.1:50051" ? 0 : undefined);
  const c1 = await startConductorOneSimulator({
    host,
    port,
    settings: { nextPollMs: values["next-poll"] as number, nextHeartbeatMs: values["next-heartbeat"] as number, tokenLifetimeSeconds: (values["token-lifetime"] as number) / 1000 },
  });
  let caFile = values["ca-file"] as string | undefined;
  let dir: string | undefined;
  if (!caFile) {
    dir = mkdtempSync(join(tmpdir(), "c1-simulator-"));
    caFile = join(dir, "ca.pem");
  }
  writeFileSync(caFile, c1.caPem);
  process.stdout.write(`${JSON.stringify({ address: c1.address, caFile, clientId: c1.client.clientId, clientSecret: c1.client.clientSecret })}\n`);
  log.info({ address: c1.address, caFile }, "ConductorOne simulator listening; POST tasks to /simulator/tasks, GET them back there");
  return untilSignal(signal, log, async () => {
    await c1.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}
