import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { clientAssertion, CredentialsError, hostWithoutPort, parseClientCredentials } from "../../src/service/client-credentials.js";
import { grpcAddressOf } from "../../src/cli/service-mode.js";
import { createTestClient } from "../../src/simulator/conductorone/index.js";

const secretOf = (jwk: object) => `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify(jwk)).toString("base64url")}`;
const { privateKey } = generateKeyPairSync("ed25519");
const JWK = privateKey.export({ format: "jwk" });
const SECRET = secretOf(JWK);
const ID = "acme@acme.conductor.one/pcc";

/** refusal is the error parseClientCredentials throws, as the flag it names and its message. */
function refusal(id: string, secret: string): { flag: string; message: string } {
  try {
    parseClientCredentials(id, secret);
  } catch (err) {
    if (err instanceof CredentialsError) return { flag: err.flag, message: err.message };
    throw err;
  }
  throw new Error("accepted");
}

describe("client credentials", () => {
  it("reads an id and secret in ConductorOne's formats", () => {
    const c = parseClientCredentials(ID, `${SECRET}\n`);
    expect(c).toMatchObject({ clientId: ID, clientName: "acme", host: "acme.conductor.one", keyId: undefined });
    expect(createPublicKey(c.key).export({ format: "jwk" }).x).toBe(JWK.x);
    expect(c.secrets).toEqual(expect.arrayContaining([SECRET, JWK.d]));
    expect(parseClientCredentials("x@127.0.0.1:8443/a/b", SECRET).host).toBe("127.0.0.1:8443");
  });

  it("refuses each malformed id or secret naming the flag, never repeating the secret", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
    const other = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
    const cases: [string, string, string, RegExp][] = [
      ["acme.conductor.one/pcc", SECRET, "--client-id", /must look like <name>@<host>\/<path>/],
      ["acme@acme.conductor.one", SECRET, "--client-id", /must look like/],
      ["acme@/pcc", SECRET, "--client-id", /names no host/],
      [ID, "not-a-secret", "--client-secret", /is not a ConductorOne client secret: expected secret-token:/],
      [ID, SECRET.replace(":v1:", ":v2:"), "--client-secret", /is not a ConductorOne client secret/],
      [ID, `${SECRET}=`, "--client-secret", /not unpadded base64url/],
      [ID, `secret-token:conductorone.com:v1:${Buffer.from("{nope").toString("base64url")}`, "--client-secret", /not a JSON Web Key/],
      [ID, secretOf(publicKey.export({ format: "jwk" })), "--client-secret", /holds only a public key/],
      [ID, secretOf(ec), "--client-secret", /holds a key of type EC P-256; ConductorOne client secrets hold an Ed25519 private key/],
      [ID, secretOf({ ...JWK, x: other.x }), "--client-secret", /public half does not match/],
      [ID, secretOf({ ...JWK, d: "AAAA" }), "--client-secret", /cannot be read/],
    ];
    for (const [id, secret, flag, message] of cases) {
      const got = refusal(id, secret);
      expect(got.flag, `${id} ${secret.slice(0, 50)}`).toBe(flag);
      expect(got.message).toMatch(message);
      expect(got.message.startsWith(flag)).toBe(true);
      for (const leak of [secret.split(":")[3] ?? secret, JWK.d!]) if (leak.length >= 8) expect(got.message).not.toContain(leak);
    }
  });

  it("signs an assertion the public half verifies, with the claims the token endpoint checks", () => {
    const test = createTestClient("conn", "c1.example.test:8443");
    const c = parseClientCredentials(test.clientId, test.clientSecret);
    const now = new Date("2026-12-04T10:00:00Z");
    const jws = clientAssertion(c, now);
    const [header, claims, signature] = jws.split(".") as [string, string, string];
    expect(verify(null, Buffer.from(`${header}.${claims}`), test.publicKey, Buffer.from(signature, "base64url"))).toBe(true);
    const h = JSON.parse(Buffer.from(header, "base64url").toString()) as Record<string, unknown>;
    expect(h).toEqual({ alg: "EdDSA", nonce: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const t = Math.floor(now.getTime() / 1000);
    expect(JSON.parse(Buffer.from(claims, "base64url").toString())).toEqual({ iss: test.clientId, sub: test.clientId, aud: "c1.example.test", iat: t, nbf: t - 120, exp: t + 120 });
    // A fresh nonce every time.
    expect(clientAssertion(c, now).split(".")[0]).not.toBe(header);
  });

  it("puts the key's kid in the header when the JWK has one", () => {
    const c = parseClientCredentials(ID, secretOf({ ...JWK, kid: "key-1" }));
    const header = JSON.parse(Buffer.from(clientAssertion(c, new Date()).split(".")[0]!, "base64url").toString()) as Record<string, unknown>;
    expect(header.kid).toBe("key-1");
  });

  it("dials ConductorOne's host on 443 unless it names a port", () => {
    expect(["acme.conductor.one", "127.0.0.1:8443", "[::1]:8443", "[::1]", "::1"].map(grpcAddressOf)).toEqual(["acme.conductor.one:443", "127.0.0.1:8443", "[::1]:8443", "[::1]:443", "[::1]:443"]);
  });

  it("takes the port off the audience, IPv6 included", () => {
    expect([hostWithoutPort("a.b:443"), hostWithoutPort("a.b"), hostWithoutPort("[::1]:8443"), hostWithoutPort("127.0.0.1:1")]).toEqual(["a.b", "a.b", "::1", "127.0.0.1"]);
  });
});
