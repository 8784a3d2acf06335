import { create } from "@bufbuild/protobuf";
import { anyUnpack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { Status_ResourceStatus, V1IdentifierSchema } from "../../src/connector/c1.js";
import { NamespaceSchema } from "../../src/gen/temporal/api/cloud/namespace/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { namespaceResource } from "../../src/resources/namespace.js";

const CREATED = timestampFromDate(new Date("2024-11-12T13:14:15.000Z"));
const MODIFIED = timestampFromDate(new Date("2026-02-03T04:05:06.000Z"));

function namespace(init: { id?: string; state?: ResourceState; regions?: string[] } = {}) {
  const id = init.id ?? "payments-prod.acme7";
  return create(NamespaceSchema, {
    namespace: id,
    resourceVersion: "v1",
    state: init.state ?? ResourceState.ACTIVE,
    spec: { name: id.split(".")[0] },
    activeRegion: "aws-us-east-1",
    replicas: (init.regions ?? ["aws-us-east-1", "aws-us-west-2"]).map((region, i) => ({ id: `r${i}`, region, isPrimary: i === 0 })),
    endpoints: { webAddress: `https://cloud.temporal.io/namespaces/${id}`, grpcAddress: `${id}.tmprl.cloud:7233` },
    createdTime: CREATED,
    lastModifiedTime: MODIFIED,
  });
}

describe("namespaceResource", () => {
  it("is the resource namespace:<name>.<account id>, shown by that id, with its V1 identifier", () => {
    const r = namespaceResource(namespace({ id: "ci-test.iv3js" }));
    expect([r.id?.resourceType, r.id?.resource]).toEqual(["namespace", "ci-test.iv3js"]);
    expect(r.displayName).toBe("ci-test.iv3js");
    expect(r.description).toBe("");
    expect(r.createdAt).toEqual(CREATED);
    expect(r.annotations).toHaveLength(1);
    expect(anyUnpack(r.annotations[0]!, V1IdentifierSchema)?.id).toBe("namespace:ci-test.iv3js");
  });

  it("puts the namespace's name, regions and endpoints in the profile", () => {
    expect(namespaceResource(namespace()).profile).toEqual({
      namespace: "payments-prod.acme7",
      name: "payments-prod",
      active_region: "aws-us-east-1",
      regions: "aws-us-east-1,aws-us-west-2",
      web_address: "https://cloud.temporal.io/namespaces/payments-prod.acme7",
      grpc_address: "payments-prod.acme7.tmprl.cloud:7233",
      state: "active",
      last_modified_at: "2026-02-03T04:05:06.000Z",
    });
  });

  it("leaves out what a namespace does not report", () => {
    const bare = namespaceResource(create(NamespaceSchema, { namespace: "bare.acme7", state: ResourceState.ACTIVE }));
    expect(bare.profile).toEqual({ namespace: "bare.acme7", state: "active" });
    expect(bare.createdAt).toBeUndefined();
  });

  it.each([
    [ResourceState.ACTIVE, Status_ResourceStatus.ENABLED, ""],
    [ResourceState.ACTIVATING, Status_ResourceStatus.ENABLED, ""],
    [ResourceState.DELETING, Status_ResourceStatus.DELETED, "deleting"],
    [ResourceState.DELETED, Status_ResourceStatus.DELETED, "deleted"],
    [ResourceState.SUSPENDED, Status_ResourceStatus.DISABLED, "suspended"],
    [ResourceState.ACTIVATION_FAILED, Status_ResourceStatus.DISABLED, "activation-failed"],
  ])("maps state %i to status %i %j", (state, status, details) => {
    const r = namespaceResource(namespace({ state }));
    expect([r.status?.status, r.status?.details]).toEqual([status, details]);
  });
});
