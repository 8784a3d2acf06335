import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AccountAccess_Role as Role, NamespaceAccess_Permission as Permission } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { expectCode } from "../helpers/grpc.js";
import { provisioner } from "../helpers/provisioning.js";
import { startStack, type Stack } from "../helpers/stack.js";

const { users: U, namespaces: NS, customRoles: CR } = DEMO_IDS;

/** body fields of a write the simulator saw. */
type Seen = { route: string; asyncOperationId?: string; resourceVersion?: string };

/**
 * Writes are read-modify-write with the latest version: a concurrent change is never clobbered,
 * a retried write is applied once, and an async operation that does not succeed is reported,
 * never hidden.
 */
describe("write safety", () => {
  let stack: Stack;
  let p: ReturnType<typeof provisioner>;
  let seen: Seen[];
  beforeEach(async () => {
    stack = await startStack({ provisioning: true, connector: { operationTimeoutMs: 2_000 } });
    p = provisioner(stack.client);
    seen = [];
  });
  afterEach(() => stack.close());

  const user = (id: string) => stack.simulator.store.users.get(id)!;
  /** record remembers every write and lets `also` act on it first (a concurrent change, a fault). */
  const record = (routes: string[], also?: (req: Seen, n: number) => ReturnType<Parameters<Stack["simulator"]["onRequest"]>[0] & {}>) => {
    stack.simulator.onRequest((req) => {
      if (!routes.includes(req.route)) return undefined;
      const body = (req.body ?? {}) as { asyncOperationId?: string; resourceVersion?: string };
      const entry = { route: req.route, asyncOperationId: body.asyncOperationId ?? req.query.get("asyncOperationId") ?? undefined, resourceVersion: body.resourceVersion ?? req.query.get("resourceVersion") ?? undefined };
      seen.push(entry);
      return also?.(entry, seen.length);
    });
  };

  it("a change made between our read and our write is kept: we re-read and apply ours on top", async () => {
    // Someone adds a custom role to dave just before our role change reaches Temporal Cloud.
    record(["UpdateUser"], (_req, n) => {
      if (n === 1) stack.simulator.store.updateUser(U.dave, (spec) => spec.access!.accountAccess!.customRoles.push(CR.billingViewer));
    });
    await p.grant("account-role:acme7-developer:member", `user:${U.dave}`);
    const access = user(U.dave).spec!.access!;
    expect(access.accountAccess!.role).toBe(Role.DEVELOPER);
    expect(access.accountAccess!.customRoles).toEqual([CR.billingViewer]);
    expect(Object.keys(access.namespaceAccesses).sort()).toEqual([NS.analytics, NS.ordersProd].sort());
    // The first write carried the stale version and was refused; the second used the new one.
    expect(seen).toHaveLength(2);
    expect(seen[0]!.resourceVersion).not.toBe(seen[1]!.resourceVersion);
    expect(seen[0]!.asyncOperationId).not.toBe(seen[1]!.asyncOperationId);
  });

  it("a concurrent change to another namespace survives a namespace grant", async () => {
    record(["SetUserNamespaceAccess"], (_req, n) => {
      if (n === 1) stack.simulator.store.setNamespaceAccess("user", U.dave, NS.paymentsProd, Permission.READ);
    });
    await p.grant(`namespace:${NS.paymentsDev}:write`, `user:${U.dave}`);
    const ns = user(U.dave).spec!.access!.namespaceAccesses;
    expect(ns[NS.paymentsDev]?.permission).toBe(Permission.WRITE);
    expect(ns[NS.paymentsProd]?.permission).toBe(Permission.READ);
  });

  it("a change that makes ours unnecessary ends as 'already exists', not as an error", async () => {
    record(["SetUserNamespaceAccess"], (_req, n) => {
      if (n === 1) stack.simulator.store.setNamespaceAccess("user", U.dave, NS.paymentsDev, Permission.WRITE);
    });
    const res = await p.grant(`namespace:${NS.paymentsDev}:write`, `user:${U.dave}`);
    expect(res.alreadyExists).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it("gives up with ABORTED when the principal keeps changing", async () => {
    record(["UpdateUser"], () => {
      stack.simulator.store.updateUser(U.dave, () => {});
    });
    expect(await expectCode(p.grant("account-role:acme7-developer:member", `user:${U.dave}`), status.ABORTED)).toContain("kept changing");
    expect(user(U.dave).spec!.access!.accountAccess!.role).toBe(Role.READ);
  });

  it("a 429 on the write is retried with the same asyncOperationId and applied exactly once", async () => {
    record(["SetUserNamespaceAccess"], (_req, n) => (n === 1 ? { status: 429, code: 8, message: "rate limit exceeded", retryAfterSeconds: 0.01 } : undefined));
    const res = await p.grant(`namespace:${NS.paymentsDev}:read`, `user:${U.dave}`);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.asyncOperationId).toBe(seen[0]!.asyncOperationId);
    expect(res.requestId).toBe(seen[0]!.asyncOperationId);
    expect(stack.simulator.stats.appliedMutations.get(seen[0]!.asyncOperationId!)).toBe(1);
  });

  it("a write whose response was lost is retried with the same asyncOperationId and not applied twice", async () => {
    record(["UpdateUser"], (_req, n) => stack.simulator.setFaults(n === 1 ? { dropConnection: 1, onlyPaths: /\/cloud\/users\// } : undefined));
    await p.grant("account-role:acme7-developer:member", `user:${U.dave}`);
    expect(stack.simulator.stats.droppedConnections).toBe(1);
    expect(seen.map((s) => s.asyncOperationId)).toEqual([seen[0]!.asyncOperationId, seen[0]!.asyncOperationId]);
    expect(stack.simulator.stats.appliedMutations.get(seen[0]!.asyncOperationId!)).toBe(1);
    expect(user(U.dave).spec!.access!.accountAccess!.role).toBe(Role.DEVELOPER);
  });

  it.each([
    ["failed", { state: "failed" as const, reason: "quota of 300 users reached" }, "ended FAILED: quota of 300 users reached"],
    ["rejected", "rejected" as const, "ended REJECTED"],
    ["cancelled", "cancelled" as const, "ended CANCELLED"],
  ])("an operation that ends %s is an error carrying the reason, and no grant is claimed", async (_name, outcome, message) => {
    stack.simulator.setOperationOutcome(() => outcome);
    const err = await expectCode(p.grant(`namespace:${NS.paymentsDev}:read`, `user:${U.dave}`), status.ABORTED);
    expect(err).toContain(message);
    expect(user(U.dave).spec!.access!.namespaceAccesses[NS.paymentsDev]).toBeUndefined();
  });

  it("an operation that never finishes → DEADLINE_EXCEEDED naming the operation", async () => {
    stack.simulator.setOperationOutcome(() => "never");
    record(["SetUserNamespaceAccess"]);
    const err = await expectCode(p.grant(`namespace:${NS.paymentsDev}:read`, `user:${U.dave}`), status.DEADLINE_EXCEEDED);
    expect(err).toContain(`operation ${seen[0]!.asyncOperationId}`);
    expect(err).toContain("check it later");
  });
});
