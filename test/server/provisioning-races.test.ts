import { status, type ServiceError } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { AccountManagerService, ResourceManagerService } from "../../src/connector/c1.js";
import { AccountAccess_Role as Role, NamespaceAccess_Permission as Permission, ProjectAccess_ProjectRole as ProjectRole } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { createPrng } from "../../src/simulator/temporal/prng.js";
import { createMemoryStore, runSync } from "../../src/sync/syncer.js";
import { provisioner } from "../helpers/provisioning.js";
import { startStack } from "../helpers/stack.js";

const { users: U, serviceAccounts: SA, groups: G, namespaces: NS, customRoles: CR, projects: P } = DEMO_IDS;
const OPERATIONS = 1_000;
const SEED = 20261128;

type Kind = "user" | "service-account" | "group";
type RoleName = "developer" | "read" | "metrics-read" | "none";
/**
 * What the model knows of one principal. Chaos state (analytics, incident-responder, the role in
 * the payments project) is changed behind our back.
 */
interface Principal {
  kind: Kind;
  id: string;
  role: RoleName;
  namespaces: Map<string, Permission>;
  customRoles: Set<string>;
  /** Its role in OUR_PROJECT. */
  project?: ProjectRole;
  chaosAnalytics?: Permission;
  chaosCustomRole: boolean;
  chaosProject?: ProjectRole;
  exists: boolean;
}

const OUR_NAMESPACES = [NS.paymentsProd, NS.paymentsDev, NS.ordersProd];
const LEVELS = [["admin", Permission.ADMIN], ["write", Permission.WRITE], ["read", Permission.READ]] as const;
const OUR_CUSTOM_ROLES = [CR.deployApprover, CR.billingViewer];
const OUR_PROJECT = P.data;
const CHAOS_PROJECT = P.payments;
const PROJECT_ROLES = [["write", ProjectRole.WRITE], ["read", ProjectRole.READ], ["member", ProjectRole.MEMBER]] as const;
const ROLE_OF: Record<RoleName, Role> = { developer: Role.DEVELOPER, read: Role.READ, "metrics-read": Role.METRICS_READ, none: Role.UNSPECIFIED };
const roleName = (role: Role | undefined): RoleName => (Object.entries(ROLE_OF).find(([, r]) => r === (role ?? Role.UNSPECIFIED))?.[0] as RoleName) ?? "none";
const kindKey = { user: "user", "service-account": "serviceAccount", group: "userGroup" } as const;

/**
 * A randomized, reproducible (fixed seed) run of 1,000 grant/revoke/create/delete operations
 * (namespace permissions, account, custom and project roles, group membership, accounts)
 * while the simulator concurrently edits the same principals between our reads and our writes,
 * checked against an in-memory model: every operation reported successful took effect exactly
 * once, nothing else changed, and the final upstream state equals the model.
 */
it("1,000 provisioning operations under concurrent edits end in the modelled state, whatever the refusals say", async () => {
  // Every error message is reworded to one that says nothing: version conflicts and "nothing to
  // change" must be recognised by what the connector can read (the resource's version), not by
  // how Temporal Cloud happens to word them (issue 15).
  const stack = await startStack({ provisioning: true, connector: { rateLimit: 2_000, minPollMs: 1 }, simulator: { rewordErrors: () => "request refused" } });
  const store = stack.simulator.store;
  const prng = createPrng(SEED);
  // Chaos is drawn per principal, from its own generator: ops on one principal are sequential,
  // so the nth write to a principal meets the same chaos on every run, however calls interleave.
  const chaosOf = new Map<string, ReturnType<typeof createPrng>>();
  const chaosFor = (key: string) => {
    let generator = chaosOf.get(key);
    if (!generator) chaosOf.set(key, (generator = createPrng(SEED + [...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7))));
    return generator;
  };
  const p = provisioner(stack.client);
  try {
    const principals = new Map<string, Principal>();
    const load = (kind: Kind, id: string) => {
      const spec = store.resource(kindKey[kind], id)!.spec as { access?: { accountAccess?: { role: Role; customRoles: string[] }; namespaceAccesses: Record<string, { permission: Permission }>; projectAccesses: Record<string, { role: ProjectRole }> } };
      const access = spec.access;
      principals.set(`${kind}:${id}`, {
        kind,
        id,
        role: roleName(access?.accountAccess?.role),
        namespaces: new Map(OUR_NAMESPACES.flatMap((ns) => (access?.namespaceAccesses[ns] ? [[ns, access.namespaceAccesses[ns]!.permission] as const] : []))),
        customRoles: new Set((access?.accountAccess?.customRoles ?? []).filter((c) => OUR_CUSTOM_ROLES.includes(c as never))),
        chaosAnalytics: access?.namespaceAccesses[NS.analytics]?.permission,
        chaosCustomRole: (access?.accountAccess?.customRoles ?? []).includes(CR.incidentResponder),
        project: access?.projectAccesses[OUR_PROJECT]?.role,
        chaosProject: access?.projectAccesses[CHAOS_PROJECT]?.role,
        exists: true,
      });
    };
    for (const id of [U.carol, U.dave, U.grace, U.judy, U.frank, U.heidi]) load("user", id);
    for (const id of [SA.ciDeployer, SA.legacyBatch, SA.unnamed]) load("service-account", id);
    for (const id of [G.dataAnalysts, G.finance]) load("group", id);
    const members = new Map<string, Set<string>>([G.dataAnalysts, G.finance].map((g) => [g, new Set(store.groupMembers(g)!.keys())]));

    // Chaos: between our read and our write, someone changes the same principal (analytics
    // access, or the incident-responder custom role), which our write must not undo.
    let chaosEdits = 0;
    stack.simulator.onRequest((req) => {
      if (req.method === "GET") return;
      const match = /\/(users|service-accounts|user-groups)\/([0-9a-f]{32})/.exec(req.path);
      if (!match) return;
      const kind: Kind = match[1] === "users" ? "user" : match[1] === "service-accounts" ? "service-account" : "group";
      const principal = principals.get(`${kind}:${match[2]}`);
      const chaos = chaosFor(`${kind}:${match[2]}`);
      if (!principal?.exists || !chaos.chance(0.3)) return;
      chaosEdits++;
      if (chaos.chance(0.25)) {
        principal.chaosProject = principal.chaosProject === ProjectRole.READ ? ProjectRole.WRITE : ProjectRole.READ;
        store.setProjectAccess(kindKey[kind], principal.id, CHAOS_PROJECT, principal.chaosProject);
      } else if (principal.role !== "none" && chaos.chance(0.5)) {
        principal.chaosCustomRole = !principal.chaosCustomRole;
        store.update(kindKey[kind], principal.id, (spec) => {
          const account = (spec as unknown as { access: { accountAccess: { customRoles: string[] } } }).access.accountAccess;
          account.customRoles = principal.chaosCustomRole ? [...account.customRoles, CR.incidentResponder] : account.customRoles.filter((c) => c !== CR.incidentResponder);
        });
      } else {
        principal.chaosAnalytics = principal.chaosAnalytics === Permission.READ ? Permission.WRITE : Permission.READ;
        store.setNamespaceAccess(kindKey[kind], principal.id, NS.analytics, principal.chaosAnalytics);
      }
    });

    const tally = new Map<string, number>();
    const count = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1);
    let created = 0;

    /**
     * operate runs one random operation on a principal and checks its outcome against the model.
     * ABORTED (the principal kept changing under five attempts in a row) is a reported failure
     * that changed nothing: the model stays as it was.
     */
    async function operate(principal: Principal, round: readonly Principal[]): Promise<void> {
      try {
        await attempt(principal, round);
      } catch (err) {
        if ((err as ServiceError).code !== status.ABORTED) throw err;
        count("aborted");
      }
    }

    async function attempt(principal: Principal, round: readonly Principal[]): Promise<void> {
      const who = `${principal.kind}:${principal.id}`;
      // Two more kinds of operation than before projects: a project role granted or revoked.
      const others = principal.kind === "user" ? 9 : principal.kind === "group" ? 7 : 6;
      const op = prng.int(others + 2);
      if (op >= others) {
        const [slug, role] = prng.pick(PROJECT_ROLES);
        const entitlement = `project:${OUR_PROJECT}:${slug}`;
        if (op === others) {
          const res = await p.grant(entitlement, who);
          const had = principal.project;
          expect(res.alreadyExists, `grant ${entitlement} to ${who}`).toBe(had === role);
          expect(res.replaced).toBe(had !== undefined && had !== role ? `project:${OUR_PROJECT}:${ProjectRole[had].toLowerCase()}:${who}` : undefined);
          principal.project = role;
          count(res.alreadyExists ? "project grant (already)" : "project grant");
        } else {
          const res = await p.revoke(`${entitlement}:${who}`);
          expect(res.alreadyRevoked, `revoke ${entitlement} from ${who}`).toBe(principal.project !== role);
          if (!res.alreadyRevoked) principal.project = undefined;
          count(res.alreadyRevoked ? "project revoke (already)" : "project revoke");
        }
      } else if (op <= 1) {
        const ns = prng.pick(OUR_NAMESPACES);
        const [slug, level] = prng.pick(LEVELS);
        const entitlement = `namespace:${ns}:${slug}`;
        if (op === 0) {
          const res = await p.grant(entitlement, who);
          const had = principal.namespaces.get(ns);
          expect(res.alreadyExists, `grant ${entitlement} to ${who}`).toBe(had === level);
          expect(res.replaced).toBe(had !== undefined && had !== level ? `namespace:${ns}:${LEVELS.find(([, l]) => l === had)![0]}:${who}` : undefined);
          principal.namespaces.set(ns, level);
          count(res.alreadyExists ? "ns grant (already)" : "ns grant");
        } else {
          const res = await p.revoke(`${entitlement}:${who}`);
          expect(res.alreadyRevoked, `revoke ${entitlement} from ${who}`).toBe(principal.namespaces.get(ns) !== level);
          if (!res.alreadyRevoked) principal.namespaces.delete(ns);
          count(res.alreadyRevoked ? "ns revoke (already)" : "ns revoke");
        }
      } else if (op <= 3) {
        const target = prng.pick(["developer", "read", "metrics-read"] as const);
        const entitlement = `account-role:acme7-${target}:member`;
        if (op === 2) {
          const res = await p.grant(entitlement, who);
          expect(res.alreadyExists, `grant ${entitlement} to ${who}`).toBe(principal.role === target);
          principal.role = target;
          count("role grant");
        } else {
          const refused = principal.role === target && (principal.kind === "group" ? principal.customRoles.size > 0 || principal.chaosCustomRole : target === "read");
          const call = p.revoke(`${entitlement}:${who}`);
          if (refused) {
            await expectRefused(call);
            count("role revoke (refused)");
          } else {
            const res = await call;
            expect(res.alreadyRevoked, `revoke ${entitlement} from ${who}`).toBe(principal.role !== target);
            if (!res.alreadyRevoked) principal.role = principal.kind === "group" ? "none" : "read";
            count("role revoke");
          }
        }
      } else if (op <= 5) {
        const role = prng.pick(OUR_CUSTOM_ROLES);
        const entitlement = `custom-role:${role}:member`;
        if (op === 4) {
          const call = p.grant(entitlement, who);
          if (principal.role === "none") {
            await expectRefused(call);
            count("custom grant (refused)");
          } else {
            expect((await call).alreadyExists).toBe(principal.customRoles.has(role));
            principal.customRoles.add(role);
            count("custom grant");
          }
        } else {
          expect((await p.revoke(`${entitlement}:${who}`)).alreadyRevoked).toBe(!principal.customRoles.has(role));
          principal.customRoles.delete(role);
          count("custom revoke");
        }
      } else if (principal.kind === "group") {
        // Not a user another operation of this round may be deleting.
        const users = [...principals.values()].filter((x) => x.kind === "user" && x.exists && !round.includes(x));
        const member = prng.pick(users);
        const entitlement = `group:${principal.id}:member`;
        const set = members.get(principal.id)!;
        if (op === 6) {
          expect((await p.grant(entitlement, `user:${member.id}`)).alreadyExists).toBe(set.has(member.id));
          set.add(member.id);
        } else {
          expect((await p.revoke(`${entitlement}:user:${member.id}`)).alreadyRevoked).toBe(!set.has(member.id));
          set.delete(member.id);
        }
        count("membership");
      } else if (principal.kind === "user" && op === 6) {
        const email = `temp-${created++}@acme.example`;
        const res = await stack.client.call(AccountManagerService.method.createAccount, { accountInfo: { login: email } });
        expect(res.result.case).toBe("success");
        load("user", res.result.value!.resource!.id!.resource);
        count("create");
      } else if (principal.kind === "user" && op === 7 && principal.id.length === 32 && !Object.values(U).includes(principal.id as never)) {
        await stack.client.call(ResourceManagerService.method.deleteResource, { resourceId: { resourceType: "user", resource: principal.id } });
        principal.exists = false;
        for (const set of members.values()) set.delete(principal.id);
        count("delete");
      } else {
        count("noop");
      }
    }

    async function expectRefused(call: Promise<unknown>) {
      const err = (await call.then(() => undefined, (e: unknown) => e)) as ServiceError | undefined;
      expect(err && status[err.code]).toBe("FAILED_PRECONDITION");
    }

    // Rounds of four concurrent operations on four different principals: concurrency without two
    // of our own writes racing on one principal, so the model's order is the order of effects.
    for (let done = 0; done < OPERATIONS; ) {
      const candidates = [...principals.values()].filter((x) => x.exists);
      const round: Principal[] = [];
      while (round.length < 4 && done < OPERATIONS) {
        const principal = prng.pick(candidates.filter((x) => !round.includes(x)));
        round.push(principal);
        done++;
      }
      // Draw every random choice of the round before any call runs, in order.
      await Promise.all(round.map((principal) => operate(principal, round)));
    }
    expect(chaosEdits).toBeGreaterThan(100);

    // The final upstream state is exactly the model: our changes, and the chaos ones, all kept.
    for (const principal of principals.values()) {
      const resource = store.resource(kindKey[principal.kind], principal.id) as
        | { spec: { access?: { accountAccess?: { role: Role; customRoles: string[] }; namespaceAccesses: Record<string, { permission: Permission }>; projectAccesses: Record<string, { role: ProjectRole }> } } }
        | undefined;
      if (!principal.exists) {
        expect(resource, `${principal.id} deleted`).toBeUndefined();
        continue;
      }
      const access = resource!.spec.access;
      const label = `${principal.kind} ${principal.id}`;
      expect(roleName(access?.accountAccess?.role), label).toBe(principal.role);
      expect(Object.fromEntries(OUR_NAMESPACES.flatMap((ns) => (access?.namespaceAccesses[ns] ? [[ns, access.namespaceAccesses[ns]!.permission]] : []))), label).toEqual(Object.fromEntries(principal.namespaces));
      expect(access?.namespaceAccesses[NS.analytics]?.permission, label).toBe(principal.chaosAnalytics);
      const customRoles = access?.accountAccess?.customRoles ?? [];
      expect(customRoles.filter((c) => c !== CR.incidentResponder).sort(), label).toEqual([...principal.customRoles].sort());
      expect(customRoles.includes(CR.incidentResponder), label).toBe(principal.chaosCustomRole);
      expect(access?.projectAccesses[OUR_PROJECT]?.role, label).toBe(principal.project);
      expect(access?.projectAccesses[CHAOS_PROJECT]?.role, label).toBe(principal.chaosProject);
    }
    for (const [group, set] of members) expect([...store.groupMembers(group)!.keys()].sort()).toEqual([...set].sort());
    // Every write was applied exactly once.
    for (const [operation, times] of stack.simulator.stats.appliedMutations) expect(times, operation).toBe(1);

    // And a full sync shows the same: every modelled namespace permission is granted, nothing else.
    stack.simulator.onRequest(undefined);
    const synced = createMemoryStore();
    await runSync({ api: stack.client, store: synced, workers: 4, skipExpandGrants: true }); // what the connector lists, against the model
    const grants = new Set(synced.grants.map((g) => g.id));
    for (const principal of principals.values()) {
      for (const ns of OUR_NAMESPACES) {
        for (const [slug, level] of LEVELS) {
          const id = `namespace:${ns}:${slug}:${principal.kind}:${principal.id}`;
          expect(grants.has(id), id).toBe(principal.exists && principal.namespaces.get(ns) === level);
        }
      }
      for (const [slug, role] of PROJECT_ROLES) {
        const id = `project:${OUR_PROJECT}:${slug}:${principal.kind}:${principal.id}`;
        expect(grants.has(id), id).toBe(principal.exists && principal.project === role);
      }
    }
    expect(tally.get("ns grant")).toBeGreaterThan(50);
    expect(tally.get("project grant")).toBeGreaterThan(30);
    expect(tally.get("project revoke")).toBeGreaterThan(10);
    expect(tally.get("create")).toBeGreaterThan(5);
  } finally {
    await stack.close();
  }
});
