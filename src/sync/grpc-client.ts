import * as grpc from "@grpc/grpc-js";
import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { encodeInit } from "../codec/codecs.js";
import type { ConnectorApi } from "./syncer.js";

/** GrpcClientOptions configures createGrpcClient. */
export interface GrpcClientOptions {
  /** HOST:PORT of the connector. */
  address: string;
  /** Defaults to plain text (h2c). */
  credentials?: grpc.ChannelCredentials;
  /** Per-call deadline. */
  deadlineMs?: number;
  channelOptions?: grpc.ChannelOptions;
  /**
   * decoder makes the function reading a method's responses (default protobuf-es's fromBinary).
   * The benchmark brings a faster one, so that its stand-in syncer costs what the Go syncer does.
   */
  decoder?: <Desc extends DescMessage>(desc: Desc) => (bytes: Uint8Array) => MessageShape<Desc>;
}

/** GrpcClient is a ConnectorApi over a real gRPC channel. */
export interface GrpcClient extends ConnectorApi {
  /** connect resolves once the channel is connected, like the Go syncer's blocking dial. */
  connect(timeoutMs?: number): Promise<void>;
  close(): void;
}

/**
 * createGrpcClient talks to a connector with @grpc/grpc-js, a gRPC implementation independent of
 * the server's, over the generated protobuf-es schemas (the sync command reads whole accounts
 * through it). It is the only module that knows grpc-js; the sync command and the tests drive the
 * connector through it.
 */
export function createGrpcClient(options: GrpcClientOptions): GrpcClient {
  // A page can be megabytes: with HTTP/2's default 64 KiB window it would arrive in window-sized
  // round trips, each waiting on the server's event loop. grpc-go, which the Go syncer uses,
  // grows its window to that size by BDP estimation; grpc-js needs it set.
  const channelOptions: grpc.ChannelOptions = { "grpc-node.flow_control_window": 8 * 1024 * 1024, ...options.channelOptions };
  const client = new grpc.Client(options.address, options.credentials ?? grpc.credentials.createInsecure(), channelOptions);
  return {
    call(method, request, signal) {
      return new Promise((resolve, reject) => {
        const deadline = options.deadlineMs ? Date.now() + options.deadlineMs : Infinity;
        // protobuf-es itself: a compiled decoder (500 lines) made `sync -f` only 8% faster, at
        // 10,000 and at 100,000 users, not enough to keep in the product (issue 15).
        const decode = options.decoder ? options.decoder(method.output) : (bytes: Uint8Array) => fromBinary(method.output, bytes);
        const call = client.makeUnaryRequest(
          `/${method.parent.typeName}/${method.name}`,
          (message: typeof request) => {
            const bytes = encodeInit(method.input, message);
            return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          },
          (bytes: Buffer) => decode(bytes),
          request,
          new grpc.Metadata(),
          { deadline },
          (err, response) => {
            signal?.removeEventListener("abort", cancel);
            if (err) {
              err.details = decodeReserved(err.details);
              err.message = decodeReserved(err.message);
              reject(err);
            } else resolve(response!);
          },
        );
        const cancel = () => call.cancel();
        signal?.addEventListener("abort", cancel, { once: true });
      });
    },
    connect: (timeoutMs = 5_000) =>
      new Promise((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()))),
    close: () => client.close(),
  };
}

/**
 * decodeReserved finishes decoding a grpc-message: grpc-js decodes it with decodeURI, which
 * leaves the escapes of reserved characters (":", ",", ";", "/"…) that connect-node, like
 * grpc-go, percent-encodes.
 */
function decodeReserved(text: string): string {
  return text.replace(/%(23|24|26|2B|2C|2F|3A|3B|3D|3F|40)/gi, (escape) => decodeURIComponent(escape));
}
