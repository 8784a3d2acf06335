import { createHash, randomBytes, verify } from "node:crypto";
import { EventEmitter, once } from "node:events";
import * as http2 from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { create, createRegistry, fromJson, toJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { PROTOCOL_REGISTRY } from "../../connector/protocol-registry.js";
import { validateMessage } from "../../connector/validate.js";
import {
  BatonService,
  BatonServiceFinishTaskRequestSchema,
  BatonServiceHelloRequestSchema,
  BatonServiceUploadAssetRequestSchema,
  file_c1_connectorapi_baton_v1_baton,
  Task_Status,
  TaskSchema,
  type BatonServiceFinishTaskRequest,
  type BatonServiceHelloRequest,
  type Task,
} from "../../gen/c1/connectorapi/baton/v1/baton_pb.js";
import { createTestClient, type TestClient } from "./client-keys.js";
import { createTestPki, type TestPki } from "./test-pki.js";

/** ConductorOneSimulatorOptions configures startConductorOneSimulator. */
export interface ConductorOneSimulatorOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The CA and certificate to serve with (a fresh test CA by default). */
  pki?: TestPki;
  /** Initial settings (see ConductorOneSimulatorSettings). */
  settings?: Partial<ConductorOneSimulatorSettings>;
}

/** ConductorOneSimulatorSettings are what a test may change while the simulator runs. */
export interface ConductorOneSimulatorSettings {
  /** next_poll of every GetTask answer (default 200 ms). */
  nextPollMs: number;
  /** next_heartbeat of GetTask and Heartbeat answers (default 1 s, the least the SDK takes). */
  nextHeartbeatMs: number;
  /** expires_in of the access tokens it issues (default 3600 s). */
  tokenLifetimeSeconds: number;
  /** Refuse every token request, as for a deleted credential (default false). */
  refuseTokens: boolean;
  /** How "no work" is answered: a `none` task (default) or a response without a task. */
  idle: "none" | "empty";
}

/** UploadRecord is one UploadAsset stream, as received. */
export interface UploadRecord {
  taskId: string;
  hostId: string;
  /** Sizes of the data messages, in order. */
  chunkSizes: number[];
  data: Buffer;
  /** The eof's checksum matched the data (false also when no eof came). */
  checksumOk: boolean;
  /** The stream ended with an eof and was accepted. */
  accepted: boolean;
  /** Why it was refused, if it was. */
  error?: string;
}

/** TaskRecord is what happened to a task the simulator handed out. */
export interface TaskRecord {
  task: Task;
  /** GetTask gave it to a connector. */
  handedOut: boolean;
  heartbeats: number;
  /** Heartbeats answered `cancelled` from this count on (Infinity: never). */
  cancelAtHeartbeat: number;
  /** Every FinishTask for it (exactly one is expected). */
  finishes: BatonServiceFinishTaskRequest[];
  uploads: UploadRecord[];
  /** Hello requests answering it (hello tasks). */
  hellos: BatonServiceHelloRequest[];
}

/** CallRecord is one BatonService call. */
export interface CallRecord {
  method: string;
  at: number;
  /** "ok", or the gRPC code name of the error it got. */
  outcome: string;
}

/** TokenRequestRecord is one request to the token endpoint. */
export interface TokenRequestRecord {
  at: number;
  issued: boolean;
  /** Why it was refused. */
  reason?: string;
}

/** ConductorOneSimulator is a running ConductorOne: token endpoint and BatonService on one TLS port. */
export interface ConductorOneSimulator {
  /** HOST:PORT: what BATON_C1_API_HOST names. */
  readonly address: string;
  /** PEM of the CA that signed its certificate. */
  readonly caPem: string;
  /** The client credential it issued at start (its id names the simulator's address). */
  readonly client: TestClient;
  readonly settings: ConductorOneSimulatorSettings;
  readonly calls: readonly CallRecord[];
  readonly hellos: readonly BatonServiceHelloRequest[];
  readonly tokenRequests: readonly TokenRequestRecord[];
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  /** Every access token it issued (a test scans output for them). */
  readonly issuedTokens: readonly string[];
  /** revokeTokens makes every token issued so far invalid: calls carrying one get UNAUTHENTICATED. */
  revokeTokens(): void;
  /** failNext makes the next `times` calls of a BatonService method (e.g. "Hello") fail with a gRPC code. */
  failNext(method: string, code: Code, times?: number): void;
  /** addClient issues one more credential (for another connector, or to test a wrong secret). */
  addClient(name: string, host?: string): TestClient;
  /** addTask queues a task (an id is made up when it has none) and returns its id. */
  addTask(task: MessageInitShape<typeof TaskSchema>, options?: { cancelAfterHeartbeats?: number }): string;
  /** cancel makes the task's heartbeats answer `cancelled`, from its `afterHeartbeats + 1`-th on. */
  cancel(taskId: string, afterHeartbeats?: number): void;
  /** waitFor resolves with check's first truthy result, checked now and after every call. */
  waitFor<T>(check: () => T | undefined | false | null, what: string, timeoutMs?: number): Promise<T>;
  /** waitForFinish resolves with a task's FinishTask. */
  waitForFinish(taskId: string, timeoutMs?: number): Promise<BatonServiceFinishTaskRequest>;
  close(): Promise<void>;
}

const REGISTRY = createRegistry(PROTOCOL_REGISTRY, file_c1_connectorapi_baton_v1_baton);
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/**
 * startConductorOneSimulator serves, on one TLS port (certificate from its own test CA), what a
 * connector in service mode talks to (docs/service-mode.md): the token endpoint
 * `POST /auth/v1/token`, which verifies the EdDSA client assertion against the public half of the
 * credential it issued (iss, sub, aud, exp, nbf, a fresh nonce, the signature), and
 * `c1.connectorapi.baton.v1.BatonService` over gRPC, which wants a valid access token on every
 * call and checks every request against the proto's validation rules. Tasks come from a queue a
 * test (or `POST /simulator/tasks`) feeds; heartbeats, FinishTask calls and uploads (chunk sizes,
 * SHA-256) are kept per task, and every call is recorded.
 */
export async function startConductorOneSimulator(options: ConductorOneSimulatorOptions = {}): Promise<ConductorOneSimulator> {
  const pki = options.pki ?? (await createTestPki());
  const settings: ConductorOneSimulatorSettings = { nextPollMs: 200, nextHeartbeatMs: 1000, tokenLifetimeSeconds: 3600, refuseTokens: false, idle: "none", ...options.settings };
  const changed = new EventEmitter().setMaxListeners(0);
  const calls: CallRecord[] = [];
  const hellos: BatonServiceHelloRequest[] = [];
  const tokenRequests: TokenRequestRecord[] = [];
  const tasks = new Map<string, TaskRecord>();
  const queue: string[] = [];
  const clients = new Map<string, TestClient>();
  const tokens = new Map<string, number>(); // access token → expiry (ms)
  const issuedTokens: string[] = [];
  const faults = new Map<string, { code: Code; times: number }>();
  const nonces = new Set<string>();

  const notify = () => changed.emit("changed");
  const taskOf = (taskId: string) => {
    const record = tasks.get(taskId);
    if (!record) throw new ConnectError(`task ${taskId} not found`, Code.NotFound);
    return record;
  };
  const check = <T extends Parameters<typeof validateMessage>[1]>(schema: Parameters<typeof validateMessage>[0], message: T) => {
    try {
      validateMessage(schema, message);
    } catch (err) {
      throw new ConnectError(err instanceof Error ? err.message : String(err), Code.InvalidArgument);
    }
  };

  const authenticate: Interceptor = (next) => async (req) => {
    let outcome = "ok";
    try {
      const token = /^Bearer (.+)$/.exec(req.header.get("authorization") ?? "")?.[1];
      const expiry = token ? tokens.get(token) : undefined;
      if (expiry === undefined || expiry <= Date.now()) throw new ConnectError(token ? "access token expired or unknown" : "no access token", Code.Unauthenticated);
      const fault = faults.get(req.method.name);
      if (fault && fault.times > 0) {
        fault.times--;
        throw new ConnectError(`injected ${Code[fault.code]}`, fault.code);
      }
      return await next(req);
    } catch (err) {
      outcome = Code[ConnectError.from(err).code] ?? "unknown";
      throw err;
    } finally {
      calls.push({ method: req.method.name, at: Date.now(), outcome });
      notify();
    }
  };

  const routes = (router: ConnectRouter) =>
    router.service(BatonService, {
      hello(req) {
        check(BatonServiceHelloRequestSchema, req);
        hellos.push(req);
        if (req.taskId) taskOf(req.taskId).hellos.push(req);
        return {};
      },
      getTask(req) {
        if (!req.hostId) throw new ConnectError("host_id is required", Code.InvalidArgument);
        const next = { nextPoll: durationFromMs(settings.nextPollMs), nextHeartbeat: durationFromMs(settings.nextHeartbeatMs) };
        const id = queue.shift();
        if (id === undefined) return settings.idle === "none" ? { ...next, task: { taskType: { case: "none", value: {} } } } : next;
        const record = tasks.get(id)!;
        record.handedOut = true;
        record.task.status = Task_Status.RUNNING;
        return { ...next, task: record.task };
      },
      getTasks() {
        throw new ConnectError("the simulator hands out tasks with GetTask", Code.Unimplemented);
      },
      heartbeat(req) {
        if (!req.hostId || !/^[a-zA-Z0-9]{27}$/.test(req.taskId)) throw new ConnectError("invalid heartbeat: host_id and a task_id are required", Code.InvalidArgument);
        const record = taskOf(req.taskId);
        record.heartbeats++;
        return { nextHeartbeat: durationFromMs(settings.nextHeartbeatMs), cancelled: record.heartbeats >= record.cancelAtHeartbeat };
      },
      finishTask(req) {
        check(BatonServiceFinishTaskRequestSchema, req);
        const record = taskOf(req.taskId);
        record.finishes.push(req);
        if (record.finishes.length > 1) throw new ConnectError(`task ${req.taskId} was finished already`, Code.FailedPrecondition);
        record.task.status = Task_Status.FINISHED;
        return {};
      },
      async uploadAsset(requests) {
        let upload: UploadRecord | undefined;
        const hash = createHash("sha256");
        const parts: Buffer[] = [];
        let size = 0;
        let eof = false;
        try {
          for await (const req of requests) {
            check(BatonServiceUploadAssetRequestSchema, req);
            if (eof) throw new ConnectError("a message after eof", Code.InvalidArgument);
            const msg = req.msg;
            if (!upload) {
              if (msg.case !== "metadata") throw new ConnectError("an upload starts with its metadata", Code.InvalidArgument);
              upload = { taskId: msg.value.taskId, hostId: msg.value.hostId, chunkSizes: [], data: Buffer.alloc(0), checksumOk: false, accepted: false };
              taskOf(msg.value.taskId).uploads.push(upload);
              continue;
            }
            if (msg.case === "metadata") throw new ConnectError("metadata sent twice", Code.InvalidArgument);
            if (msg.case === "data") {
              size += msg.value.data.length;
              if (size > MAX_UPLOAD_BYTES) throw new ConnectError("upload too large", Code.ResourceExhausted);
              upload.chunkSizes.push(msg.value.data.length);
              parts.push(Buffer.from(msg.value.data));
              hash.update(msg.value.data);
            } else if (msg.case === "eof") {
              eof = true;
              upload.data = Buffer.concat(parts);
              upload.checksumOk = Buffer.from(msg.value.sha256Checksum).equals(hash.digest());
              if (!upload.checksumOk) throw new ConnectError("sha256 checksum does not match the data", Code.DataLoss);
            }
          }
          if (!upload) throw new ConnectError("empty upload", Code.InvalidArgument);
          if (!eof) throw new ConnectError("upload ended without eof", Code.InvalidArgument);
          upload.accepted = true;
          return {};
        } catch (err) {
          if (upload) upload.error = ConnectError.from(err).rawMessage;
          throw err;
        } finally {
          notify();
        }
      },
      startDebugging() {
        return { status: false };
      },
    });

  const adapter = connectNodeAdapter({
    routes,
    grpc: true,
    connect: false,
    grpcWeb: false,
    interceptors: [authenticate],
    readMaxBytes: 2 * 1024 * 1024,
    fallback: (req, res) => void handleHttp(req as IncomingMessage, res as ServerResponse),
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://simulator");
    const reply = (status: number, body: unknown): void => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    try {
      const body = await readBody(req);
      if (url.pathname === "/auth/v1/token" && req.method === "POST") {
        const result = issueToken(req.headers["content-type"] ?? "", body);
        tokenRequests.push({ at: Date.now(), issued: "token" in result, ...("reason" in result ? { reason: result.reason } : {}) });
        notify();
        if ("reason" in result) return reply(401, { error: "invalid_client", error_description: result.reason });
        return reply(200, { access_token: result.token, token_type: "Bearer", expires_in: settings.tokenLifetimeSeconds });
      }
      if (url.pathname === "/simulator/tasks" && req.method === "POST") {
        // ?cancelAfterHeartbeats=N: its heartbeats answer cancelled after N (0: the first one).
        const after = url.searchParams.get("cancelAfterHeartbeats");
        const id = simulator.addTask(fromJson(TaskSchema, JSON.parse(body) as JsonValue, { registry: REGISTRY }), after === null ? undefined : { cancelAfterHeartbeats: Number(after) });
        return reply(200, { id });
      }
      if (url.pathname === "/simulator/tasks" && req.method === "GET") {
        return reply(200, [...tasks.values()].map(summary));
      }
      const cancel = /^\/simulator\/tasks\/([a-zA-Z0-9]{27})\/cancel$/.exec(url.pathname);
      if (cancel && req.method === "POST") {
        simulator.cancel(cancel[1]!);
        return reply(200, {});
      }
      reply(404, { error: "not found" });
    } catch (err) {
      reply(400, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** issueToken checks a token request (docs/service-mode.md, "Token exchange") and issues a token, or says why not. */
  function issueToken(contentType: string, body: string): { token: string } | { reason: string } {
    if (!contentType.startsWith("application/x-www-form-urlencoded")) return { reason: "not a form" };
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== "client_credentials") return { reason: "grant_type must be client_credentials" };
    if (form.get("client_assertion_type") !== ASSERTION_TYPE) return { reason: "unexpected client_assertion_type" };
    const clientId = form.get("client_id") ?? "";
    const client = clients.get(clientId);
    if (!client) return { reason: "unknown client" };
    if (settings.refuseTokens) return { reason: "credential revoked" };
    const parts = (form.get("client_assertion") ?? "").split(".");
    if (parts.length !== 3) return { reason: "the assertion is not a compact JWS" };
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
    } catch {
      return { reason: "the assertion's header or claims are not JSON" };
    }
    if (header.alg !== "EdDSA") return { reason: "the assertion must be signed with EdDSA" };
    if (!verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), client.publicKey, Buffer.from(parts[2]!, "base64url"))) return { reason: "bad signature" };
    if (typeof header.nonce !== "string" || !/^[0-9a-f]{32}$/.test(header.nonce) || nonces.has(header.nonce)) return { reason: "missing or reused nonce" };
    nonces.add(header.nonce);
    const now = Date.now() / 1000;
    const expectedAudience = audienceOf(clientId);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== clientId || claims.sub !== clientId) return { reason: "iss and sub must be the client id" };
    if (!audiences.includes(expectedAudience)) return { reason: `aud must be ${expectedAudience}` };
    if (typeof claims.exp !== "number" || claims.exp <= now) return { reason: "expired assertion" };
    if (typeof claims.nbf !== "number" || claims.nbf > now + 1) return { reason: "assertion not valid yet" };
    const token = randomBytes(24).toString("base64url");
    tokens.set(token, Date.now() + settings.tokenLifetimeSeconds * 1000);
    issuedTokens.push(token);
    return { token };
  }

  const server = http2.createSecureServer({ cert: pki.cert, key: pki.key, allowHTTP1: true, minVersion: "TLSv1.2" }, adapter);
  const sockets = new Set<Socket>();
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("session", (session) => session.on("error", () => {}));
  server.listen(options.port ?? 0, options.host ?? "127.0.0.1");
  await once(server, "listening");
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`;

  const addClient = (name: string, host = address) => {
    const client = createTestClient(name, host);
    clients.set(client.clientId, client);
    return client;
  };
  const simulator: ConductorOneSimulator = {
    address,
    caPem: pki.ca,
    client: addClient("temporalcloud-connector"),
    settings,
    calls,
    hellos,
    tokenRequests,
    tasks,
    issuedTokens,
    revokeTokens: () => tokens.clear(),
    failNext: (method, code, times = 1) => void faults.set(method, { code, times }),
    addClient,
    addTask(init, addOptions) {
      const task = create(TaskSchema, init);
      if (!task.id) task.id = newTaskId();
      if (tasks.has(task.id)) throw new Error(`task ${task.id} exists`);
      task.status = Task_Status.PENDING;
      const cancelAfter = addOptions?.cancelAfterHeartbeats;
      tasks.set(task.id, { task, handedOut: false, heartbeats: 0, cancelAtHeartbeat: cancelAfter === undefined ? Infinity : cancelAfter + 1, finishes: [], uploads: [], hellos: [] });
      queue.push(task.id);
      notify();
      return task.id;
    },
    cancel(taskId, afterHeartbeats) {
      const record = tasks.get(taskId);
      if (!record) throw new Error(`task ${taskId} not found`);
      record.cancelAtHeartbeat = (afterHeartbeats ?? record.heartbeats) + 1;
    },
    waitFor(check, what, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const test = () => {
          const value = check();
          if (!value) return false;
          changed.off("changed", test);
          clearTimeout(timer);
          resolve(value);
          return true;
        };
        const timer = setTimeout(() => {
          changed.off("changed", test);
          reject(new Error(`ConductorOne simulator: timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        if (!test()) changed.on("changed", test);
      });
    },
    waitForFinish(taskId, timeoutMs) {
      return simulator.waitFor(() => tasks.get(taskId)?.finishes[0], `FinishTask of task ${taskId}`, timeoutMs);
    },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
  return simulator;
}

/** audienceOf is the host of a client id without its port: what the assertion's aud must name. */
function audienceOf(clientId: string): string {
  const host = clientId.slice(clientId.indexOf("@") + 1).split("/")[0]!;
  const bracketed = /^\[(.*)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  return host.replace(/:\d+$/, "");
}

/** newTaskId makes a KSUID-like id: 27 alphanumeric characters. */
function newTaskId(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return [...randomBytes(27)].map((b) => alphabet[b % 62]).join("");
}

function summary(record: TaskRecord): JsonValue {
  return {
    id: record.task.id,
    type: record.task.taskType.case ?? "unknown",
    handedOut: record.handedOut,
    heartbeats: record.heartbeats,
    hellos: record.hellos.length,
    finishes: record.finishes.map((f) => toJson(BatonServiceFinishTaskRequestSchema, f, { registry: REGISTRY })),
    uploads: record.uploads.map((u) => ({ bytes: u.data.length, chunkSizes: u.chunkSizes, checksumOk: u.checksumOk, accepted: u.accepted, ...(u.error ? { error: u.error } : {}) })),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
