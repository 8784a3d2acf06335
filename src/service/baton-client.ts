import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { BatonService, BatonServiceUploadAssetRequestSchema, type BatonServiceUploadAssetResponse } from "../gen/c1/connectorapi/baton/v1/baton_pb.js";
import type { TokenSource } from "./token-source.js";

/** BatonClientOptions configures createBatonClient. */
export interface BatonClientOptions {
  /** HOST:PORT of ConductorOne's gRPC endpoint. */
  address: string;
  tokens: TokenSource;
  /** PEM CA certificates to trust instead of Node's default store (which holds NODE_EXTRA_CA_CERTS). */
  ca?: string[];
  /** The connector's name, sent in the user agent as the Go SDK does ("<client name> baton-sdk/…"). */
  userAgent: string;
  /** Deadline of a unary call (default 60 s). */
  deadlineMs?: number;
  /** Deadline of one upload (default 30 min). */
  uploadDeadlineMs?: number;
}

/** UploadMessage is one message of an UploadAsset stream. */
export type UploadMessage = MessageInitShape<typeof BatonServiceUploadAssetRequestSchema>;

/** BatonUnaryMethod is a unary method of BatonService. */
type BatonUnaryMethod = (typeof BatonService.method)[Exclude<keyof typeof BatonService.method, "uploadAsset">];

/** BatonClient calls ConductorOne's BatonService with an access token on every call. */
export interface BatonClient {
  call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O> & BatonUnaryMethod, request: MessageInitShape<I>, signal?: AbortSignal): Promise<MessageShape<O>>;
  /**
   * uploadAsset streams the messages of one upload (metadata, data…, eof) and waits for the
   * answer; `messages` is called again if the upload has to start over with a new token.
   */
  uploadAsset(messages: () => AsyncIterable<UploadMessage>, signal?: AbortSignal): Promise<BatonServiceUploadAssetResponse>;
  close(): void;
}

/**
 * createBatonClient dials ConductorOne over TLS with grpc-js (one channel, reconnecting as
 * needed) and sends `authorization: Bearer <token>` with each call. A call refused as
 * UNAUTHENTICATED with a token that was not fresh (revoked, or expired early) drops it and is
 * sent once more with a new one.
 */
export function createBatonClient(options: BatonClientOptions): BatonClient {
  const credentials = grpc.credentials.createSsl(options.ca ? Buffer.from(options.ca.join("\n")) : null);
  const client = new grpc.Client(options.address, credentials, {
    "grpc.primary_user_agent": options.userAgent,
    // Uploads are streamed 512 KiB at a time; keep a few in flight.
    "grpc-node.flow_control_window": 4 * 1024 * 1024,
    "grpc.keepalive_time_ms": 60_000,
  });
  const deadline = (ms: number) => Date.now() + ms;

  async function withToken<T>(send: (metadata: grpc.Metadata) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await options.tokens.token();
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${token}`);
      try {
        return await send(metadata);
      } catch (err) {
        if (attempt === 0 && (err as grpc.ServiceError).code === grpc.status.UNAUTHENTICATED) {
          options.tokens.invalidate(token);
          continue;
        }
        throw err;
      }
    }
  }

  return {
    call(method, request, signal) {
      const path = `/${BatonService.typeName}/${method.name}`;
      return withToken(
        (metadata) =>
          new Promise((resolve, reject) => {
            const call = client.makeUnaryRequest(
              path,
              (message: typeof request) => asBuffer(toBinary(method.input, create(method.input, message))),
              (bytes: Buffer) => fromBinary(method.output, bytes),
              request,
              metadata,
              { deadline: deadline(options.deadlineMs ?? 60_000) },
              (err, response) => {
                signal?.removeEventListener("abort", cancel);
                if (err) reject(err);
                else resolve(response!);
              },
            );
            const cancel = () => call.cancel();
            if (signal?.aborted) call.cancel();
            else signal?.addEventListener("abort", cancel, { once: true });
          }),
      );
    },
    uploadAsset(messages, signal) {
      const method = BatonService.method.uploadAsset;
      return withToken(
        (metadata) =>
          new Promise((resolve, reject) => {
            let settle!: () => void;
            const settled = new Promise<void>((resolve) => (settle = resolve));
            const stream = client.makeClientStreamRequest(
              `/${BatonService.typeName}/${method.name}`,
              (message: UploadMessage) => asBuffer(toBinary(method.input, create(method.input, message))),
              (bytes: Buffer) => fromBinary(method.output, bytes),
              metadata,
              { deadline: deadline(options.uploadDeadlineMs ?? 30 * 60_000) },
              (err, response) => {
                settle();
                signal?.removeEventListener("abort", cancel);
                if (err) reject(err);
                else resolve(response!);
              },
            );
            const cancel = () => stream.cancel();
            if (signal?.aborted) stream.cancel();
            else signal?.addEventListener("abort", cancel, { once: true });
            void (async () => {
              let done = false;
              void settled.then(() => (done = true));
              try {
                for await (const message of messages()) {
                  if (done) break; // the server answered early (an error): stop reading the file
                  // One message at a time: the next chunk is read once this one was handed to
                  // HTTP/2, whose flow control then paces the file (memory stays a chunk or two).
                  await Promise.race([new Promise<void>((written) => stream.write(message, () => written())), settled]);
                }
                if (!done) stream.end();
              } catch (err) {
                stream.cancel();
                reject(err);
              }
            })();
          }),
      );
    },
    close: () => client.close(),
  };
}

/** asBuffer views encoded bytes as a Buffer without copying them (Buffer.from(Uint8Array) copies). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
