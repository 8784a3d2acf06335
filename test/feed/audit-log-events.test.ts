import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/connector/c1.js";
import { LogRecordSchema } from "../../src/gen/temporal/api/cloud/auditlog/v1/message_pb.js";
import { eventsOfRecord, operationKey, recordKey } from "../../src/feed/audit-log-events.js";
import { eventSummary } from "../helpers/event-summary.js";

const NS = "payments-prod.acme7";
const EMIT = Date.parse("2025-06-02T10:00:00Z");
const known: Record<string, string> = { "dave@acme.example": "u-dave" };
const resolve = (email: string) => known[email.toLowerCase()];

type Principal = { type?: string; id?: string; name?: string; apiKeyId?: string };

function record(operation: string, rawDetails: JsonObject, principal: Principal = { type: "user", id: "u-alice", name: "alice@acme.example" }, extra: { status?: string; logId?: string } = {}) {
  return create(LogRecordSchema, { emitTime: timestampFromMs(EMIT), operation, status: extra.status ?? "OK", logId: extra.logId ?? "log-1", principal, rawDetails });
}

/** summary renders events for people: "grant namespace:…:write user:u-dave". */
const summary = (events: Event[]): string[] => events.map(eventSummary);

const map = (...args: Parameters<typeof record>) => summary(eventsOfRecord(record(...args), resolve));

describe("audit records to events", () => {
  it("normalises operation names: any case, with or without the API suffix", () => {
    expect(["SetUserNamespaceAccessAPI", "setusernamespaceaccess", "SETUSERNAMESPACEACCESSapi"].map(operationKey)).toEqual(Array(3).fill("setusernamespaceaccess"));
    expect(operationKey("CreateAPIKey")).toBe("createapikey");
  });

  it("maps a namespace permission set for a user to a grant of that level and a change on the user, with stable ids", () => {
    const events = eventsOfRecord(record("SetUserNamespaceAccessAPI", { namespace: NS, userId: "u-dave", access: { permission: "PERMISSION_WRITE" } }), resolve);
    expect(summary(events)).toEqual([`grant namespace:${NS}:write user:u-dave`, "change user:u-dave"]);
    expect(events.map((e) => e.id)).toEqual([`log-1/grant:namespace:${NS}:write:user:u-dave`, "log-1/change:user:u-dave"]);
    expect(events.every((e) => e.occurredAt?.seconds === BigInt(EMIT / 1000))).toBe(true);
    const grant = events[0]!.event.value as { entitlement: { slug: string; resource: { id: { resourceType: string; resource: string } } } };
    expect(grant.entitlement).toMatchObject({ slug: "write", resource: { id: { resourceType: "namespace", resource: NS } } });
  });

  it("reads snake_case fields, lower-case names and other spellings of a permission", () => {
    expect(map("setusernamespaceaccess", { namespace: NS, user_id: "u-dave", access: { permission: "read" } })).toEqual([`grant namespace:${NS}:read user:u-dave`, "change user:u-dave"]);
    expect(map("SetUserNamespaceAccess", { namespace: NS, userId: "u-dave", access: { permission: 1 } })[0]).toBe(`grant namespace:${NS}:admin user:u-dave`);
    expect(map("UpdateUserNamespacePermissionsAPI", { namespace: NS, userId: "u-dave", access: { permission: "ADMIN" } })[0]).toBe(`grant namespace:${NS}:admin user:u-dave`);
  });

  it("maps service accounts' and groups' namespace permissions to grants to them", () => {
    expect(map("SetServiceAccountNamespaceAccess", { namespace: NS, serviceAccountId: "sa-ci", access: { permission: "PERMISSION_READ" } })).toEqual([
      `grant namespace:${NS}:read service-account:sa-ci`,
      "change service-account:sa-ci",
    ]);
    expect(map("SetUserGroupNamespaceAccess", { namespace: NS, groupId: "g-sre", access: { permission: "PERMISSION_ADMIN" } })).toEqual([`grant namespace:${NS}:admin group:g-sre`, "change group:g-sre"]);
    expect(map("UpdateIdentityNamespacePermissionsAPI", { namespace: NS, groupId: "g-sre", access: { permission: "PERMISSION_READ" } })[0]).toBe(`grant namespace:${NS}:read group:g-sre`);
  });

  it("maps a removal, whose level the request does not say, and an unknown level to changes on the principal and the namespace", () => {
    expect(map("SetUserNamespaceAccessAPI", { namespace: NS, userId: "u-dave" })).toEqual(["change user:u-dave", `change namespace:${NS}`]);
    expect(map("SetUserNamespaceAccessAPI", { namespace: NS, userId: "u-dave", access: { permission: "PERMISSION_UNSPECIFIED" } })).toEqual(["change user:u-dave", `change namespace:${NS}`]);
    expect(map("SetUserNamespaceAccessAPI", { namespace: NS, userId: "u-dave", access: { permission: "PERMISSION_OWNER" } })).toEqual(["change user:u-dave", `change namespace:${NS}`]);
  });

  it("resolves a user named only by email through the users the connector knows; otherwise emits only the namespace change", () => {
    expect(map("SetUserNamespaceAccessAPI", { namespace: NS, email: "Dave@acme.example", access: { permission: "PERMISSION_READ" } })[0]).toBe(`grant namespace:${NS}:read user:u-dave`);
    expect(map("SetUserNamespaceAccessAPI", { namespace: NS, email: "nobody@acme.example", access: { permission: "PERMISSION_READ" } })).toEqual([`change namespace:${NS}`]);
    expect(map("SetUserNamespaceAccessAPI", { namespace: NS, access: { permission: "PERMISSION_READ" } })).toEqual([`change namespace:${NS}`]);
    expect(map("SetUserNamespaceAccessAPI", { userId: "u-dave", access: { permission: "PERMISSION_READ" } })).toEqual(["change user:u-dave"]);
    expect(map("SetUserNamespaceAccessAPI", {})).toEqual([]);
  });

  it("maps account role and other updates to a change on the principal", () => {
    expect(map("UpdateUserAPI", { userId: "u-dave", spec: { email: "dave@acme.example", access: { accountAccess: { role: "ROLE_DEVELOPER" } } } })).toEqual(["change user:u-dave"]);
    expect(map("UpdateServiceAccount", { serviceAccountId: "sa-ci" })).toEqual(["change service-account:sa-ci"]);
    expect(map("UpdateUserGroup", { group_id: "g-sre" })).toEqual(["change group:g-sre"]);
    expect(map("UpdateAPIKey", { keyId: "k-1" })).toEqual(["change api-key:k-1"]);
    expect(map("UpdateNamespaceAPI", { namespace: NS })).toEqual([`change namespace:${NS}`]);
  });

  it("maps creations to a change on the new object only when the request names it", () => {
    expect(map("CreateUserAPI", { spec: { email: "new@acme.example" } })).toEqual([]);
    expect(map("CreateUserAPI", { spec: { email: "dave@acme.example" } })).toEqual(["change user:u-dave"]);
    expect(map("CreateServiceAccount", { serviceAccountId: "sa-new" })).toEqual(["change service-account:sa-new"]);
    expect(map("CreateUserGroup", { spec: { displayName: "New" } })).toEqual([]);
    expect(map("CreateAPIKey", { spec: { ownerId: "u-dave" } })).toEqual([]);
    expect(map("CreateNamespaceAPI", { spec: { name: "fresh" } })).toEqual([]);
  });

  it("maps group membership changes to grants and revokes of group:<id>:member", () => {
    expect(map("AddUserGroupMember", { groupId: "g-sre", memberId: { userId: "u-dave" } })).toEqual(["grant group:g-sre:member user:u-dave"]);
    expect(map("RemoveUserGroupMember", { group_id: "g-sre", member_id: { user_id: "u-dave" } })).toEqual(["revoke group:g-sre:member user:u-dave"]);
    expect(map("AddUserGroupMember", { groupId: "g-sre", memberId: { email: "nobody@acme.example" } })).toEqual(["change group:g-sre"]);
    expect(map("AddUserGroupMember", { memberId: { userId: "u-dave" } })).toEqual([]);
  });

  it("skips deletions (no deleted object has a parent) and refused requests", () => {
    for (const op of ["DeleteUserAPI", "DeleteServiceAccount", "DeleteUserGroup", "DeleteAPIKey", "DeleteNamespaceAPI"]) {
      expect(map(op, { userId: "u-dave", serviceAccountId: "sa", groupId: "g", keyId: "k", namespace: NS })).toEqual([]);
    }
    const refused = { status: "ERROR" };
    expect(map("SetUserNamespaceAccessAPI", { namespace: NS, userId: "u-dave", access: { permission: "PERMISSION_READ" } }, { type: "user", id: "u-alice", apiKeyId: "k-1" }, refused)).toEqual([]);
  });

  it("maps every request made with an API key to a usage event of the key by its user or service account", () => {
    const sa = { type: "serviceaccount", id: "sa-ci", name: "ci-deployer", apiKeyId: "k-ci" };
    expect(map("UpdateNamespaceAPI", { namespace: NS }, sa)).toEqual([`change namespace:${NS}`, "usage api-key:k-ci by service-account:sa-ci"]);
    expect(map("UserLogin", {}, { type: "user", id: "u-dave", apiKeyId: "k-d" })).toEqual(["usage api-key:k-d by user:u-dave"]);
    expect(map("DeleteAPIKey", { keyId: "k-old" }, { type: "USER", name: "dave@acme.example", apiKeyId: "k-d" })).toEqual(["usage api-key:k-d by user:u-dave"]);
    // A principal the connector cannot name makes no principal-specific event.
    expect(map("UserLogin", {}, { type: "user", name: "stranger@acme.example", apiKeyId: "k-x" })).toEqual([]);
    expect(map("UserLogin", {}, { type: "serviceaccount", name: "ci-deployer", apiKeyId: "k-x" })).toEqual([]);
    expect(map("UserLogin", {}, { type: "robot", id: "r-1", apiKeyId: "k-x" })).toEqual([]);
    expect(map("UserLogin", {}, { type: "user", id: "u-dave" })).toEqual([]);
    const [usage] = eventsOfRecord(record("UserLogin", {}, sa), resolve);
    expect(usage!.id).toBe("log-1/usage");
    expect((usage!.event.value as { actorResource: { displayName: string } }).actorResource.displayName).toBe("ci-deployer");
  });

  it("names a record without a log id by a digest of its content, the same every time", () => {
    const a = record("UpdateUserAPI", { userId: "u-dave" }, undefined, { logId: "" });
    const b = record("UpdateUserAPI", { userId: "u-dave" }, undefined, { logId: "" });
    const c = record("UpdateUserAPI", { userId: "u-erin" }, undefined, { logId: "" });
    expect(recordKey(a)).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(recordKey(a)).toBe(recordKey(b));
    expect(recordKey(a)).not.toBe(recordKey(c));
    expect(eventsOfRecord(a, resolve)[0]!.id).toBe(`${recordKey(a)}/change:user:u-dave`);
  });

  it("maps project access changes (API v0.18.0) only when projects are synced: a grant of the role, or changes for a removal", () => {
    const projects = (...args: Parameters<typeof record>) => summary(eventsOfRecord(record(...args), resolve, { projects: true }));
    const set = record("SetUserProjectAccess", { projectId: "p-1", userId: "u-dave", access: { role: "PROJECT_ROLE_WRITE" } });
    expect(summary(eventsOfRecord(set, resolve))).toEqual([]);
    const events = eventsOfRecord(set, resolve, { projects: true });
    expect(summary(events)).toEqual(["grant project:p-1:write user:u-dave", "change user:u-dave"]);
    expect(events.map((e) => e.id)).toEqual(["log-1/grant:project:p-1:write:user:u-dave", "log-1/change:user:u-dave"]);
    expect(projects("SetUserGroupProjectAccess", { project_id: "p-1", group_id: "g-1", access: { role: 6 } })).toEqual(["grant project:p-1:member group:g-1", "change group:g-1"]);
    expect(projects("SetServiceAccountProjectAccess", { projectId: "p-1", serviceAccountId: "sa-1", access: { role: "contribute" } })).toEqual(["grant project:p-1:contribute service-account:sa-1", "change service-account:sa-1"]);
    // Removal does not say which role went; Developer is never set this way; no principal: only the project.
    expect(projects("SetUserProjectAccess", { projectId: "p-1", email: "dave@acme.example" })).toEqual(["change user:u-dave", "change project:p-1"]);
    expect(projects("SetUserProjectAccess", { projectId: "p-1", userId: "u-dave", access: { role: "PROJECT_ROLE_DEVELOPER" } })).toEqual(["change user:u-dave", "change project:p-1"]);
    expect(projects("SetUserProjectAccess", { projectId: "p-1" })).toEqual(["change project:p-1"]);
    expect(projects("UpdateProject", { projectId: "p-1" })).toEqual(["change project:p-1"]);
    expect(projects("SetUserProjectAccess", { projectId: "p-1", userId: "u-dave", access: { role: "PROJECT_ROLE_WRITE" } }, undefined, { status: "ERROR" })).toEqual([]);
  });
});
