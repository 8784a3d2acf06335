import { randomBytes, sign } from "node:crypto";
import { rootCertificates } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import { parseClientCredentials, type ClientCredentials } from "../../../src/service/client-credentials.js";
import { createTokenSource, TokenRefusedError } from "../../../src/service/token-source.js";
import { createTestClient, startConductorOneSimulator, type ConductorOneSimulator } from "../../../src/simulator/conductorone/index.js";

/**
 * The simulator's token endpoint checks a client assertion as ConductorOne's is expected to
 * (docs/service-mode.md, "Token exchange"): our token source gets a token, and each assertion
 * that breaks one rule is refused with 401 and the reason.
 */
describe("ConductorOne simulator: token endpoint", () => {
  let c1: ConductorOneSimulator;
  let credentials: ClientCredentials;
  let agent: Agent;
  beforeAll(async () => {
    c1 = await startConductorOneSimulator();
    credentials = parseClientCredentials(c1.client.clientId, c1.client.clientSecret);
    agent = new Agent({ connect: { ca: [...rootCertificates, c1.caPem] } });
  });
  afterAll(async () => {
    await agent.close();
    await c1.close();
  });

  /** assertion signs a JWS with `claims` (merged over valid ones) and `header`, with `key` (the client's by default). */
  function assertion(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = credentials.key): string {
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const input = `${part({ alg: "EdDSA", nonce: randomBytes(16).toString("hex"), ...header })}.${part({ iss: credentials.clientId, sub: credentials.clientId, aud: "127.0.0.1", iat: now, nbf: now - 120, exp: now + 120, ...claims })}`;
    return `${input}.${sign(null, Buffer.from(input), key).toString("base64url")}`;
  }
  async function post(fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = { client_id: credentials.clientId, grant_type: "client_credentials", client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", ...fields };
    const res = await request(`https://${c1.address}/auth/v1/token`, { method: "POST", dispatcher: agent, headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form).toString() });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  it("issues a token for a good assertion, with the configured lifetime", async () => {
    c1.settings.tokenLifetimeSeconds = 42;
    const good = await post({ client_assertion: assertion() });
    expect(good).toEqual({ status: 200, body: { access_token: expect.any(String), token_type: "Bearer", expires_in: 42 } });
    const tokens = createTokenSource({ credentials, host: c1.address, ca: [...rootCertificates, c1.caPem] });
    expect(c1.issuedTokens).toContain(await tokens.token());
    await tokens.close();
  });

  it("refuses an assertion that breaks any rule, saying which", async () => {
    const nonce = randomBytes(16).toString("hex");
    expect((await post({ client_assertion: assertion({}, { nonce }) })).status).toBe(200);
    const other = parseClientCredentials(c1.client.clientId, createTestClient("x", c1.address).clientSecret).key;
    const cases: [Record<string, string>, string][] = [
      [{ client_assertion: assertion({}, { nonce }) }, "missing or reused nonce"],
      [{ client_assertion: assertion({ aud: "127.0.0.1:1" }) }, "aud must be 127.0.0.1"],
      [{ client_assertion: assertion({ exp: Math.floor(Date.now() / 1000) - 1 }) }, "expired assertion"],
      [{ client_assertion: assertion({ nbf: Math.floor(Date.now() / 1000) + 60 }) }, "assertion not valid yet"],
      [{ client_assertion: assertion({ iss: "someone@else/x" }) }, "iss and sub must be the client id"],
      [{ client_assertion: assertion({}, { alg: "none" }) }, "the assertion must be signed with EdDSA"],
      [{ client_assertion: assertion({}, {}, other) }, "bad signature"],
      [{ client_assertion: "a.b" }, "the assertion is not a compact JWS"],
      [{ client_assertion: assertion(), client_id: "nobody@127.0.0.1/pcc" }, "unknown client"],
      [{ client_assertion: assertion(), grant_type: "password" }, "grant_type must be client_credentials"],
    ];
    for (const [fields, reason] of cases) {
      expect(await post(fields), reason).toEqual({ status: 401, body: { error: "invalid_client", error_description: reason } });
    }
  });

  it("refuses every request of a revoked credential; the token source reports a refusal", async () => {
    c1.settings.refuseTokens = true;
    const tokens = createTokenSource({ credentials, host: c1.address, ca: [...rootCertificates, c1.caPem] });
    await expect(tokens.token()).rejects.toBeInstanceOf(TokenRefusedError);
    await tokens.close();
    c1.settings.refuseTokens = false;
  });
});
