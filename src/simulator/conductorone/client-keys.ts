import { generateKeyPairSync, type KeyObject } from "node:crypto";

/** TestClient is a client credential the simulator issued: what an operator copies from ConductorOne, and the public half it checks. */
export interface TestClient {
  clientId: string;
  clientSecret: string;
  publicKey: KeyObject;
}

/**
 * createTestClient makes a client credential in ConductorOne's formats (docs/service-mode.md,
 * "Credentials"): the id `<name>@<host>/pcc` and the secret
 * `secret-token:conductorone.com:v1:<base64url Ed25519 private JWK>`.
 */
export function createTestClient(name: string, host: string): TestClient {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const clientSecret = `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify(jwk)).toString("base64url")}`;
  return { clientId: `${name}@${host}/pcc`, clientSecret, publicKey };
}
