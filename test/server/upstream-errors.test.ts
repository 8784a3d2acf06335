import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectorService, ResourcesService } from "../../src/connector/c1.js";
import { DEMO_API_KEY } from "../../src/simulator/temporal/index.js";
import { expectCode, grpcError } from "../helpers/grpc.js";
import { startStack, type Stack, type StackOptions } from "../helpers/stack.js";

// Retries without real waiting, so that the tests measure behaviour, not time.
const fastRetry = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2_000 };

/**
 * Upstream failures reach the caller as the right gRPC code, after the retries that are due,
 * and the API key appears in no log line and no error message.
 */
describe("upstream failures", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    if (stack) {
      for (const line of stack.logs) expect(line).not.toContain(DEMO_API_KEY);
      await stack.close();
    }
    stack = undefined;
  });
  const start = async (options: StackOptions = {}) => {
    stack = await startStack({ ...options, connector: { retry: fastRetry, ...options.connector } });
    return stack;
  };
  const listUsers = (s: Stack) => s.client.call(ResourcesService.method.listResources, { resourceTypeId: "user" });

  it("401 → UNAUTHENTICATED, without retrying, and the rejected key is never echoed", async () => {
    const wrongKey = "tcsim-wrong-key-0123456789abcdef";
    const s = await start({ apiKey: wrongKey });
    const err = await grpcError(s.client.call(ConnectorService.method.validate, {}));
    expect(status[err.code]).toBe("UNAUTHENTICATED");
    expect(err.details).toContain("HTTP 401");
    expect(err.details).not.toContain(wrongKey);
    expect(s.simulator.stats.requests).toBeLessThanOrEqual(2); // identity + account, once each
    for (const line of s.logs) expect(line).not.toContain(wrongKey);
  });

  it("403 → PERMISSION_DENIED", async () => {
    const s = await start();
    s.simulator.onRequest((req) => (req.route === "GetUsers" ? { status: 403, code: 7, message: "caller lacks cloud.user.list" } : undefined));
    const msg = await expectCode(listUsers(s), status.PERMISSION_DENIED);
    expect(msg).toContain("caller lacks cloud.user.list");
    expect(s.simulator.stats.byRoute.get("GetUsers")).toBe(1);
  });

  it("404 → NOT_FOUND", async () => {
    const s = await start();
    s.simulator.onRequest((req) => (req.route === "GetUsers" ? { status: 404, code: 5, message: "gone" } : undefined));
    await expectCode(listUsers(s), status.NOT_FOUND);
  });

  it("429 is retried, honouring Retry-After, and succeeds when the limit clears", async () => {
    const s = await start();
    let refusals = 2;
    s.simulator.onRequest((req) => (req.route === "GetUsers" && refusals-- > 0 ? { status: 429, code: 8, message: "rate limit exceeded", retryAfterSeconds: 0.05 } : undefined));
    const res = await listUsers(s);
    expect(res.list).toHaveLength(10);
    expect(s.simulator.stats.byRoute.get("GetUsers")).toBe(3);
  });

  it("429 that persists → RESOURCE_EXHAUSTED", async () => {
    const s = await start();
    s.simulator.onRequest((req) => (req.route === "GetUsers" ? { status: 429, code: 8, message: "rate limit exceeded for principal" } : undefined));
    expect(await expectCode(listUsers(s), status.RESOURCE_EXHAUSTED)).toContain("rate limit exceeded");
    expect(s.simulator.stats.byRoute.get("GetUsers")).toBe(fastRetry.maxAttempts);
  });

  it("a Retry-After longer than we are willing to wait is not waited for", async () => {
    const s = await start();
    s.simulator.onRequest((req) => (req.route === "GetUsers" ? { status: 429, code: 8, message: "slow down", retryAfterSeconds: 120 } : undefined));
    const err = await grpcError(listUsers(s));
    expect(status[err.code]).toBe("RESOURCE_EXHAUSTED");
    // The wait travels as a c1.connector.v2.RateLimitDescription status detail, where the Go syncer reads it.
    expect(err.metadata.get("grpc-status-details-bin")).toHaveLength(1);
    expect(s.simulator.stats.byRoute.get("GetUsers")).toBe(1);
  });

  it.each([500, 502, 503, 504])("%i → UNAVAILABLE after the retries", async (code) => {
    const s = await start();
    s.simulator.onRequest((req) => (req.route === "GetUsers" ? { status: code, code: code === 504 ? 4 : 14, message: "upstream trouble" } : undefined));
    expect(await expectCode(listUsers(s), status.UNAVAILABLE)).toContain(`HTTP ${code}`);
    // 500 is not retried (it may be a deterministic bug); 502/503/504 are.
    expect(s.simulator.stats.byRoute.get("GetUsers")).toBe(code === 500 ? 1 : fastRetry.maxAttempts);
  });

  it("a transient 503 is invisible to the caller", async () => {
    const s = await start();
    let failures = 3;
    s.simulator.onRequest((req) => (req.route === "GetUsers" && failures-- > 0 ? { status: 503, code: 14, message: "try again" } : undefined));
    expect((await listUsers(s)).list).toHaveLength(10);
  });

  it("an upstream that does not answer in time → DEADLINE_EXCEEDED", async () => {
    const s = await start({ connector: { requestTimeoutMs: 100, retry: { ...fastRetry, maxAttempts: 2 } } });
    s.simulator.setLatency(1_000);
    const msg = await expectCode(listUsers(s), status.DEADLINE_EXCEEDED);
    expect(msg).toContain("no response within 100 ms");
  });

  it("a refused connection → UNAVAILABLE", async () => {
    const s = await start();
    await s.simulator.close();
    expect(await expectCode(listUsers(s), status.UNAVAILABLE)).toContain("connection failed");
  });
});
