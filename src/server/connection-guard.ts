import * as http2 from "node:http2";
import type { Socket } from "node:net";
import type { Logger } from "pino";

/**
 * ConnectionLimits bound what one peer can hold open on a listener (docs/security.md,
 * "Connections"). Every timeout is in milliseconds; 0 turns it off.
 */
export interface ConnectionLimits {
  /**
   * A connection must complete its TLS handshake (TLS listeners) and then send the HTTP/2 preface
   * and its SETTINGS within this long, each; otherwise it is closed.
   */
  handshakeTimeoutMs: number;
  /**
   * A connection with no call in progress for this long is closed gracefully (GOAWAY, then the
   * socket). PINGs are answered but are not activity: a client that only pings is idle.
   */
  idleTimeoutMs: number;
  /** Most connections open at once; a connection beyond it is closed as soon as it is accepted. */
  maxConnections: number;
  /**
   * A call whose request has not fully arrived this long after its headers is reset (CANCEL).
   * Bidirectional streams (reflection) send requests as they go: for them this is the longest
   * time without a frame either way.
   */
  requestReadTimeoutMs: number;
}

/** DEFAULT_CONNECTION_LIMITS are the flags' defaults (src/cli/config.ts). */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 5 * 60_000,
  maxConnections: 1024,
  requestReadTimeoutMs: 30_000,
};

/** Listener names a server for logs and metrics. */
export type Listener = "grpc" | "health";

/** ConnectionObserver is told about connections, for metrics. */
export interface ConnectionObserver {
  connectionOpened(listener: Listener): void;
  connectionClosed(listener: Listener): void;
  /** A connection was closed on arrival because maxConnections were open. */
  connectionRefused(listener: Listener): void;
}

/** GuardOptions configures guardConnections. */
export interface GuardOptions {
  listener: Listener;
  limits: ConnectionLimits;
  log: Logger;
  observer?: ConnectionObserver;
  /** Methods whose request is a stream of messages (reflection): paths like "/pkg.Service/Method". */
  requestStreamingPaths?: ReadonlySet<string>;
}

// A burst of refused connections logs one line, then one a minute with how many more there were.
const REFUSED_LOG_INTERVAL_MS = 60_000;

/**
 * guardConnections applies the limits to an HTTP/2 server before it listens. The TLS handshake
 * timeout itself is the TLS server's own option (tls.Server handshakeTimeout), set where the
 * server is created: see tlsHandshakeTimeout.
 */
export function guardConnections(server: http2.Http2Server | http2.Http2SecureServer, options: GuardOptions): void {
  const { limits, log, observer, listener } = options;
  const streaming = options.requestStreamingPaths ?? new Set<string>();
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;

  let refused = 0;
  let refusedLoggedAt = -Infinity;
  server.on("drop", () => {
    observer?.connectionRefused(listener);
    refused++;
    const now = performance.now();
    if (now - refusedLoggedAt < REFUSED_LOG_INTERVAL_MS) return;
    log.warn({ listener, maxConnections: limits.maxConnections, refused }, "connection limit reached: new connections are closed on arrival");
    refusedLoggedAt = now;
    refused = 0;
  });
  server.on("connection", (socket: Socket) => {
    observer?.connectionOpened(listener);
    socket.once("close", () => observer?.connectionClosed(listener));
  });

  server.on("session", (session: http2.ServerHttp2Session) => {
    // The preface and the client's SETTINGS: until they come, the connection is only a socket.
    const handshake = timer(limits.handshakeTimeoutMs, () => {
      log.debug({ listener }, "connection closed: no HTTP/2 preface in time");
      session.destroy();
    });
    session.once("remoteSettings", () => clearTimeout(handshake));

    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    const waitIdle = () => {
      idle = timer(limits.idleTimeoutMs, () => {
        log.debug({ listener }, "connection closed: idle");
        session.close(); // GOAWAY: the client opens a new connection for its next call
      });
    };
    waitIdle();
    session.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      open++;
      clearTimeout(idle);
      stream.once("close", () => {
        if (--open === 0 && !session.closed && !session.destroyed) waitIdle();
      });
      if (limits.requestReadTimeoutMs <= 0) return;
      if (streaming.has(String(headers[":path"]))) {
        stream.setTimeout(limits.requestReadTimeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        return;
      }
      const unread = timer(limits.requestReadTimeoutMs, () => {
        if (stream.closed || stream.destroyed || stream.state.remoteClose) return;
        log.debug({ listener, path: headers[":path"] }, "call reset: its request did not arrive in time");
        stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      stream.once("close", () => clearTimeout(unread));
    });
    session.once("close", () => {
      clearTimeout(handshake);
      clearTimeout(idle);
    });
  });
}

/** tlsHandshakeTimeout is the TLS server option that ends a handshake taking longer than the limit. */
export function tlsHandshakeTimeout(limits: ConnectionLimits): { handshakeTimeout?: number } {
  return limits.handshakeTimeoutMs > 0 ? { handshakeTimeout: limits.handshakeTimeoutMs } : {};
}

/** timer is an unref'd timeout (a limit never keeps the process alive); 0 ms means none. */
function timer(ms: number, fire: () => void): NodeJS.Timeout | undefined {
  return ms > 0 ? setTimeout(fire, ms).unref() : undefined;
}
