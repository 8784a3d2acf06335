import { setTimeout as sleep } from "node:timers/promises";
import * as tls from "node:tls";
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/config.js";
import { ConnectorService, ResourcesService } from "../../src/connector/c1.js";
import { MAX_MESSAGE_BYTES } from "../../src/server/server.js";
import { createGrpcClient, type GrpcClient } from "../../src/sync/grpc-client.js";
import { createCertificateAuthority, createTlsMaterial, KEY_ALGORITHMS, type TlsMaterial } from "../helpers/certs.js";
import { startCli } from "../helpers/cli-process.js";
import { expectCode } from "../helpers/grpc.js";
import { connectH2, envelope, rawGrpcCall } from "../helpers/raw-h2.js";
import { startStack, type Stack } from "../helpers/stack.js";
import { syncSummary, type SyncSummary } from "../helpers/sync-summary.js";

const MiB = 1024 * 1024;

/** tlsClient is a grpc-js client that trusts ca and, when given, presents a client certificate. */
function tlsClient(address: string, ca: string, identity?: { cert: string; key: string }): GrpcClient {
  const credentials = grpc.credentials.createSsl(Buffer.from(ca), identity && Buffer.from(identity.key), identity && Buffer.from(identity.cert));
  return createGrpcClient({ address, credentials, deadlineMs: 20_000 });
}

/** handshake completes a raw TLS handshake and reports what was negotiated, or the error. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<{ protocol: string | null; alpn: string | false } | Error> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ALPNProtocols: ["h2"], ...options }, () => {
      // Under TLS 1.3 the server checks the client certificate after the client's Finished: a
      // refusal arrives as an alert after "secureConnect". The server's first bytes (its HTTP/2
      // SETTINGS) come only once it has accepted the connection.
      const done = { protocol: socket.getProtocol(), alpn: socket.alpnProtocol ?? false };
      if (done.alpn !== "h2") {
        // Not HTTP/2, so no SETTINGS to wait for (and an HTTP/1 server speaks second).
        socket.destroy();
        return resolve(done);
      }
      socket.once("data", () => {
        socket.destroy();
        resolve(done);
      });
    });
    socket.once("error", (err) => {
      socket.destroy();
      resolve(err);
    });
    socket.once("close", () => resolve(new Error("closed before the server said anything")));
  });
}

let plain: SyncSummary;

describe("plain h2c (no TLS options)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    plain = await syncSummary(stack.client);
  });
  afterAll(() => stack.close());

  it("serves a full sync to a plain-text client", () => {
    expect(plain.resources.length).toBeGreaterThan(30);
    expect(plain.grants.length).toBeGreaterThan(30);
  });
});

describe.each(KEY_ALGORITHMS)("mutual TLS with %s certificates made as baton-sdk makes them", (algorithm) => {
  let stack: Stack;
  let material: TlsMaterial;
  const clients: GrpcClient[] = [];
  const client = (identity?: { cert: string; key: string }) => {
    const c = tlsClient(stack.address, material.ca, identity);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    material = await createTlsMaterial(algorithm);
    stack = await startStack({ server: { tls: { cert: material.server.cert, key: material.server.key, clientCa: material.ca } } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await stack.close();
  });

  it("validates and serves a full sync identical to the plain-text one", async () => {
    const api = client(material.client);
    expect((await api.call(ConnectorService.method.validate, {})).sdkVersion).toBe("v0.25.0");
    expect(await syncSummary(api)).toEqual(plain);
  });

  it("refuses a client without a certificate before any handler runs", async () => {
    const before = stack.simulator.stats.requests;
    await expectCode(client().call(ConnectorService.method.validate, {}), grpc.status.UNAVAILABLE);
    // Validate reads the current identity upstream: had the call got through, the simulator would know.
    expect(stack.simulator.stats.requests).toBe(before);
    expect(stack.logs.some((line) => line.includes("TLS handshake refused"))).toBe(true);
  });

  it("refuses a client whose certificate another CA signed", async () => {
    const stranger = await (await createCertificateAuthority(algorithm, "someone-else-ca")).issue("c1-connector-client");
    const before = stack.simulator.stats.requests;
    await expectCode(client(stranger).call(ConnectorService.method.validate, {}), grpc.status.UNAVAILABLE);
    expect(stack.simulator.stats.requests).toBe(before);
  });

  it("refuses a plain-text client (no downgrade to h2c)", async () => {
    const c = createGrpcClient({ address: stack.address, deadlineMs: 10_000 });
    clients.push(c);
    await expectCode(c.call(ConnectorService.method.validate, {}), grpc.status.UNAVAILABLE);
  });

  it("negotiates h2 over TLS 1.3 by default and also serves TLS 1.2 clients", async () => {
    const identity = { ca: material.ca, cert: material.client.cert, key: material.client.key };
    expect(await handshake(stack.server.port, identity)).toEqual({ protocol: "TLSv1.3", alpn: "h2" });
    expect(await handshake(stack.server.port, { ...identity, maxVersion: "TLSv1.2" })).toEqual({ protocol: "TLSv1.2", alpn: "h2" });
    // The whole call over TLS 1.2 too: baton-sdk's client only sets MinVersion 1.2.
    const context = tls.createSecureContext({ ...identity, maxVersion: "TLSv1.2" });
    const c = createGrpcClient({ address: stack.address, credentials: grpc.credentials.createFromSecureContext(context), deadlineMs: 20_000 });
    clients.push(c);
    expect((await c.call(ConnectorService.method.validate, {})).sdkVersion).toBe("v0.25.0");
  });

  it("speaks only HTTP/2: a client that offers just http/1.1 is refused", async () => {
    const identity = { ca: material.ca, cert: material.client.cert, key: material.client.key };
    const started = performance.now();
    expect(await handshake(stack.server.port, { ...identity, ALPNProtocols: ["http/1.1"] })).toBeInstanceOf(Error);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("refuses TLS 1.1 and older, even from a client willing to use them", async () => {
    const result = await handshake(stack.server.port, {
      ca: material.ca,
      cert: material.client.cert,
      key: material.client.key,
      minVersion: "TLSv1",
      maxVersion: "TLSv1.1",
      ciphers: "DEFAULT@SECLEVEL=0", // the client side allows old protocols; only the server can say no
    });
    expect(result).toBeInstanceOf(Error);
  });
});

describe("TLS without client certificates (tls.clientCa unset)", () => {
  let stack: Stack;
  let material: TlsMaterial;
  let api: GrpcClient;
  beforeAll(async () => {
    material = await createTlsMaterial("ed25519");
    stack = await startStack({ server: { tls: { cert: material.server.cert, key: material.server.key } } });
    api = tlsClient(stack.address, material.ca);
  });
  afterAll(async () => {
    api.close();
    await stack.close();
  });

  it("serves a client that presents no certificate", async () => {
    expect((await api.call(ConnectorService.method.validate, {})).sdkVersion).toBe("v0.25.0");
  });

  it("does not ask for a client certificate", async () => {
    const result = await handshake(stack.server.port, { ca: material.ca });
    expect(result).toEqual({ protocol: "TLSv1.3", alpn: "h2" });
  });
});

describe("default bind address", () => {
  it("is loopback: --listen defaults to 127.0.0.1:50051 for serve and demo", () => {
    for (const command of ["serve", "demo"]) {
      const parsed = parseArgs([command], {});
      expect(parsed.ok && parsed.values.listen).toBe("127.0.0.1:50051");
    }
    const explicit = parseArgs(["serve"], { BATON_LISTEN: "127.0.0.1:0" });
    expect(explicit.ok && explicit.values.listen).toBe("127.0.0.1:0");
  });

  it("serve without --listen binds 127.0.0.1:50051 (or says it cannot, naming that address)", async () => {
    // Port 50051 may be taken on a developer's machine (a running demo): either outcome names the
    // address the default resolved to, which is what this test is about.
    const cli = startCli(["serve", "--base-url", "http://127.0.0.1:9", "--allow-insecure"], { BATON_API_KEY: "test-key-not-used-upstream" });
    try {
      const line = await Promise.race([cli.waitForLine("stderr", /"msg":"connector serving"/), cli.waitForLine("stderr", /cannot listen on/)]);
      if (line.includes("cannot listen")) expect(line).toContain("cannot listen on --listen 127.0.0.1:50051");
      else expect(JSON.parse(line)).toMatchObject({ address: "127.0.0.1:50051" });
    } finally {
      await cli.stop();
    }
  });

  it("demo binds the connector and its simulator to loopback, on the port asked for", async () => {
    const cli = startCli(["demo", "--listen", "127.0.0.1:0"]);
    try {
      const line = await cli.waitForLine("stdout", /serving gRPC on/);
      const match = /serving gRPC on ([^ ]+):(\d+), against the simulator at http:\/\/([^:]+):\d+/.exec(line);
      expect(match?.[1]).toBe("127.0.0.1");
      expect(Number(match?.[2])).toBeGreaterThan(0);
      expect(match?.[3]).toBe("127.0.0.1");
    } finally {
      await cli.stop();
    }
  });
});

describe("message size and stream bounds", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  /** requestOfSize is a ListResources request whose page token makes it exactly `bytes` long encoded. */
  const requestOfSize = (bytes: number) => {
    const schema = ResourcesService.method.listResources.input;
    const overhead = toBinary(schema, create(schema, { pageToken: "x".repeat(bytes) })).length - bytes;
    const request = { pageToken: "x".repeat(bytes - overhead) };
    expect(toBinary(schema, create(schema, request)).length).toBe(bytes);
    return request;
  };

  it(`refuses a request over ${MAX_MESSAGE_BYTES / MiB} MiB with RESOURCE_EXHAUSTED and keeps serving on the same connection`, async () => {
    // Several rounds: refused uploads must leave nothing behind that starves later calls.
    for (let round = 0; round < 5; round++) {
      const message = await expectCode(stack.client.call(ResourcesService.method.listResources, requestOfSize(MAX_MESSAGE_BYTES + 1)), grpc.status.RESOURCE_EXHAUSTED);
      expect(message).toMatch(/larger than configured readMaxBytes/);
      const users = await stack.client.call(ResourcesService.method.listResources, { resourceTypeId: "user" });
      expect(users.list.length).toBeGreaterThan(0);
    }
  });

  it("cuts off the rest of a refused upload, so that it holds no stream and no graceful stop", async () => {
    // grpc-js keeps uploading a refused message (stalled by flow control) unless the server resets
    // the stream: then close() would wait for the whole drain timeout.
    const own = await startStack({ server: { drainTimeoutMs: 60_000 } });
    try {
      await expectCode(own.client.call(ResourcesService.method.listResources, requestOfSize(MAX_MESSAGE_BYTES + 1)), grpc.status.RESOURCE_EXHAUSTED);
      const closed = await Promise.race([own.server.close().then(() => "closed"), sleep(10_000).then(() => "still draining")]);
      expect(closed).toBe("closed");
    } finally {
      await own.close();
    }
  });

  it(`reads a request of exactly ${MAX_MESSAGE_BYTES / MiB} MiB (and judges its contents instead)`, async () => {
    // The oversized page token is the request validator's business: INVALID_ARGUMENT, not a size error.
    await expectCode(stack.client.call(ResourcesService.method.listResources, requestOfSize(MAX_MESSAGE_BYTES)), grpc.status.INVALID_ARGUMENT);
  });

  it("refuses a gzip bomb: a small compressed message that inflates past the limit", async () => {
    const client = createGrpcClient({ address: stack.address, channelOptions: { "grpc.default_compression_algorithm": 2 /* gzip */ } });
    try {
      await expectCode(client.call(ResourcesService.method.listResources, requestOfSize(16 * MiB)), grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
  });

  it("refuses a declared oversized message from its 5-byte header, without waiting for the body", async () => {
    const session = await connectH2(stack.address);
    try {
      // Announce one byte too many and send nothing more: an answer proves the server did not wait for it.
      const res = await rawGrpcCall(session, "/c1.connector.v2.ResourcesService/ListResources", envelope(new Uint8Array(0), MAX_MESSAGE_BYTES + 1), false);
      expect(res.grpcStatus).toBe(grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      session.destroy();
    }
  });

  it("advertises a bound on concurrent streams per connection", async () => {
    const session = await connectH2(stack.address);
    try {
      expect(session.remoteSettings.maxConcurrentStreams).toBe(100);
    } finally {
      session.destroy();
    }
  });
});
