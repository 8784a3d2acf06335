import { once, setMaxListeners } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import type { Connector } from "../connector/connector.js";
import { certificateContext, certificateInterceptor, checkClientCertificate } from "./client-certificate.js";
import { DEFAULT_CONNECTION_LIMITS, guardConnections, tlsHandshakeTimeout, type ConnectionLimits, type ConnectionObserver } from "./connection-guard.js";
import { createHealthState, type HealthState } from "./health.js";
import { metricsInterceptor, type CallObserver } from "./metrics-interceptor.js";
import { PROTOCOL_REGISTRY } from "../connector/protocol-registry.js";
import { callInterceptor, createRoutes, isUnreadableRequest, REQUEST_STREAMING_PATHS } from "./routes.js";

/** MAX_MESSAGE_BYTES is gRPC-Go's default limit, which the baton SDK never raises. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** TlsOptions are PEM-encoded credentials; clientCa turns on mutual TLS. */
export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** When set, clients must present a certificate signed by this CA. */
  clientCa?: string | Buffer;
  /**
   * When not empty (mutual TLS only), a client certificate must also name one of these in its
   * subject alternative names: a DNS name (compared without case) or a URI (exactly, e.g. a
   * SPIFFE id). Calls on a connection whose certificate does not are answered UNAUTHENTICATED.
   */
  clientSans?: readonly string[];
}

/** ServerOptions configures startServer. */
export interface ServerOptions {
  connector: Connector;
  log: Logger;
  host: string;
  port: number;
  tls?: TlsOptions;
  /** Concurrent calls per connection. */
  maxConcurrentStreams?: number;
  /** How long a graceful stop lets in-flight calls finish before cancelling them. */
  drainTimeoutMs?: number;
  /** Told how every call ended (metrics). */
  callObserver?: CallObserver;
  /** Timeouts and the connection cap (DEFAULT_CONNECTION_LIMITS for what is left out). */
  limits?: Partial<ConnectionLimits>;
  /** Told about connections opened, closed and refused (metrics). */
  connectionObserver?: ConnectionObserver;
}

/** RunningServer is a listening connector server. */
export interface RunningServer {
  readonly host: string;
  readonly port: number;
  readonly health: HealthState;
  /**
   * close stops gracefully: health turns NOT_SERVING, new connections and calls are refused,
   * in-flight calls get drainTimeoutMs to finish and are then cancelled.
   */
  close(): Promise<void>;
}

/**
 * startServer serves the connector over HTTP/2, gRPC only (the baton protocol; the Connect and
 * gRPC-web protocols would be surface nobody uses): plain h2c by default, TLS with tls, mutual
 * TLS with tls.clientCa (limited to named certificates with tls.clientSans), within the
 * connection limits (connection-guard.ts). It is the only code that knows HTTP/2.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { log } = options;
  const health = createHealthState();
  const shutdown = new AbortController();
  // connect-node links every in-flight call to this signal (and unlinks it when the call ends),
  // so dozens of listeners at once are normal, not the leak Node's default warning assumes.
  setMaxListeners(0, shutdown.signal);
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const clientSans = options.tls?.clientCa ? (options.tls.clientSans ?? []) : [];
  // Connections whose client certificate names none of clientSans, and why; the interceptor reads it.
  const refusedSessions = new WeakMap<http2.Http2Session, string>();
  const certificateOf = (req: http2.Http2ServerRequest) => certificateContext(req.stream.session && refusedSessions.get(req.stream.session));
  const adapter = connectNodeAdapter({
    routes: createRoutes({ connector: options.connector, health, log }),
    grpc: true,
    connect: false,
    grpcWeb: false,
    interceptors: [
      ...(options.callObserver ? [metricsInterceptor(options.callObserver)] : []),
      ...(clientSans.length > 0 ? [certificateInterceptor()] : []),
      callInterceptor(options.connector, log),
    ],
    contextValues: clientSans.length > 0 ? (req) => certificateOf(req as http2.Http2ServerRequest) : undefined,
    readMaxBytes: MAX_MESSAGE_BYTES,
    writeMaxBytes: MAX_MESSAGE_BYTES,
    shutdownSignal: shutdown.signal,
    jsonOptions: { registry: PROTOCOL_REGISTRY },
    // Responses are never compressed: the connector talks to a sidecar agent over loopback,
    // where gzip only costs CPU on both ends. Compressed requests are still accepted.
    compressMinBytes: Number.POSITIVE_INFINITY,
  });
  const handler = withUploadCutoff(withUnreadableRequestsInvalid(adapter));
  const settings: http2.Settings = { maxConcurrentStreams: options.maxConcurrentStreams ?? 100 };
  const server = options.tls
    ? http2.createSecureServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ca: options.tls.clientCa,
          requestCert: options.tls.clientCa !== undefined,
          rejectUnauthorized: options.tls.clientCa !== undefined,
          minVersion: "TLSv1.2",
          allowHTTP1: false,
          settings,
          ...tlsHandshakeTimeout(limits),
        },
        handler,
      )
    : http2.createServer({ settings }, handler);
  guardConnections(server, { listener: "grpc", limits, log, observer: options.connectionObserver, requestStreamingPaths: REQUEST_STREAMING_PATHS });

  const sessions = new Set<http2.Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", (err) => log.debug({ err }, "http/2 session error"));
    // A TLS handshake that completes after close() began must not open a door for new calls.
    if (health.stopping) session.close();
    if (clientSans.length > 0) {
      const refusal = checkClientCertificate(session, clientSans);
      if (refusal) {
        refusedSessions.set(session, refusal.reason);
        log.warn({ subject: refusal.subject, sans: refusal.sans }, "client certificate refused: it names none of --tls-client-san");
      }
    }
  });
  // Every TCP connection, including those that never become a session (a TLS handshake that
  // never ends): server.close() waits for all of them, so the drain timeout must end them too.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", (err: NodeJS.ErrnoException) => {
    // A peer that never completes its handshake is closed by --handshake-timeout: common, and cheap
    // to cause by the thousand, so not worth a warning each.
    if (err.code === "ERR_TLS_HANDSHAKE_TIMEOUT") log.debug({ listener: "grpc" }, "connection closed: no TLS handshake in time");
    else log.warn({ error: err.message }, "TLS handshake refused");
  });

  // once() rejects with the error (EADDRINUSE…) if the server fails to listen.
  server.listen(options.port, options.host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  health.setServing(true);

  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    health,
    close() {
      closing ??= (async () => {
        health.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const session of sessions) session.close(); // GOAWAY: no new calls, in-flight ones go on
        const drained = await Promise.race([
          closed.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), options.drainTimeoutMs ?? 10_000).unref()),
        ]);
        if (!drained) {
          log.warn({ connections: sockets.size }, "drain timeout: cancelling in-flight calls");
          shutdown.abort(); // handlers' signals fire, which cancels their upstream requests
          for (const session of sessions) session.destroy();
          for (const socket of sockets) socket.destroy();
          await closed;
        }
      })();
      return closing;
    },
  };
}

/**
 * withUnreadableRequestsInvalid answers INVALID_ARGUMENT, not INTERNAL, to a unary request whose
 * body cannot be read (see isUnreadableRequest). connect-es reads a unary request before any
 * interceptor runs, so its status is rewritten here, in the trailers.
 */
function withUnreadableRequestsInvalid(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) {
  return (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const addTrailers = res.addTrailers.bind(res);
    res.addTrailers = (trailers: http2.OutgoingHttpHeaders) => {
      const message = trailers["grpc-message"];
      if (trailers["grpc-status"] === "13" && typeof message === "string" && isUnreadableRequest(decodeGrpcMessage(message))) {
        trailers = { ...trailers, "grpc-status": "3" };
      }
      addTrailers(trailers);
    };
    handler(req, res);
  };
}

function decodeGrpcMessage(message: string): string {
  try {
    return decodeURIComponent(message);
  } catch {
    return message;
  }
}

/**
 * withUploadCutoff resets a stream once its response is complete if the client is still sending
 * its request, as grpc-go's server does (RFC 9113 §8.1 allows it). A request refused for its size
 * is the common case: the server stops reading, and a client that never abandons the upload
 * (grpc-js, stalled by flow control) would keep the stream open until the connection ends, and a
 * graceful stop would wait out its whole drain timeout for it.
 */
function withUploadCutoff(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) {
  return (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const stream = req.stream;
    // gRPC responses end with trailers. The compat layer's own "wantTrailers" listener, added
    // before ours, submits them; Node flushes pending frames before it sends a reset, so the
    // status reaches the client first. CANCEL, not the NO_ERROR grpc-go sends: with NO_ERROR,
    // Node 20 left the stream open all the same (test/server/transport.test.ts shows either).
    stream.once("wantTrailers", () =>
      setImmediate(() => {
        if (!stream.closed && !stream.destroyed && !stream.state.remoteClose) stream.close(http2.constants.NGHTTP2_CANCEL);
      }),
    );
    handler(req, res);
  };
}
