import { Agent, request, type Dispatcher } from "undici";
import { clientAssertion, type ClientCredentials } from "./client-credentials.js";

/** TokenSourceOptions configures createTokenSource. */
export interface TokenSourceOptions {
  credentials: ClientCredentials;
  /** HOST[:PORT] of the token endpoint (the client id's host, or BATON_C1_API_HOST). */
  host: string;
  /** PEM CA certificates to trust instead of Node's default store (the default store already holds NODE_EXTRA_CA_CERTS). */
  ca?: string[];
  /** onToken sees every access token before anything carries it (the logger scrubs them). */
  onToken?(token: string): void;
  /** onRequested counts token requests by outcome. */
  onRequested?(outcome: TokenOutcome): void;
  /** Timeout of one token request (default 30 s). */
  timeoutMs?: number;
  now?: () => number;
}

/** TokenOutcome is how a token request ended. */
export type TokenOutcome = "issued" | "refused" | "error";

/** TokenSource hands out a valid access token, asking for a new one before the current one expires. */
export interface TokenSource {
  token(): Promise<string>;
  /** invalidate drops the token if it is still the current one (the server said UNAUTHENTICATED). */
  invalidate(token: string): void;
  close(): Promise<void>;
}

/** TokenRefusedError is the token endpoint saying no: wrong or revoked credentials, not worth retrying. */
export class TokenRefusedError extends Error {
  constructor(readonly status: number) {
    super(`ConductorOne refused the client credentials (token endpoint answered HTTP ${status}); check --client-id and --client-secret, or create a new credential in ConductorOne`);
    this.name = "TokenRefusedError";
  }
}

/** TokenRequestError is a token request that got no usable answer (network, TLS, a malformed body). */
export class TokenRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "TokenRequestError";
  }
}

/** RENEW_AHEAD_MS is the most a token is renewed ahead of its expiry; short-lived ones at half their life. */
const RENEW_AHEAD_MS = 60_000;

/**
 * createTokenSource exchanges the client credentials for access tokens at
 * `https://<host>/auth/v1/token` (docs/service-mode.md, "Token exchange"): a form POST with a
 * fresh signed client assertion each time. A token is reused until it is within a minute of its
 * expiry, or past half its lifetime when it lives less than two minutes, so a call never carries
 * one that expires on the way; callers waiting at the same time share one request. Any answer but
 * 200 is a refusal (TokenRefusedError), as in the Go SDK.
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const now = options.now ?? Date.now;
  const dispatcher: Dispatcher = new Agent({ connect: { ...(options.ca ? { ca: options.ca } : {}), rejectUnauthorized: true }, connections: 2 });
  const url = `https://${options.host}/auth/v1/token`;
  let current: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const form = new URLSearchParams({
      client_id: options.credentials.clientId,
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: clientAssertion(options.credentials, new Date(now())),
    });
    // The lifetime counts from the request, not from its answer: on the safe side.
    const sentAt = now();
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: "POST",
        dispatcher,
        headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": "temporalcloud-connector" },
        body: form.toString(),
        headersTimeout: options.timeoutMs ?? 30_000,
        bodyTimeout: options.timeoutMs ?? 30_000,
      });
    } catch (err) {
      options.onRequested?.("error");
      const code = errorCode(err);
      throw new TokenRequestError(`cannot reach ConductorOne's token endpoint at ${options.host}: ${code}`, code);
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      options.onRequested?.("refused");
      throw new TokenRefusedError(response.statusCode);
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = (await response.body.json()) as typeof body;
    } catch {
      options.onRequested?.("error");
      throw new TokenRequestError(`ConductorOne's token endpoint at ${options.host} answered with a body that is not JSON`, "bad_response");
    }
    if (typeof body.access_token !== "string" || body.access_token === "") {
      options.onRequested?.("refused");
      throw new TokenRefusedError(200);
    }
    options.onToken?.(body.access_token);
    options.onRequested?.("issued");
    const lifetimeMs = Math.max(0, Number(body.expires_in) || 0) * 1000;
    current = { token: body.access_token, renewAt: sentAt + lifetimeMs - Math.min(RENEW_AHEAD_MS, lifetimeMs / 2) };
    return body.access_token;
  }

  return {
    token() {
      if (current && now() < current.renewAt) return Promise.resolve(current.token);
      pending ??= fetchToken().finally(() => (pending = undefined));
      return pending;
    },
    invalidate(token) {
      if (current?.token === token) current = undefined;
    },
    close: () => dispatcher.close(),
  };
}

/** errorCode names a failed request's cause (ECONNREFUSED, ENOTFOUND, a TLS verification code…). */
function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && !code.startsWith("UND_ERR_")) return code;
    if (!e.cause) return typeof code === "string" ? code : e.message;
    e = e.cause;
  }
  return e instanceof Error ? e.message : String(e);
}
