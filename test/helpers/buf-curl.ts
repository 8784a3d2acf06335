import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** BUF is the buf CLI of the @bufbuild/buf devDependency: a Go gRPC client independent of ours. */
export const BUF = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));

/** BufCurlResult is what one buf curl run printed and how it exited. */
export interface BufCurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * bufCurl runs `buf curl --protocol grpc ...args`. It never throws for a failed call: tests
 * assert on the exit code and output.
 */
export function bufCurl(args: readonly string[]): Promise<BufCurlResult> {
  return new Promise((resolve) => {
    execFile(BUF, ["curl", "--protocol", "grpc", "--connect-timeout", "10", ...args], { timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
