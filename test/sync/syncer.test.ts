import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { annotation } from "../../src/connector/annotations.js";
import { ChildResourceTypeSchema, ResourceTypeSchema, TypeScopedGrantsSchema } from "../../src/connector/c1.js";
import { createMemoryStore, runSync, type ConnectorApi } from "../../src/sync/syncer.js";

/**
 * An in-process connector of three types (a, b, c; c lists its grants per type) with one
 * resource each, recording the calls a sync makes: a unit test of the driver's call pattern.
 */
function recordingConnector(children: Record<string, string> = {}) {
  const calls: string[] = [];
  const types = ["a", "b", "c"].map((id) =>
    create(ResourceTypeSchema, { id, displayName: id, annotations: id === "c" ? [annotation(TypeScopedGrantsSchema)] : [] }),
  );
  const answers: Record<string, (req: Record<string, unknown>) => unknown> = {
    Do: () => ({ description: { status: 1 } }),
    Validate: () => ({ sdkVersion: "v0.25.0" }),
    ListResourceTypes: () => ({ list: types }),
    ListResources: (req) => {
      const type = req.resourceTypeId as string;
      const child = children[type];
      // Two resources of a type with a child type, each announcing it twice: listed once per parent.
      const ids = child ? ["1", "2"] : ["1"];
      const annotations = child ? [annotation(ChildResourceTypeSchema, { resourceTypeId: child }), annotation(ChildResourceTypeSchema, { resourceTypeId: child })] : [];
      return { list: ids.map((resource) => ({ id: { resourceType: type, resource }, annotations })) };
    },
    ListStaticEntitlements: () => ({}),
    ListEntitlements: () => ({}),
    ListGrants: () => ({}),
    Cleanup: () => ({}),
  };
  const api: ConnectorApi = {
    async call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, request: MessageInitShape<I>): Promise<MessageShape<O>> {
      const req = request as Record<string, unknown>;
      const about = (req.resourceTypeId as string | undefined) ?? (req.resource as { id?: { resourceType: string } } | undefined)?.id?.resourceType;
      const parent = req.parentResourceId as { resource: string } | undefined;
      calls.push(about ? `${method.name} ${about}${parent ? ` of ${parent.resource}` : ""}` : method.name);
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

  it("lists a type's child resources once per parent, right after storing the parent", async () => {
    const { api, calls } = recordingConnector({ a: "b" });
    const store = createMemoryStore();
    const result = await runSync({ api, store, syncId: "s" });
    const listed = calls.filter((c) => c.startsWith("ListResources"));
    expect(listed).toEqual(["ListResources c", "ListResources b", "ListResources a", "ListResources b of 1", "ListResources b of 2"]);
    // b's resource "1" is the same whether listed at the top or under a parent: stored once.
    expect(result.resources).toBe(1 + 1 + 2);
  });
});
