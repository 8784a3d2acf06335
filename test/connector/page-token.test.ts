import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConnectorError, Code } from "../../src/connector/errors.js";
import { decodePageToken, encodePageToken, type PageScope } from "../../src/connector/page-token.js";
import { createTokenSealer, SEAL_GRACE_MS } from "../../src/connector/token-seal.js";

const users: PageScope = { op: "resources", resourceType: "user" };
const nsGrants: PageScope = { op: "grants", resourceType: "namespace", resource: "prod.acme7" };
const sealer = createTokenSealer({ secret: () => "api-key-1" });

function rejection(fn: () => unknown): ConnectorError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error("expected a rejection");
}

/** checksummed makes a token as the connector made them before they were sealed: anyone can. */
function checksummed(cursor: unknown, version: number): string {
  const payload = Buffer.from(JSON.stringify({ v: version, s: "resources\u0000user\u0000", c: cursor })).toString("base64url");
  const sum = createHash("sha256").update("temporalcloud-connector/page-token\n").update(payload).digest("base64url");
  return `${payload}.${sum.slice(0, 16)}`;
}

describe("page tokens", () => {
  it("round-trip any JSON cursor within their scope", () => {
    for (const cursor of ["upstream-token", 42, { phase: 2, token: "abc" }, ["a", null, true]]) {
      expect(decodePageToken(sealer, users, encodePageToken(sealer, users, cursor))).toEqual(cursor);
    }
  });

  it("treat the empty token as the first page", () => {
    expect(decodePageToken(sealer, users, "")).toBeUndefined();
  });

  it("are refused by another list, naming the list they belong to", () => {
    const token = encodePageToken(sealer, nsGrants, "x");
    const err = rejection(() => decodePageToken(sealer, { ...nsGrants, resource: "dev.acme7" }, token));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.message).toContain("grants of namespace prod.acme7");
    expect(rejection(() => decodePageToken(sealer, users, token)).code).toBe(Code.InvalidArgument);
  });

  it("reject tampered, truncated and foreign tokens with INVALID_ARGUMENT", () => {
    const token = encodePageToken(sealer, users, "cursor");
    const tampered = `${token.slice(0, 3)}${token[3] === "A" ? "B" : "A"}${token.slice(4)}`;
    for (const bad of [tampered, token.slice(0, -1), token.slice(5), "not-a-token", ".", "eyJ2IjoxfQ", "a".repeat(5000), `${token.slice(0, -1)}é`]) {
      const err = rejection(() => decodePageToken(sealer, users, bad));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.message).toMatch(/start the list again without a page_token/);
    }
  });

  it("reject a forged token with a correct checksum: only the connector's seal opens a token", () => {
    for (const version of [1, 2]) {
      const err = rejection(() => decodePageToken(sealer, users, checksummed("attacker-chosen-upstream-token", version)));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.message).toContain("was not issued by this connector");
    }
  });

  it("open on another replica (a sealer with the same key), not with another key", () => {
    const token = encodePageToken(sealer, users, "cursor");
    expect(decodePageToken(createTokenSealer({ secret: () => "api-key-1" }), users, token)).toBe("cursor");
    expect(rejection(() => decodePageToken(createTokenSealer({ secret: () => "api-key-2" }), users, token)).message).toContain("sealed with an API key it no longer holds");
  });
});

describe("the token sealer across an API key rotation", () => {
  it(`accepts the previous key's seals for ${SEAL_GRACE_MS / 3_600_000} hours after this process saw the rotation, and seals with the new key at once`, () => {
    let key = "api-key-1";
    let now = 0;
    const rotating = createTokenSealer({ secret: () => key, now: () => now });
    const before = encodePageToken(rotating, users, "before");
    key = "api-key-2";
    now = 1000;
    const after = encodePageToken(rotating, users, "after");
    expect(decodePageToken(createTokenSealer({ secret: () => "api-key-2" }), users, after)).toBe("after");
    now = 1000 + SEAL_GRACE_MS - 1;
    expect(decodePageToken(rotating, users, before)).toBe("before");
    now = 1000 + SEAL_GRACE_MS;
    expect(rejection(() => decodePageToken(rotating, users, before)).code).toBe(Code.InvalidArgument);
    expect(decodePageToken(rotating, users, after)).toBe("after");
    // A process that started after the rotation never knew the old key.
    expect(rejection(() => decodePageToken(createTokenSealer({ secret: () => "api-key-2" }), users, before)).code).toBe(Code.InvalidArgument);
  });

  it("never puts the secret, or anything that reveals it, into a token", () => {
    const secret = "tmprl_secret_api_key_value";
    const token = encodePageToken(createTokenSealer({ secret: () => secret }), users, "x");
    expect(token).not.toContain(secret);
    expect(Buffer.from(token.split(".")[0]!, "base64url").toString()).not.toContain(secret);
  });
});
