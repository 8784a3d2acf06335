import * as http2 from "node:http2";

/**
 * connectH2 opens a raw HTTP/2 session (prior knowledge, h2c) and resolves once the server's
 * SETTINGS frame arrived, so remoteSettings holds what the server advertises.
 */
export async function connectH2(address: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`http://${address}`);
  await new Promise<void>((resolve, reject) => {
    session.once("remoteSettings", () => resolve());
    session.once("error", reject);
  });
  return session;
}

/** RawGrpcResponse is the gRPC status of a raw call. */
export interface RawGrpcResponse {
  httpStatus: number | undefined;
  /** grpc-status, from the trailers (or the headers of a trailers-only response). */
  grpcStatus: number | undefined;
  grpcMessage: string | undefined;
}

/**
 * rawGrpcCall posts hand-made gRPC frames on a session: it writes `body` and leaves the stream
 * open unless `end`, so a test can declare a message it never sends. It resolves when the
 * server answers with a final status (grpcStatus undefined if the stream closed without one).
 */
export function rawGrpcCall(session: http2.ClientHttp2Session, path: string, body: Uint8Array, end = true): Promise<RawGrpcResponse> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    let httpStatus: number | undefined;
    // Resolve on the status itself, not on "close": when the client has not finished sending,
    // the stream stays half-open after the server's final frame.
    const read = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] === undefined) return;
      resolve({ httpStatus, grpcStatus: Number(headers["grpc-status"]), grpcMessage: decodeURIComponent(String(headers["grpc-message"] ?? "")) });
      stream.close();
    };
    stream.on("response", (headers) => {
      httpStatus = Number(headers[":status"]);
      read(headers);
    });
    stream.on("trailers", read);
    stream.on("data", () => {});
    stream.on("close", () => resolve({ httpStatus, grpcStatus: undefined, grpcMessage: undefined }));
    stream.on("error", reject);
    stream.write(body);
    if (end) stream.end();
  });
}

/** envelope frames a gRPC message: flags byte, 4-byte big-endian length, payload. */
export function envelope(payload: Uint8Array, declaredLength = payload.length): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([header, payload]);
}
