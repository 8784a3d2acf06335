import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { findAnnotation } from "../../src/connector/annotations.js";
import { EntitlementImmutableSchema, Entitlement_PurposeValue, Status_ResourceStatus } from "../../src/connector/c1.js";
import { NamespaceSchema } from "../../src/gen/temporal/api/cloud/namespace/v1/message_pb.js";
import { ProjectSchema } from "../../src/gen/temporal/api/cloud/project/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { namespaceResource } from "../../src/resources/namespace.js";
import { projectEntitlements, projectResource } from "../../src/resources/project.js";

const CREATED = timestampFromDate(new Date("2026-07-20T09:00:00.000Z"));
const MODIFIED = timestampFromDate(new Date("2026-07-21T10:00:00.000Z"));

function project(init: { displayName?: string; description?: string; state?: ResourceState; protect?: boolean } = {}) {
  return create(ProjectSchema, {
    id: "p-1",
    resourceVersion: "v1",
    spec: { displayName: init.displayName ?? "Payments", description: init.description ?? "Payment processing", lifecycle: { enableDeleteProtection: init.protect ?? true } },
    state: init.state ?? ResourceState.ACTIVE,
    createdTime: CREATED,
    lastModifiedTime: MODIFIED,
  });
}

describe("projectResource", () => {
  it("is project:<id>, shown by its display name, described, with its state and creation time", () => {
    const r = projectResource(project());
    expect([r.id?.resourceType, r.id?.resource, r.displayName, r.description]).toEqual(["project", "p-1", "Payments", "Payment processing"]);
    expect(r.profile).toEqual({ project_id: "p-1", name: "Payments", delete_protection: true, state: "active", last_modified_at: "2026-07-21T10:00:00.000Z" });
    expect(r.createdAt).toEqual(CREATED);
    expect(r.annotations).toEqual([]);
  });

  it.each([
    [ResourceState.ACTIVE, Status_ResourceStatus.ENABLED, ""],
    [ResourceState.DELETING, Status_ResourceStatus.DELETED, "deleting"],
    [ResourceState.ACTIVATION_FAILED, Status_ResourceStatus.DISABLED, "activation-failed"],
  ])("maps state %s to status %s", (state, status, details) => {
    expect(projectResource(project({ state })).status).toMatchObject({ status, details });
  });

  it("falls back to the id without a name, and clips a long description to the protocol's 2,048 bytes", () => {
    const r = projectResource(project({ displayName: "", description: "é".repeat(2000), protect: false }));
    expect(r.displayName).toBe("p-1");
    expect(Buffer.byteLength(r.description)).toBeLessThanOrEqual(2048);
    expect(r.description.endsWith("...")).toBe(true);
    expect(r.profile).toMatchObject({ delete_protection: false });
  });
});

describe("projectEntitlements", () => {
  it("are project:<id>:<role> for the seven roles, Developer immutable and held only by account roles", () => {
    const entitlements = projectEntitlements(projectResource(project()));
    expect(entitlements.map((e) => [e.id, e.displayName, e.grantableTo.map((t) => t.id).join(","), Boolean(findAnnotation(e.annotations, EntitlementImmutableSchema))])).toEqual([
      ["project:p-1:admin", "Project Payments Admin", "user,service-account,group", false],
      ["project:p-1:write", "Project Payments Write", "user,service-account,group", false],
      ["project:p-1:read", "Project Payments Read", "user,service-account,group", false],
      ["project:p-1:list", "Project Payments List", "user,service-account,group", false],
      ["project:p-1:contribute", "Project Payments Contribute", "user,service-account,group", false],
      ["project:p-1:member", "Project Payments Member", "user,service-account,group", false],
      ["project:p-1:developer", "Project Payments Developer", "account-role", true],
    ]);
    expect(entitlements.every((e) => e.purpose === Entitlement_PurposeValue.PERMISSION)).toBe(true);
    expect(entitlements[0]!.description).toBe("Admin role in the Payments project in Temporal Cloud: Full access to the project, including who may access it.");
  });
});

describe("namespaceResource with projects", () => {
  it("names the namespace's project only when the API version has projects", () => {
    const ns = create(NamespaceSchema, { namespace: "a.acme7", state: ResourceState.ACTIVE, projectId: "p-1" });
    expect(namespaceResource(ns, true).profile).toEqual({ namespace: "a.acme7", project_id: "p-1", state: "active" });
    expect(namespaceResource(ns).profile).toEqual({ namespace: "a.acme7", state: "active" });
  });
});
