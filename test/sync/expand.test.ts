import { describe, expect, it } from "vitest";
import { expandGrants, ExpansionError, type ExpandableGrant, type ExpansionStore, type StoredGrant } from "../../src/sync/expand.js";

/**
 * The rules of grant expansion, one by one, on a store held in a few maps. Each case is a
 * behaviour of baton-sdk v0.25.0's expander (its test named in the case, from pkg/sync/expand
 * and pkg/sync); test/c1z/golden-sync.test.ts compares whole syncs with what its syncer stored.
 */

type Row = StoredGrant<string> & { entitlementId: string; id: string; immutable: boolean };

/** graph builds a store: entitlements as `<resource>:<slug>` (resource `<type>:<id>`), grants as [entitlement, principal, expandable?]. */
function graph(entitlements: string[], grants: [string, string, Omit<ExpandableGrant, "entitlementId" | "principalType" | "principalId">?][]) {
  const rows: Row[] = [];
  const expandables: ExpandableGrant[] = [];
  const split = (ref: string) => [ref.slice(0, ref.indexOf(":")), ref.slice(ref.indexOf(":") + 1)] as const;
  for (const [entitlementId, principal, expandable] of grants) {
    const [principalType, principalId] = split(principal);
    rows.push({ id: `${entitlementId}:${principal}`, entitlementId, principalType, principalId, principal, sources: new Map(), immutable: false });
    if (expandable) expandables.push({ entitlementId, principalType, principalId, ...expandable });
  }
  const store: ExpansionStore<string, Row> = {
    expandableGrants: () => expandables,
    entitlementOwner(id) {
      if (!entitlements.includes(id)) return undefined;
      const [type, rest] = split(id);
      return `${type}\u0000${rest.slice(0, rest.lastIndexOf(":"))}`;
    },
    grantsOn: (id) => rows.filter((r) => r.entitlementId === id),
    putDerived: (d) => void rows.push({ ...d, immutable: true }),
    setSources: (row, sources) => void (row.sources = new Map(sources)),
  };
  const grantsOf = () =>
    Object.fromEntries(rows.map((r) => [r.id, { sources: Object.fromEntries(r.sources), immutable: r.immutable }]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  return { store, rows, grantsOf };
}
const deep = (...entitlementIds: string[]) => ({ entitlementIds, shallow: false, resourceTypeIds: [] });

describe("expandGrants", () => {
  it("passes a group's grant to its members, with the group's member entitlement as a direct source (TestExpanderWithMockStore)", () => {
    const { store, grantsOf } = graph(["group:g:member", "role:r:member"], [
      ["group:g:member", "user:alice"],
      ["role:r:member", "group:g", deep("group:g:member")],
    ]);
    expect(expandGrants(store)).toMatchObject({ edges: 1, derived: 1, updated: 0 });
    expect(grantsOf()["role:r:member:user:alice"]).toEqual({ sources: { "group:g:member": true }, immutable: true });
  });

  it("follows nested groups, each derived grant naming only its immediate source, direct or not (TestExpanderMultiLevel)", () => {
    const { store, grantsOf } = graph(["group:a:member", "group:b:member", "group:c:member"], [
      ["group:a:member", "user:charlie"],
      ["group:b:member", "group:a", deep("group:a:member")],
      ["group:c:member", "group:b", deep("group:b:member")],
    ]);
    expandGrants(store);
    expect(grantsOf()["group:b:member:user:charlie"]?.sources).toEqual({ "group:a:member": true });
    expect(grantsOf()["group:c:member:user:charlie"]?.sources).toEqual({ "group:b:member": false });
    // The group a principal, too, reaches c through b.
    expect(grantsOf()["group:c:member:group:a"]?.sources).toEqual({ "group:b:member": true });
  });

  it("records every source of a diamond, and a mixed one as direct where any path is (TestExpanderDiamondGraph, TestExpanderMixedDirectness)", () => {
    const { store, grantsOf } = graph(["group:a:member", "group:b:member", "group:c:member"], [
      ["group:a:member", "user:alice"],
      ["group:b:member", "group:a", deep("group:a:member")],
      ["group:c:member", "group:a", deep("group:a:member")],
      ["group:c:member", "group:b", deep("group:b:member")],
    ]);
    expandGrants(store);
    expect(grantsOf()["group:c:member:user:alice"]?.sources).toEqual({ "group:a:member": true, "group:b:member": false });
  });

  it("keeps a direct grant that is also derived, adding itself and the source as direct sources, without GrantImmutable (TestExpandGrantImmutable)", () => {
    const { store, grantsOf } = graph(["group:g1:member", "group:g2:member"], [
      ["group:g2:member", "user:u1"],
      ["group:g2:member", "user:u2"],
      ["group:g1:member", "user:u1"],
      ["group:g1:member", "group:g2", deep("group:g2:member")],
    ]);
    expect(expandGrants(store)).toMatchObject({ derived: 1, updated: 1 });
    expect(grantsOf()["group:g1:member:user:u1"]).toEqual({ sources: { "group:g1:member": true, "group:g2:member": true }, immutable: false });
    expect(grantsOf()["group:g1:member:user:u2"]).toEqual({ sources: { "group:g2:member": true }, immutable: true });
    // A grant nothing reaches is left as it was (TestTopologicalMergeUntouchedBaseGrantNotRewritten).
    expect(grantsOf()["group:g2:member:user:u1"]).toEqual({ sources: {}, immutable: false });
  });

  it("derives nothing from a group without members", () => {
    const { store, grantsOf } = graph(["group:empty:member", "role:r:member"], [["role:r:member", "group:empty", deep("group:empty:member")]]);
    expect(expandGrants(store)).toMatchObject({ edges: 1, derived: 0, updated: 0 });
    expect(Object.keys(grantsOf())).toEqual(["role:r:member:group:empty"]);
  });

  it("passes only direct holders along a shallow edge (TestExpanderPerDestinationShallow)", () => {
    const { store, grantsOf } = graph(["group:low:member", "group:mid:member", "group:top:member"], [
      ["group:low:member", "user:u1"],
      ["group:mid:member", "user:u2"],
      ["group:mid:member", "group:low", deep("group:low:member")],
      ["group:top:member", "group:mid", { entitlementIds: ["group:mid:member"], shallow: true, resourceTypeIds: [] }],
    ]);
    expandGrants(store);
    expect(grantsOf()["group:mid:member:user:u1"]?.sources).toEqual({ "group:low:member": true });
    expect(grantsOf()["group:top:member:user:u2"]?.sources).toEqual({ "group:mid:member": true });
    expect(grantsOf()["group:top:member:group:low"]?.sources).toEqual({ "group:mid:member": true });
    // u1 holds mid only through low: the shallow edge stops it.
    expect(grantsOf()["group:top:member:user:u1"]).toBeUndefined();
  });

  it("passes only holders of the listed principal types (TestExpanderMixedResourceTypeIDsReadPerFilter)", () => {
    const { store, grantsOf } = graph(["group:f:member", "role:users:member", "role:bots:member"], [
      ["group:f:member", "user:u3"],
      ["group:f:member", "service-account:sa2"],
      ["role:users:member", "group:f", { entitlementIds: ["group:f:member"], shallow: false, resourceTypeIds: ["user"] }],
      ["role:bots:member", "group:f", { entitlementIds: ["group:f:member"], shallow: false, resourceTypeIds: ["service-account"] }],
    ]);
    expandGrants(store);
    expect(Object.keys(grantsOf()).filter((id) => id.startsWith("role:"))).toEqual([
      "role:bots:member:group:f",
      "role:bots:member:service-account:sa2",
      "role:users:member:group:f",
      "role:users:member:user:u3",
    ]);
  });

  it("merges an edge given twice: deep and unfiltered win (TestAddEdgeDuplicateMergesDeterministically)", () => {
    const { store, grantsOf } = graph(["group:a:member", "group:b:member", "role:r:member"], [
      ["group:a:member", "user:u1"],
      ["group:b:member", "group:a", deep("group:a:member")],
      ["group:b:member", "service-account:x"],
      ["role:r:member", "group:b", { entitlementIds: ["group:b:member"], shallow: true, resourceTypeIds: ["user"] }],
      ["role:r:member", "group:b", { entitlementIds: ["group:b:member"], shallow: false, resourceTypeIds: [] }],
    ]);
    expect(expandGrants(store)).toMatchObject({ edges: 2 });
    // Deep: u1 (a member of b only through a) gets r; unfiltered: so does the service account.
    expect(grantsOf()["role:r:member:user:u1"]?.sources).toEqual({ "group:b:member": false });
    expect(grantsOf()["role:r:member:service-account:x"]?.sources).toEqual({ "group:b:member": true });
  });

  it("collapses a cycle: its members pass nothing to each other, but all receive what enters and all pass on what leaves (TestExpandGrantImmutableCycle)", () => {
    const warnings: string[] = [];
    const { store, grantsOf } = graph(["group:a:member", "group:b:member", "group:s:member", "group:d:member"], [
      ["group:a:member", "user:alice"],
      ["group:b:member", "user:bob"],
      ["group:s:member", "user:sam"],
      ["group:b:member", "group:a", deep("group:a:member")],
      ["group:a:member", "group:b", deep("group:b:member")],
      ["group:a:member", "group:s", deep("group:s:member")],
      ["group:d:member", "group:b", deep("group:b:member")],
    ]);
    expect(expandGrants(store, (w) => warnings.push(w.message))).toMatchObject({ cycles: 1 });
    expect(warnings).toEqual(["cycle detected in entitlement graph"]);
    const grants = grantsOf();
    expect(grants["group:b:member:user:alice"]).toBeUndefined();
    expect(grants["group:a:member:user:bob"]).toBeUndefined();
    expect(grants["group:a:member:user:sam"]?.sources).toEqual({ "group:s:member": true });
    expect(grants["group:b:member:user:sam"]?.sources).toEqual({ "group:s:member": true });
    expect(grants["group:d:member:user:alice"]?.sources).toEqual({ "group:a:member": true });
    expect(grants["group:d:member:user:bob"]?.sources).toEqual({ "group:b:member": true });
    expect(grants["group:d:member:user:sam"]?.sources).toEqual({ "group:a:member": false, "group:b:member": false });
  });

  it("takes a group that is its own member as a cycle, with no error (TestFixCycleSelfLoop)", () => {
    const { store, grantsOf } = graph(["group:self:member"], [
      ["group:self:member", "user:selma"],
      ["group:self:member", "group:self", deep("group:self:member")],
    ]);
    expect(expandGrants(store)).toMatchObject({ cycles: 1, derived: 0, updated: 0 });
    expect(Object.keys(grantsOf())).toHaveLength(2);
  });

  it("skips, with one warning, sources that are not entitlements of the sync, and expands the rest (TestExpandGrantBadEntitlement)", () => {
    const warnings: { message: string; fields: Record<string, unknown> }[] = [];
    const { store, grantsOf } = graph(["group:g1:member", "group:g2:member"], [
      ["group:g1:member", "user:u1"],
      ["group:g2:member", "group:g1", deep("group:g1:member", "group:ghost:member", "")],
    ]);
    expect(expandGrants(store, (w) => warnings.push(w))).toMatchObject({ edges: 1, derived: 1, droppedEdges: 2 });
    expect(grantsOf()["group:g2:member:user:u1"]?.sources).toEqual({ "group:g1:member": true });
    expect(warnings).toEqual([{ message: expect.stringContaining("dropped edges"), fields: { droppedEdges: 2, examples: ["group:ghost:member", ""] } }]);
  });

  it("fails, as the SDK does, when a source entitlement is not the grant's principal's", () => {
    const { store } = graph(["group:g1:member", "group:g2:member", "group:g3:member"], [["group:g2:member", "group:g3", deep("group:g1:member")]]);
    expect(() => expandGrants(store)).toThrow(ExpansionError);
    expect(() => expandGrants(store)).toThrow("source entitlement resource id did not match grant principal id");
  });

  it("accepts a chain of 20 edges and fails on 21, as the SDK's SQLite expander does", () => {
    const chain = (edges: number) => {
      const ids = Array.from({ length: edges + 1 }, (_, i) => `group:n${i}:member`);
      return graph(ids, [["group:n0:member", "user:u1"], ...ids.slice(1).map((id, i) => [id, `group:n${i}`, deep(ids[i]!)] as [string, string, ReturnType<typeof deep>])]);
    };
    const twenty = chain(20);
    expect(expandGrants(twenty.store).derived).toBe(20 + 19 * 20 / 2);
    expect(() => expandGrants(chain(21).store)).toThrow("expander: max depth exceeded (20)");
  });
});
