import { describe, expect, it } from "vitest";
import { createTemporalClient, pathSegment } from "../../src/temporal/client.js";
import { TemporalApiError } from "../../src/temporal/errors.js";
import type { ApiRequest, Transport } from "../../src/temporal/transport.js";

/** recordingTransport answers nothing and remembers the paths it was asked for. */
function recordingTransport(): Transport & { paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    stats: { requests: 0, retries: 0 },
    call: async (req: ApiRequest) => {
      paths.push(req.path);
      return {};
    },
    close: async () => {},
  };
}

describe("request paths (defence in depth behind request validation)", () => {
  it.each(["", ".", ".."])("refuses to build a path with the segment %j, before any request", async (id) => {
    const transport = recordingTransport();
    const client = createTemporalClient(transport);
    const attempts = [
      client.getUser(id),
      client.getNamespace(id),
      client.getUserGroup(id),
      client.deleteUser(id, { operationId: "op-1", resourceVersion: "v1" }),
      client.setUserNamespaceAccess("ns.acme", id, undefined, { operationId: "op-2", resourceVersion: "v1" }),
      client.setUserNamespaceAccess(id, "u1", undefined, { operationId: "op-3", resourceVersion: "v1" }),
      client.listUserGroupMembers(id, {}),
    ];
    for (const attempt of attempts) {
      const err = await attempt.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(TemporalApiError);
      expect((err as TemporalApiError).kind).toBe("invalid-argument");
      expect((err as TemporalApiError).message).toBe(`refusing to build a request path with the segment "${id}": it is not an id`);
    }
    expect(transport.paths).toEqual([]);
  });

  it("escapes everything else into one segment, dots inside an id included", () => {
    expect(pathSegment("payments.acme7")).toBe("payments.acme7");
    expect(pathSegment("a/../b")).toBe("a%2F..%2Fb");
    expect(pathSegment("...")).toBe("...");
    expect(pathSegment("%2e%2e")).toBe("%252e%252e");
  });
});
