import { readFileSync } from "node:fs";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
  type HealthCheckResponse,
} from "../gen/grpc/health/v1/health_pb.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";

/**
 * runHealthCommand asks a connector's grpc.health.v1.Health/Check for the whole server ("") and
 * exits 0 only when it answers SERVING; NOT_SERVING (e.g. while draining), no answer (nothing
 * listening, a refused TLS handshake) or no answer in --timeout exit 1. One line says which, on
 * stdout for an answer and on stderr for a failure: for exec probes, Docker HEALTHCHECK and people.
 */
export async function runHealthCommand(values: Values): Promise<number> {
  const address = values.address as string;
  if (!/^.+:\d+$/.test(address)) throw new CommandError(`--address must be HOST:PORT, got "${address}"`);
  // grpc-js sends an IP address as the TLS server name, which Node flags as deprecated (DEP0123)
  // on stderr: a probe's output is its one line, so this short-lived process mutes such warnings.
  process.noDeprecation = true;
  const client = new grpc.Client(address, credentialsOf(values), channelOptionsOf(values));
  try {
    const response = await check(client, Date.now() + (values.timeout as number));
    const status = ServingStatus[response.status] ?? String(response.status);
    process.stdout.write(`${status}\n`);
    return response.status === ServingStatus.SERVING ? 0 : 1;
  } catch (err) {
    const { code, details } = err as grpc.ServiceError;
    process.stderr.write(`temporalcloud-connector: health: ${address}: ${grpc.status[code] ?? "error"}: ${details || String(err)}\n`);
    return 1;
  } finally {
    client.close();
  }
}

function check(client: grpc.Client, deadline: number): Promise<HealthCheckResponse> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (request: Uint8Array) => Buffer.from(request),
      (bytes: Buffer) => fromBinary(HealthCheckResponseSchema, bytes),
      toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "" })),
      new grpc.Metadata(),
      { deadline },
      (err, response) => (err ? reject(err) : resolve(response!)),
    );
  });
}

function credentialsOf(values: Values): grpc.ChannelCredentials {
  const [caFile, certFile, keyFile] = [values["tls-ca"], values["tls-client-cert"], values["tls-client-key"]] as (string | undefined)[];
  const tls = values.tls === true || caFile !== undefined || certFile !== undefined || keyFile !== undefined || values["tls-server-name"] !== undefined;
  if (!tls) return grpc.credentials.createInsecure();
  if (Boolean(certFile) !== Boolean(keyFile)) throw new CommandError("--tls-client-cert and --tls-client-key go together");
  const read = (flag: string, file: string | undefined) => {
    if (!file) return null;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CommandError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  };
  return grpc.credentials.createSsl(read("--tls-ca", caFile), read("--tls-client-key", keyFile), read("--tls-client-cert", certFile));
}

function channelOptionsOf(values: Values): grpc.ChannelOptions {
  const serverName = values["tls-server-name"] as string | undefined;
  // One attempt, no reconnection backoff: a probe wants the answer now.
  const options: grpc.ChannelOptions = { "grpc.enable_retries": 0, "grpc.initial_reconnect_backoff_ms": 100 };
  if (serverName) options["grpc.ssl_target_name_override"] = serverName;
  return options;
}
