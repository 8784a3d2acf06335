import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoAccount, DEMO_API_KEY, startSimulator, type Simulator } from "../../src/simulator/temporal/index.js";
import { startCli } from "../helpers/cli-process.js";

/** serve runs `temporalcloud-connector serve` against the simulator with extra flags. */
function serve(simulator: Simulator, ...flags: string[]) {
  return startCli(["serve", "--base-url", simulator.url, "--allow-insecure", "--listen", "127.0.0.1:0", ...flags]);
}

/** fails runs serve until it exits and returns its exit code and stderr. */
async function fails(simulator: Simulator, ...flags: string[]) {
  const cli = serve(simulator, ...flags);
  const exit = await cli.exited;
  return { code: exit.code, stderr: cli.stderr.filter((line) => line !== "") };
}

// A key file with a trailing newline, accepted, is in test/deploy/production-install.test.ts.
describe("serve: bad --api-key-file and --metrics-listen", () => {
  let simulator: Simulator;
  let dir: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    simulator = await startSimulator({ account: createDemoAccount() });
    dir = mkdtempSync(join(tmpdir(), "serve-flags-"));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dir, { recursive: true, force: true });
    await simulator.close();
  });
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };

  it("refuses a missing, unreadable or empty key file with one line naming the flag", async () => {
    const empty = file("empty", "\n");
    // A folder cannot be read as a file, not even by root (who reads files of any mode).
    const [missing, unreadable, blank] = await Promise.all([
      fails(simulator, "--api-key-file", join(dir, "missing")),
      fails(simulator, "--api-key-file", dir),
      fails(simulator, "--api-key-file", empty),
    ]);
    expect(missing).toEqual({ code: 1, stderr: [`temporalcloud-connector: --api-key-file: cannot read ${join(dir, "missing")}: ENOENT`] });
    expect(unreadable).toEqual({ code: 1, stderr: [`temporalcloud-connector: --api-key-file: cannot read ${dir}: EISDIR`] });
    expect(blank).toEqual({ code: 1, stderr: [`temporalcloud-connector: --api-key-file: ${empty} is empty`] });
  });

  it("refuses plain text on an address that is not loopback unless --listen-insecure, and then warns", async () => {
    const key = file("key-plain", DEMO_API_KEY);
    expect(await fails(simulator, "--api-key-file", key, "--listen", "0.0.0.0:0", "--provisioning")).toEqual({
      code: 1,
      stderr: ["temporalcloud-connector: refusing to serve plain text on --listen 0.0.0.0:0, which is not a loopback address: add --tls-cert and --tls-key (and --tls-client-ca), or --listen-insecure"],
    });
    expect(await fails(simulator, "--api-key-file", key, "--tls-client-san", "agent")).toEqual({ code: 1, stderr: ["temporalcloud-connector: --tls-client-san needs --tls-client-ca (mutual TLS)"] });
    const cli = startCli(["serve", "--base-url", simulator.url, "--allow-insecure", "--api-key-file", key, "--listen", "0.0.0.0:0"], { BATON_LISTEN_INSECURE: "true" });
    try {
      const warning = await cli.waitForLog("serving plain-text gRPC on a network address (--listen-insecure): anyone who can connect reads the access graph, and provisions when --provisioning is on");
      expect(warning.level).toBe(40);
      expect(warning.address).toMatch(/^0\.0\.0\.0:\d+$/);
    } finally {
      await cli.stop();
    }
  });

  it("refuses a metrics address in use with one line naming the flag", async () => {
    const key = file("key-ok", DEMO_API_KEY);
    expect(await fails(simulator, "--api-key-file", key, "--metrics-listen", `127.0.0.1:${busyPort}`)).toEqual({
      code: 1,
      stderr: [`temporalcloud-connector: cannot listen on --metrics-listen 127.0.0.1:${busyPort}: EADDRINUSE`],
    });
  });
});
