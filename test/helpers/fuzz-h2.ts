import * as http2 from "node:http2";

/** FuzzRequest is one hand-made HTTP/2 request: a path, headers and a body sent as is. */
export interface FuzzRequest {
  path: string;
  /** The whole request body, already framed (or deliberately not). */
  body: Uint8Array;
  /** Default application/grpc. */
  contentType?: string;
  /** Extra request headers (grpc-encoding, grpc-timeout…). */
  headers?: Record<string, string>;
}

/**
 * FuzzOutcome is how the server answered.
 * - status: a gRPC status (trailers, or trailers-only headers), or a Connect-protocol answer
 *   (HTTP 200 = OK, a JSON error body's code otherwise) mapped to the same numbers;
 * - http: an HTTP answer without any status (415 for a content type nobody serves, 404…);
 * - reset: the stream was reset or broke without a status;
 * - timeout: nothing final within the deadline (a hang).
 */
export interface FuzzOutcome {
  kind: "status" | "http" | "reset" | "timeout";
  httpStatus?: number;
  code?: number;
  message?: string;
  /** Length of the raw grpc-message header (to spot unbounded error texts). */
  messageBytes: number;
  responseBytes: number;
  error?: string;
}

/** FuzzClientOptions configures createFuzzClient. */
export interface FuzzClientOptions {
  /** HTTP/2 connections to spread the calls over (default 2). */
  sessions?: number;
  /** Per-call deadline before the call counts as a hang (default 20 s). */
  timeoutMs?: number;
}

/** FuzzClient sends FuzzRequests over a few raw HTTP/2 sessions. */
export interface FuzzClient {
  send(request: FuzzRequest): Promise<FuzzOutcome>;
  /** Sessions that ended while the client still used them (the server closed or broke them). */
  readonly sessionsLost: number;
  close(): Promise<void>;
}

const CHUNK = 256 * 1024;
/** Bodies above this size are "bulk" uploads, sent over BULK_LANES connections (see createFuzzClient). */
const BULK_BYTES = 256 * 1024;
const BULK_LANES = 4;

/**
 * upload sends a large body in chunks, waiting for flow control, and abandons the stream as soon
 * as the server answered (as grpc-go and grpc-js clients do): a server refusing an oversized
 * message stops reading, and a stream left half-sent would hold its unread bytes against the
 * connection's flow-control window for good, stalling every later upload on the connection.
 */
async function upload(stream: http2.ClientHttp2Stream, body: Uint8Array, answered: () => boolean): Promise<void> {
  for (let at = 0; at < body.length; at += CHUNK) {
    if (stream.closed || stream.destroyed) return;
    if (answered()) return void stream.close(http2.constants.NGHTTP2_CANCEL);
    const chunk = body.subarray(at, at + CHUNK);
    const last = at + CHUNK >= body.length;
    const flushed = last ? (stream.end(chunk), true) : stream.write(chunk);
    if (!flushed) await drainedOrClosed(stream);
  }
}

function drainedOrClosed(stream: http2.ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** isGrpc tells a gRPC answer (status in trailers) from a plain HTTP one. */
function isGrpc(contentType: string): boolean {
  return contentType.startsWith("application/grpc");
}

/** Bodies of non-gRPC answers are kept up to this size, for the report. */
const MAX_KEPT_BODY = 64 * 1024;

/**
 * createFuzzClient is a minimal gRPC client on node:http2: it writes whatever bytes it is given
 * (so framing, lengths and flags can be wrong on purpose) and reports the final status exactly as
 * it arrived, without the interpretation a real client library adds. Lost sessions are counted
 * and replaced, so one broken connection does not end the run but is still visible.
 */
export function createFuzzClient(address: string, options: FuzzClientOptions = {}): FuzzClient {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const shared = options.sessions ?? 2;
  // After the shared sessions come the bulk lanes: see send.
  const sessions: (http2.ClientHttp2Session | undefined)[] = new Array(shared + BULK_LANES).fill(undefined);
  let next = 0;
  let lost = 0;
  let closing = false;

  const session = (i: number): http2.ClientHttp2Session => {
    let s = sessions[i];
    if (!s || s.closed || s.destroyed) {
      // Uploads of several megabytes wait in the session's memory for flow control: Node's 10 MB
      // default would make the client itself refuse new streams (ENHANCE_YOUR_CALM).
      const opened = http2.connect(`http://${address}`, { maxSessionMemory: 1024 });
      opened.on("error", () => {}); // counted as lost below
      opened.on("close", () => {
        if (!closing) lost++;
        if (sessions[i] === opened) sessions[i] = undefined;
      });
      sessions[i] = s = opened;
    }
    return s;
  };

  // Large uploads go over connections of their own, one at a time per connection. A node:http2
  // endpoint stops reading its socket while one of its writes is pending, so a node client
  // pushing megabytes while the server writes answers on the same connection can stall both
  // until the deadline. Real gRPC clients read and write at once; these lanes keep this client
  // from causing the very hang the test looks for.
  const lanes = Array.from({ length: BULK_LANES }, () => Promise.resolve() as Promise<unknown>);
  let nextLane = 0;
  function send(request: FuzzRequest): Promise<FuzzOutcome> {
    if (request.body.length <= BULK_BYTES) return sendOn(session(next++ % shared), request);
    const lane = nextLane++ % BULK_LANES;
    const result = lanes[lane]!.then(() => sendOn(session(shared + lane), request));
    lanes[lane] = result;
    return result;
  }

  function sendOn(h2: http2.ClientHttp2Session, request: FuzzRequest): Promise<FuzzOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      let httpStatus: number | undefined;
      let contentType = "";
      let responseBytes = 0;
      const kept: Buffer[] = [];
      let stream: http2.ClientHttp2Stream;
      let uploading = false;
      const finish = (outcome: Omit<FuzzOutcome, "responseBytes" | "messageBytes"> & { messageBytes?: number }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ messageBytes: 0, ...outcome, responseBytes });
        // Answered before the whole upload went out: abandon it (see upload).
        if (uploading && !stream.writableFinished && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      // Streams are reset only when they must be (a hang, an abandoned upload): every reset a
      // client sends counts against node's rapid-reset limit, which ends the whole connection.
      const timer = setTimeout(() => {
        finish({ kind: "timeout", httpStatus });
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      try {
        stream = h2.request({
          ":method": "POST",
          ":path": request.path,
          "content-type": request.contentType ?? "application/grpc",
          te: "trailers",
          ...request.headers,
        });
      } catch (err) {
        clearTimeout(timer);
        resolve({ kind: "reset", error: String(err), responseBytes: 0, messageBytes: 0 });
        return;
      }
      const readStatus = (headers: http2.IncomingHttpHeaders): boolean => {
        const status = headers["grpc-status"];
        if (status === undefined) return false;
        const raw = String(headers["grpc-message"] ?? "");
        let message = raw;
        try {
          message = decodeURIComponent(raw);
        } catch {
          // keep it raw: a badly encoded message is still worth reporting
        }
        finish({ kind: "status", httpStatus, code: Number(status), message, messageBytes: raw.length });
        return true;
      };
      stream.on("response", (headers) => {
        httpStatus = Number(headers[":status"]);
        contentType = String(headers["content-type"] ?? "");
        readStatus(headers);
      });
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => {
        responseBytes += chunk.length;
        if (!isGrpc(contentType) && responseBytes <= MAX_KEPT_BODY) kept.push(chunk);
      });
      stream.on("end", () => {
        if (settled) return;
        if (isGrpc(contentType)) return; // the status comes with the trailers
        const body = Buffer.concat(kept).toString("utf8");
        finish({ kind: "http", httpStatus, message: body.slice(0, 200) });
      });
      stream.on("close", () => {
        if (settled) return;
        const rst = stream.rstCode;
        const noStatus = httpStatus === undefined || rst || isGrpc(contentType);
        finish({ kind: noStatus ? "reset" : "http", httpStatus, error: `stream closed without a status (rst ${rst})` });
      });
      stream.on("error", (err) => finish({ kind: "reset", httpStatus, error: err.message }));
      if (request.body.length <= CHUNK) stream.end(request.body);
      else {
        uploading = true;
        void upload(stream, request.body, () => settled || httpStatus !== undefined);
      }
    });
  }

  return {
    send,
    get sessionsLost() {
      return lost;
    },
    async close() {
      closing = true;
      await Promise.all(sessions.map((s) => s && !s.closed && new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/**
 * frame builds a gRPC length-prefixed message: a flags byte (bit 0 = compressed), a 4-byte
 * big-endian length, the payload. declaredLength may differ from the payload on purpose.
 */
export function frame(payload: Uint8Array, options: { flags?: number; declaredLength?: number } = {}): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(options.flags ?? 0, 0);
  header.writeUInt32BE(options.declaredLength ?? payload.length, 1);
  return Buffer.concat([header, payload]);
}
