import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConnectorService } from "../../src/connector/c1.js";
import { createLogger } from "../../src/logger.js";
import { startHealthServer, type RunningHealthServer } from "../../src/server/health-server.js";
import { createTlsMaterial } from "../helpers/certs.js";
import { startCli } from "../helpers/cli-process.js";
import { startStack, type Stack } from "../helpers/stack.js";

/** health runs `temporalcloud-connector health` as its own process, as an exec probe does. */
async function health(...args: string[]) {
  const cli = startCli(["health", ...args]);
  const exit = await cli.exited;
  return { code: exit.code, stdout: cli.stdout.join("\n"), stderr: cli.stderr.join("\n") };
}

/** freePort is a loopback port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the health command", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const stackOf = async (options: Parameters<typeof startStack>[0] = {}): Promise<{ stack: Stack; healthPort: RunningHealthServer }> => {
    const stack = await startStack(options);
    cleanups.push(() => stack.close());
    const healthPort = await startHealthServer({ health: stack.server.health, host: "127.0.0.1", port: 0, log: createLogger({ level: "error", format: "json" }) });
    cleanups.push(() => healthPort.close());
    return { stack, healthPort };
  };

  it("exits 0 and prints SERVING for a serving connector, on its port and on --health-listen's", async () => {
    const { stack, healthPort } = await stackOf();
    expect(await health("--address", stack.address)).toEqual({ code: 0, stdout: "SERVING", stderr: "" });
    expect(await health("--address", `127.0.0.1:${healthPort.port}`)).toEqual({ code: 0, stdout: "SERVING", stderr: "" });
  });

  it("exits 1 with one line on stderr when nothing listens", async () => {
    const port = await freePort();
    const result = await health("--address", `127.0.0.1:${port}`, "--timeout", "2s");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^temporalcloud-connector: health: 127\\.0\\.0\\.1:${port}: UNAVAILABLE: `));
  });

  it("exits 1 with NOT_SERVING while the connector drains", async () => {
    const { stack, healthPort } = await stackOf({ server: { drainTimeoutMs: 30_000 } });
    await stack.client.call(ConnectorService.method.validate, {});
    // A call held in flight upstream keeps the server draining until the test cancels it.
    stack.simulator.setLatency(60_000);
    const cancel = new AbortController();
    const slow = stack.client.call(ConnectorService.method.validate, {}, cancel.signal).catch(() => "cancelled");
    await vi.waitFor(() => expect(stack.simulator.stats.inFlight).toBe(1), { timeout: 10_000, interval: 5 });
    const closing = stack.server.close();
    expect(stack.server.health.stopping).toBe(true);
    expect(await health("--address", `127.0.0.1:${healthPort.port}`)).toEqual({ code: 1, stdout: "NOT_SERVING", stderr: "" });
    cancel.abort();
    expect(await slow).toBe("cancelled");
    await closing;
  });

  it("speaks mutual TLS with --tls-ca, --tls-client-cert and --tls-client-key", async () => {
    const material = await createTlsMaterial();
    const dir = mkdtempSync(join(tmpdir(), "health-tls-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, content: string) => (writeFileSync(join(dir, name), content), join(dir, name));
    const [ca, cert, key] = [file("ca.pem", material.ca), file("client.pem", material.client.cert), file("client.key", material.client.key)];
    const { stack } = await stackOf({ server: { tls: { cert: material.server.cert, key: material.server.key, clientCa: material.ca } } });
    expect(await health("--address", stack.address, "--tls-ca", ca, "--tls-client-cert", cert, "--tls-client-key", key)).toEqual({ code: 0, stdout: "SERVING", stderr: "" });
  });
});
