import { createDemoAccount, DEMO_API_KEY } from "../../../src/simulator/temporal/demo-account.js";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../../src/simulator/temporal/simulator.js";

/** Reply is a decoded simulator response. */
export interface Reply {
  status: number;
  headers: Headers;
  /** Parsed JSON body (undefined when the body is not JSON); `any` keeps assertions readable. */
  body: any;
  text: string;
}

/** Api is a tiny HTTP client for the simulator, authenticating with `key` unless told otherwise. */
export interface Api {
  get(path: string, options?: RequestOptions): Promise<Reply>;
  post(path: string, body: unknown, options?: RequestOptions): Promise<Reply>;
  delete(path: string, options?: RequestOptions): Promise<Reply>;
  /** as returns an Api that authenticates with another bearer secret. */
  as(key: string | undefined): Api;
}

/** RequestOptions tweaks one request. */
export interface RequestOptions {
  headers?: Record<string, string>;
}

/** createApi returns an Api for the simulator at `url`. */
export function createApi(url: string, key: string | undefined): Api {
  const call = async (method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  return {
    get: (path, options) => call("GET", path, undefined, options),
    post: (path, body, options) => call("POST", path, body, options),
    delete: (path, options) => call("DELETE", path, undefined, options),
    as: (other) => createApi(url, other),
  };
}

/** startDemo starts a simulator on the demo account and returns it with an admin Api. */
export async function startDemo(options: Partial<SimulatorOptions> = {}): Promise<{ sim: Simulator; api: Api }> {
  const sim = await startSimulator({ account: createDemoAccount(), ...options });
  return { sim, api: createApi(sim.url, DEMO_API_KEY) };
}

/** waitForOperation polls an async operation until it is terminal and returns it. */
export async function waitForOperation(api: Api, id: string, timeoutMs = 2000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await api.get(`/cloud/operations/${id}`);
    const op = reply.body.asyncOperation as Record<string, unknown>;
    if (!["STATE_PENDING", "STATE_IN_PROGRESS"].includes(op.state as string)) return op;
    if (Date.now() > deadline) throw new Error(`operation ${id} still ${String(op.state)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
