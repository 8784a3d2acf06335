import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from "node:crypto";

/**
 * ClientCredentials is what a ConductorOne client id and secret hold (docs/service-mode.md,
 * "Credentials"): whom the connector says it is, where it asks for tokens, and the Ed25519 key
 * that proves it.
 */
export interface ClientCredentials {
  /** The whole client id, `<name>@<host>/<path>`: the assertion's iss and sub. */
  readonly clientId: string;
  /** The part before `@`, which names the connector in the user agent. */
  readonly clientName: string;
  /** The host (and port, if any) between `@` and the first `/`: where tokens and tasks come from. */
  readonly host: string;
  /** The JWK's kid, if it has one (the assertion's header carries it). */
  readonly keyId: string | undefined;
  /** The private key (never exported again). */
  readonly key: KeyObject;
  /** Every form of the secret that could show up in a log line, for the logger to scrub. */
  readonly secrets: readonly string[];
}

/** CredentialsError is a client id or secret that cannot be used; the message names the flag, never the secret. */
export class CredentialsError extends Error {
  constructor(
    readonly flag: "--client-id" | "--client-secret",
    message: string,
  ) {
    super(`${flag} ${message}`);
    this.name = "CredentialsError";
  }
}

const SECRET_FORMAT = "secret-token:<issuer>:v1:<base64url JWK>, as ConductorOne shows it once when the credential is created";

/**
 * parseClientCredentials checks a client id and secret the way the Go SDK reads them
 * (pkg/ugrpc's client id parser, pkg/crypto's client secret parser; docs/service-mode.md): the id
 * is `<name>@<host>/<path>`; the secret is four `:`-separated parts, the third `v1`, the fourth an
 * unpadded base64url Ed25519 private JWK. The errors say which flag is wrong and how, and never
 * repeat the secret.
 */
export function parseClientCredentials(clientId: string, clientSecret: string): ClientCredentials {
  const at = clientId.indexOf("@");
  const slash = clientId.indexOf("/", at + 1);
  if (at < 0 || slash < 0) throw new CredentialsError("--client-id", `must look like <name>@<host>/<path> (e.g. acme@acme.conductor.one/pcc), as ConductorOne shows it; got "${clientId.slice(0, 200)}"`);
  const host = clientId.slice(at + 1, slash);
  if (host === "") throw new CredentialsError("--client-id", `names no host between "@" and "/"; expected <name>@<host>/<path>`);

  const parts = splitN(clientSecret.trim(), ":", 4);
  if (parts.length !== 4 || parts[2] !== "v1") throw new CredentialsError("--client-secret", `is not a ConductorOne client secret: expected ${SECRET_FORMAT}`);
  const encoded = parts[3]!;
  if (!/^[A-Za-z0-9_-]+$/.test(encoded) || encoded.length % 4 === 1) throw new CredentialsError("--client-secret", "is not a ConductorOne client secret: its key is not unpadded base64url");
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as Record<string, unknown>;
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) throw new Error("not an object");
  } catch {
    throw new CredentialsError("--client-secret", "is not a ConductorOne client secret: its key is not a JSON Web Key");
  }
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") {
    throw new CredentialsError("--client-secret", `holds a key of type ${describeKey(jwk)}; ConductorOne client secrets hold an Ed25519 private key`);
  }
  if (typeof jwk.d !== "string") throw new CredentialsError("--client-secret", "holds only a public key; ConductorOne client secrets hold the Ed25519 private key");
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: jwk.d, x: typeof jwk.x === "string" ? jwk.x : "" }, format: "jwk" });
  } catch {
    throw new CredentialsError("--client-secret", "holds an Ed25519 key that cannot be read (a private half of 32 bytes and its public half are needed)");
  }
  // The public half travels in the JWK too; one that does not belong to the private half would
  // only show up as a refused token, far from the cause.
  const x = createPublicKey(key).export({ format: "jwk" }).x;
  if (x !== jwk.x) throw new CredentialsError("--client-secret", "holds an Ed25519 key whose public half does not match its private half");
  return {
    clientId,
    clientName: clientId.slice(0, at),
    host,
    keyId: typeof jwk.kid === "string" && jwk.kid !== "" ? jwk.kid : undefined,
    key,
    secrets: [clientSecret.trim(), encoded, jwk.d],
  };
}

/** describeKey names a JWK's kind for an error message (kty and crv are public parameters). */
function describeKey(jwk: Record<string, unknown>): string {
  const kind = [jwk.kty, jwk.crv].filter((v): v is string => typeof v === "string").map((v) => v.slice(0, 16));
  return kind.length > 0 ? kind.join(" ") : "JWK without a kty";
}

/** splitN splits like Go's strings.SplitN: at most n parts, the last one keeping the rest. */
function splitN(text: string, separator: string, n: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (parts.length < n - 1) {
    const i = rest.indexOf(separator);
    if (i < 0) break;
    parts.push(rest.slice(0, i));
    rest = rest.slice(i + separator.length);
  }
  parts.push(rest);
  return parts;
}

/** ASSERTION_SKEW_SECONDS is how far nbf and exp sit from now, as the Go SDK sets them. */
const ASSERTION_SKEW_SECONDS = 120;

/**
 * clientAssertion is the signed JWT (compact JWS, alg EdDSA) that asks ConductorOne's token
 * endpoint for an access token (RFC 7523 client authentication; docs/service-mode.md, "Token
 * exchange"). A small builder of our own, not a library: the JWS has one fixed algorithm and five
 * claims, and node:crypto signs Ed25519 directly. The header carries a random 128-bit nonce (and
 * the key's kid when it has one); iss and sub are the client id, aud the host without its port,
 * nbf and exp two minutes either side of iat.
 */
export function clientAssertion(credentials: ClientCredentials, now: Date): string {
  const header = { alg: "EdDSA", ...(credentials.keyId ? { kid: credentials.keyId } : {}), nonce: randomBytes(16).toString("hex") };
  const iat = Math.floor(now.getTime() / 1000);
  const claims = {
    iss: credentials.clientId,
    sub: credentials.clientId,
    aud: hostWithoutPort(credentials.host),
    exp: iat + ASSERTION_SKEW_SECONDS,
    nbf: iat - ASSERTION_SKEW_SECONDS,
    iat,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign(null, Buffer.from(signingInput), credentials.key);
  return `${signingInput}.${signature.toString("base64url")}`;
}

/** hostWithoutPort drops a `:port` (and IPv6 brackets): the token audience never has one. */
export function hostWithoutPort(host: string): string {
  const bracketed = /^\[(.*)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  const m = /^([^:]*):\d+$/.exec(host);
  return m ? m[1]! : host;
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}
