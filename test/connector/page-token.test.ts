import { describe, expect, it } from "vitest";
import { ConnectorError, Code } from "../../src/connector/errors.js";
import { decodePageToken, encodePageToken, type PageScope } from "../../src/connector/page-token.js";

const users: PageScope = { op: "resources", resourceType: "user" };
const nsGrants: PageScope = { op: "grants", resourceType: "namespace", resource: "prod.acme7" };

function rejection(fn: () => unknown): ConnectorError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error("expected a rejection");
}

describe("page tokens", () => {
  it("round-trip any JSON cursor within their scope", () => {
    for (const cursor of ["upstream-token", 42, { phase: 2, token: "abc" }, ["a", null, true]]) {
      expect(decodePageToken(users, encodePageToken(users, cursor))).toEqual(cursor);
    }
  });

  it("treat the empty token as the first page", () => {
    expect(decodePageToken(users, "")).toBeUndefined();
  });

  it("are refused by another list, naming the list they belong to", () => {
    const token = encodePageToken(nsGrants, "x");
    const err = rejection(() => decodePageToken({ ...nsGrants, resource: "dev.acme7" }, token));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.message).toContain("grants of namespace prod.acme7");
    expect(rejection(() => decodePageToken(users, token)).code).toBe(Code.InvalidArgument);
  });

  it("reject tampered, truncated and foreign tokens with INVALID_ARGUMENT", () => {
    const token = encodePageToken(users, "cursor");
    const tampered = `${token.slice(0, 3)}${token[3] === "A" ? "B" : "A"}${token.slice(4)}`;
    for (const bad of [tampered, token.slice(0, -1), token.slice(5), "not-a-token", ".", "eyJ2IjoxfQ", "a".repeat(5000)]) {
      const err = rejection(() => decodePageToken(users, bad));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.message).toMatch(/start the list again without a page_token/);
    }
  });
});
