import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { annotation } from "../../src/connector/annotations.js";
import { ResourceTypeSchema, TypeScopedGrantsSchema } from "../../src/connector/c1.js";
import { createMemoryStore, runSync, type ConnectorApi } from "../../src/sync/syncer.js";

/**
 * An in-process connector of three types (a, b, c; c lists its grants per type) with one
 * resource each, recording the calls a sync makes: a unit test of the driver's call pattern.
 */
function recordingConnector() {
  const calls: string[] = [];
  const types = ["a", "b", "c"].map((id) =>
    create(ResourceTypeSchema, { id, displayName: id, annotations: id === "c" ? [annotation(TypeScopedGrantsSchema)] : [] }),
  );
  const answers: Record<string, (req: Record<string, unknown>) => unknown> = {
    Do: () => ({ description: { status: 1 } }),
    Validate: () => ({ sdkVersion: "v0.25.0" }),
    ListResourceTypes: () => ({ list: types }),
    ListResources: (req) => ({ list: [{ id: { resourceType: req.resourceTypeId, resource: "1" } }] }),
    ListStaticEntitlements: () => ({}),
    ListEntitlements: () => ({}),
    ListGrants: () => ({}),
    Cleanup: () => ({}),
  };
  const api: ConnectorApi = {
    async call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, request: MessageInitShape<I>): Promise<MessageShape<O>> {
      const req = request as Record<string, unknown>;
      const about = (req.resourceTypeId as string | undefined) ?? (req.resource as { id?: { resourceType: string } } | undefined)?.id?.resourceType;
      calls.push(about ? `${method.name} ${about}` : method.name);
      return create(method.output, answers[method.name]!(req) as MessageInitShape<O>);
    },
  };
  return { api, calls };
}

describe("runSync", () => {
  it("takes the types last-announced first in every phase, like the Go syncer's action stack, with Do before each call", async () => {
    const { api, calls } = recordingConnector();
    await runSync({ api, store: createMemoryStore(), syncId: "s" });
    const made = calls.filter((c) => c !== "Do");
    expect(made).toEqual([
      "Validate",
      "ListResourceTypes",
      "ListResources c",
      "ListResources b",
      "ListResources a",
      "ListStaticEntitlements c",
      "ListStaticEntitlements b",
      "ListStaticEntitlements a",
      "ListEntitlements c",
      "ListEntitlements b",
      "ListEntitlements a",
      "ListGrants c",
      "ListGrants b",
      "ListGrants a",
      "Cleanup",
    ]);
    const unguarded = calls.filter((c, i) => c !== "Do" && calls[i - 1] !== "Do");
    expect(unguarded).toEqual([]);
  });
});
