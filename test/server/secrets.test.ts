import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountManagerService, ConnectorService, GrantManagerService, ResourceManagerService, ResourcesService } from "../../src/connector/c1.js";
import { PROTOCOL_REGISTRY } from "../../src/connector/protocol-registry.js";
import { createDemoAccount, DEMO_IDS, startSimulator, type Simulator } from "../../src/simulator/temporal/index.js";
import { createGrpcClient } from "../../src/sync/grpc-client.js";
import { createMemoryStore, runSync, type ConnectorApi } from "../../src/sync/syncer.js";
import { entitlementRef, ref } from "../helpers/provisioning.js";
import { startStack, type Stack } from "../helpers/stack.js";

/** A recognisable API key: if it shows up anywhere, it leaked. */
const CANARY = "tc-canary-SECRET-7f3a9c51e2b84d06a1c9e3f5b7d20e48";
const registry = PROTOCOL_REGISTRY;

/** recording wraps a client and keeps every response and error as text. */
function recording(api: ConnectorApi, seen: string[]): ConnectorApi {
  return {
    async call(method, request, signal) {
      try {
        const res = await api.call(method, request, signal);
        seen.push(toJsonString(method.output, res, { registry }));
        return res;
      } catch (err) {
        const e = err as { message?: string; details?: string; metadata?: { toJSON(): unknown } };
        seen.push(`${e.message} ${e.details} ${JSON.stringify(e.metadata?.toJSON() ?? {})}`);
        throw err;
      }
    },
  };
}

/**
 * The API key never appears in logs, errors or responses: the suite's scenarios (sync,
 * provisioning, refusals, upstream failures, retries) run with a recognisable key, and every
 * log line, error and gRPC response is scanned for it.
 */
describe("the API key never leaks", () => {
  let stack: Stack;
  const seen: string[] = [];
  beforeAll(async () => {
    stack = await startStack({ provisioning: true, apiKey: CANARY, connector: { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 100 }, operationTimeoutMs: 300 } });
    stack.simulator.store.registerSecret(CANARY, DEMO_IDS.apiKeys.batonConnector);
  });
  afterAll(async () => {
    await stack.close();
    const everything = [...stack.logs, ...seen].join("\n");
    expect(stack.logs.length).toBeGreaterThan(10);
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain(CANARY.slice(10, 40)); // not even a fragment
  });

  it("in a full sync and in every provisioning path", async () => {
    const api = recording(stack.client, seen);
    await runSync({ api, store: createMemoryStore() });
    const attempt = (call: Promise<unknown>) => call.catch(() => undefined);
    await attempt(api.call(GrantManagerService.method.grant, { entitlement: entitlementRef(`namespace:${DEMO_IDS.namespaces.analytics}:read`), principal: ref(`user:${DEMO_IDS.users.carol}`) }));
    await attempt(api.call(GrantManagerService.method.grant, { entitlement: entitlementRef("account-role:acme7-owner:member"), principal: ref(`user:${DEMO_IDS.users.dave}`) }));
    await attempt(api.call(GrantManagerService.method.revoke, { grant: { id: "x", entitlement: entitlementRef(`namespace:${DEMO_IDS.namespaces.analytics}:read`), principal: ref(`user:${DEMO_IDS.users.carol}`) } }));
    await attempt(api.call(AccountManagerService.method.createAccount, { accountInfo: { login: "leak.check@acme.example" } }));
    await attempt(api.call(ResourceManagerService.method.deleteResource, { resourceId: { resourceType: "user", resource: DEMO_IDS.users.alice } }));
    await attempt(api.call(ResourcesService.method.listResources, { resourceTypeId: "user", pageToken: "tampered" }));
    stack.simulator.setOperationOutcome(() => "never");
    await attempt(api.call(GrantManagerService.method.grant, { entitlement: entitlementRef(`namespace:${DEMO_IDS.namespaces.analytics}:write`), principal: ref(`user:${DEMO_IDS.users.dave}`) }));
    stack.simulator.setOperationOutcome(undefined);
  });

  it("in upstream failures: 401, 403, 429, 5xx, lost responses, timeouts and errors echoing the key", async () => {
    const api = recording(stack.client, seen);
    const list = () => api.call(ResourcesService.method.listResources, { resourceTypeId: "user" }).catch(() => undefined);
    for (const [code, grpc] of [[401, 16], [403, 7], [429, 8], [500, 13], [503, 14]] as const) {
      stack.simulator.onRequest((req) => (req.route === "GetUsers" ? { status: code, code: grpc, message: `injected ${code}`, retryAfterSeconds: code === 429 ? 0.01 : undefined } : undefined));
      await list();
    }
    // An upstream that echoes the credential it was sent (some APIs do, in auth errors).
    for (const [code, grpc] of [[401, 16], [400, 3], [503, 14]] as const) {
      stack.simulator.onRequest((req) => (req.route === "GetUsers" ? { status: code, code: grpc, message: `invalid credential "Bearer ${CANARY}"` } : undefined));
      await list();
    }
    stack.simulator.onRequest(undefined);
    stack.simulator.setFaults({ dropConnection: 1 });
    await list();
    stack.simulator.setFaults(undefined);
    await api.call(ConnectorService.method.validate, {});
  });

  describe("in the CLI's output, with the key passed by file", () => {
    let simulator: Simulator;
    beforeAll(async () => {
      simulator = await startSimulator({ account: createDemoAccount() });
      simulator.store.registerSecret(CANARY, DEMO_IDS.apiKeys.batonConnector);
    });
    afterAll(() => simulator.close());

    it("serve --api-key-file at debug level logs nothing of the key", async () => {
      const dir = mkdtempSync(join(tmpdir(), "tc-secrets-"));
      const keyFile = join(dir, "api-key");
      writeFileSync(keyFile, `${CANARY}\n`, { mode: 0o600 });
      const child = spawn(process.execPath, ["dist/src/main.js", "serve", "--listen", "127.0.0.1:0", "--base-url", simulator.url, "--allow-insecure", "--api-key-file", keyFile, "--log-level", "debug", "--provisioning"], {
        env: { PATH: process.env.PATH },
      });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const address = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", () => {
          const m = /"address":"([^"]+)"/.exec(output);
          if (m) resolve(m[1]!);
        });
        child.once("exit", () => reject(new Error(`serve exited: ${output}`)));
      });
      const client = createGrpcClient({ address });
      const api = recording(client, seen);
      await runSync({ api, store: createMemoryStore() });
      simulator.onRequest((req) => (req.route === "GetUsers" ? { status: 401, code: 16, message: "bad key" } : undefined));
      await api.call(ResourcesService.method.listResources, { resourceTypeId: "user" }).catch(() => undefined);
      simulator.onRequest(undefined);
      client.close();
      child.kill("SIGTERM");
      expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(0);
      expect(output).toContain('"msg":"connector serving"');
      expect(output).not.toContain(CANARY);
    });
  });
});
