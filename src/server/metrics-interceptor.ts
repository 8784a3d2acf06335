import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * CallObserver is told how each gRPC call ended, for metrics. Every value is bounded: only
 * registered methods reach interceptors, and the code is a gRPC code name ("OK", "NotFound", …).
 */
export interface CallObserver {
  callEnded(call: { service: string; method: string; type: CallType; code: string; seconds: number }): void;
}

/** CallType is a method's kind as grpc-prometheus names it. */
export type CallType = "unary" | "client_stream" | "server_stream" | "bidi_stream";

const CALL_TYPES: Record<string, CallType> = {
  unary: "unary",
  client_streaming: "client_stream",
  server_streaming: "server_stream",
  bidi_streaming: "bidi_stream",
};

/**
 * metricsInterceptor reports every call to an observer once it has ended: a unary call when its
 * response or error is ready, a call that streams its response (health Watch, GetAsset,
 * reflection) when that stream ends. It goes
 * first in the chain, so it sees the code the caller receives.
 */
export function metricsInterceptor(observer: CallObserver): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const type = CALL_TYPES[req.method.methodKind] ?? "unary";
    const ended = (code: Code | "OK") =>
      observer.callEnded({
        service: req.service.typeName,
        method: req.method.name,
        type,
        code: code === "OK" ? code : Code[code],
        seconds: (performance.now() - started) / 1000,
      });
    let res;
    try {
      res = await next(req);
    } catch (err) {
      ended(ConnectError.from(err).code);
      throw err;
    }
    if (!res.stream) {
      ended("OK");
      return res;
    }
    return { ...res, message: observed(res.message, ended) };
  };
}

async function* observed<T>(messages: AsyncIterable<T>, ended: (code: Code | "OK") => void): AsyncGenerator<T> {
  let code: Code | "OK" = Code.Canceled; // unless the stream ends or fails on its own, the caller left
  try {
    yield* messages;
    code = "OK";
  } catch (err) {
    code = ConnectError.from(err).code;
    throw err;
  } finally {
    ended(code);
  }
}
