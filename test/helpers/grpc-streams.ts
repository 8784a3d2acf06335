import { create, fromBinary, toBinary, type DescMessage, type DescMethodBiDiStreaming, type DescMethodServerStreaming, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/**
 * MessageQueue hands out a stream's messages in order; next() waits for the next one and
 * rejects if the stream ended (with its status) before it came.
 */
export interface MessageQueue<T> {
  next(): Promise<T>;
  /** ended settles with the final status: code OK for a clean end, the error's code otherwise. */
  readonly ended: Promise<grpc.StatusObject>;
}

/** ServerStream is an open server-streaming call. */
export interface ServerStream<T> extends MessageQueue<T> {
  cancel(): void;
}

/** BidiStream is an open bidirectional call. */
export interface BidiStream<I, T> extends MessageQueue<T> {
  send(message: I): void;
  /** end half-closes: the client sends no more. */
  end(): void;
  cancel(): void;
}

/**
 * openServerStream starts a server-streaming call with grpc-js (the sync client only needs unary
 * calls, so createGrpcClient has none), encoding with the generated protobuf-es schemas.
 */
export function openServerStream<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: DescMethodServerStreaming<I, O>,
  request: MessageInitShape<I>,
  options: grpc.CallOptions = {},
): ServerStream<MessageShape<O>> {
  const call = client.makeServerStreamRequest(path(method), serializer(method.input), deserializer(method.output), request, new grpc.Metadata(), options);
  return { ...queue<MessageShape<O>>(call), cancel: () => call.cancel() };
}

/** openBidiStream starts a bidirectional call with grpc-js. */
export function openBidiStream<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: DescMethodBiDiStreaming<I, O>,
  options: grpc.CallOptions = {},
): BidiStream<MessageInitShape<I>, MessageShape<O>> {
  const call = client.makeBidiStreamRequest(path(method), serializer(method.input), deserializer(method.output), new grpc.Metadata(), options);
  return {
    ...queue<MessageShape<O>>(call),
    send: (message) => void call.write(message),
    end: () => call.end(),
    cancel: () => call.cancel(),
  };
}

function path(method: { parent: { typeName: string }; name: string }): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function serializer<I extends DescMessage>(schema: I) {
  return (message: MessageInitShape<I>) => Buffer.from(toBinary(schema, create(schema, message)));
}

function deserializer<O extends DescMessage>(schema: O) {
  return (bytes: Buffer) => fromBinary(schema, bytes);
}

/** queue buffers a grpc-js readable call's messages and its final status. */
function queue<T>(call: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>): MessageQueue<T> {
  const messages: T[] = [];
  const waiters: { resolve(value: T): void; reject(err: unknown): void }[] = [];
  let final: grpc.StatusObject | undefined;
  const ended = new Promise<grpc.StatusObject>((resolve) => {
    call.on("status", (status: grpc.StatusObject) => {
      final = status;
      resolve(status);
      for (const waiter of waiters.splice(0)) waiter.reject(endedError(status));
    });
  });
  call.on("data", (message: T) => {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(message);
    else messages.push(message);
  });
  call.on("error", () => {}); // the status event carries the same information
  return {
    ended,
    next() {
      if (messages.length > 0) return Promise.resolve(messages.shift()!);
      if (final) return Promise.reject(endedError(final));
      return new Promise<T>((resolve, reject) => waiters.push({ resolve, reject }));
    },
  };
}

function endedError(status: grpc.StatusObject): Error {
  return Object.assign(new Error(`stream ended: ${grpc.status[status.code]} ${status.details}`), { code: status.code });
}
