import { status, type ServiceError } from "@grpc/grpc-js";
import { expect } from "vitest";

/** grpcError awaits a call that must fail and returns its gRPC error. */
export async function grpcError(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    expect(err).toHaveProperty("code");
    return err as ServiceError;
  }
  throw new Error("expected the call to fail");
}

/** expectCode asserts a call fails with the given gRPC status code and returns its message. */
export async function expectCode(call: Promise<unknown>, code: status): Promise<string> {
  const err = await grpcError(call);
  expect(status[err.code], `${err.details}`).toBe(status[code]);
  return err.details;
}
