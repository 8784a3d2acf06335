/**
 * Grant expansion: the grants a sync derives from GrantExpandable, so that a file says who
 * effectively holds what (group members hold what their group holds; owners and admins hold
 * the namespace admin their role carries). The rules are baton-sdk v0.25.0's (docs/grant-expansion.md);
 * test/fixtures/go-sdk/ holds what its syncer stored, and our syncer must store the same.
 *
 * This module is the algorithm only: the graph, its cycles and order, and which principal gets
 * which grant with which sources. Reading and writing grants is the store's (ExpansionStore).
 */

/** MAX_DEPTH is the longest chain of edges the SDK's SQLite expander accepts (it fails beyond). */
export const MAX_DEPTH = 20;

/** ExpandableGrant is a stored grant that carried a GrantExpandable annotation. */
export interface ExpandableGrant {
  /** The grant's own entitlement: the destination of its edges. */
  entitlementId: string;
  principalType: string;
  principalId: string;
  /** Source entitlements (the grant's principal's), as given, blanks included. */
  entitlementIds: readonly string[];
  shallow: boolean;
  /** Principal types of the sources' holders that pass; empty means every type. */
  resourceTypeIds: readonly string[];
}

/** StoredGrant is a grant on an entitlement as the store holds it now; P is the store's form of a principal. */
export interface StoredGrant<P> {
  principalType: string;
  principalId: string;
  /** The principal as the grant embeds it (copied into grants derived from this one). */
  principal: P;
  /** The grant's `sources` (entitlement id → is_direct); empty for a grant the connector made. */
  sources: ReadonlyMap<string, boolean>;
}

/** DerivedGrant is a grant expansion creates: `<entitlement>:<principal type>:<principal id>`, immutable. */
export interface DerivedGrant<P> {
  id: string;
  entitlementId: string;
  principalType: string;
  principalId: string;
  principal: P;
  /** Sorted by entitlement id. */
  sources: ReadonlyMap<string, boolean>;
}

/**
 * ExpansionStore is what expansion needs from the store of the sync being made. Reads see every
 * write made before them (grants derived for an entitlement are read when it is a source later).
 */
export interface ExpansionStore<P, G extends StoredGrant<P> = StoredGrant<P>> {
  /** Every grant of the sync that carried a GrantExpandable, in the order they were stored. */
  expandableGrants(): Iterable<ExpandableGrant>;
  /** The resource (`<type>\0<id>`) of an entitlement of the sync; undefined when the sync has none. */
  entitlementOwner(entitlementId: string): string | undefined;
  /** Every grant on an entitlement, in the order they were stored. */
  grantsOn(entitlementId: string): Iterable<G>;
  /** Stores a derived grant (with the full entitlement, the principal, the sources and GrantImmutable). */
  putDerived(grant: DerivedGrant<P>): void;
  /** Replaces the sources of a stored grant. */
  setSources(grant: G, sources: ReadonlyMap<string, boolean>): void;
}

/** ExpansionWarning is something the SDK logs and goes on from. */
export interface ExpansionWarning {
  message: string;
  fields: Record<string, unknown>;
}

/** ExpansionResult says what an expansion did. */
export interface ExpansionResult {
  edges: number;
  /** Grants created (each with GrantImmutable). */
  derived: number;
  /** Grants the connector made that gained sources. */
  updated: number;
  /** Cycles found and collapsed. */
  cycles: number;
  /** Edges dropped because their source or destination entitlement is not in the sync. */
  droppedEdges: number;
}

/** ExpansionError fails the sync, as the same problem fails the SDK's. */
export class ExpansionError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ExpansionError";
  }
}

/** EdgeSpec is how an edge passes grants on: shallow (direct holders only), and which principal types (null: all). */
interface EdgeSpec {
  shallow: boolean;
  types: Set<string> | null;
}

/**
 * mergeSpec merges two edges between the same entitlements (or folded into one by a cycle) as
 * the SDK does, whatever their order: shallow only if both are, unfiltered if either is, else
 * the union of the filters.
 */
function mergeSpec(a: EdgeSpec, b: EdgeSpec): EdgeSpec {
  return { shallow: a.shallow && b.shallow, types: a.types === null || b.types === null ? null : new Set([...a.types, ...b.types]) };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * expandGrants derives the grants a sync's GrantExpandable annotations call for and writes them
 * through the store, with the semantics of the SDK's syncer:
 *
 * - Each expandable grant on D naming source S is an edge S → D: whoever holds S gets D. S must
 *   be an entitlement of the grant's principal (else the sync fails, as the SDK's does); an S the
 *   sync does not hold is skipped with a warning.
 * - Cycles are collapsed: their members pass nothing to each other; what enters a cycle reaches
 *   every member, and every member passes on along the edges leaving it.
 * - An entitlement passes grants on only once all grants reaching it are in place (topological
 *   order), so holders arrive through any number of edges; chains longer than MAX_DEPTH fail.
 * - A shallow edge passes only the source's direct holders (grants without sources, or whose
 *   sources name the source itself); a type filter passes only holders of those types.
 * - A principal without a grant on D gets a derived one (id by the grant formula, D's full
 *   entitlement, the principal as its source grant embeds it, GrantImmutable), whose sources are
 *   the immediate sources with is_direct; a principal that holds D already keeps its grant,
 *   which gains those sources (and itself as a direct source, if it had none).
 */
export function expandGrants<P, G extends StoredGrant<P>>(store: ExpansionStore<P, G>, warn: (w: ExpansionWarning) => void = () => {}): ExpansionResult {
  const result: ExpansionResult = { edges: 0, derived: 0, updated: 0, cycles: 0, droppedEdges: 0 };
  const missing = new Set<string>();

  // 1. The graph: one edge per (source, destination), merged when given more than once.
  const out = new Map<string, Map<string, EdgeSpec>>();
  const nodes = new Set<string>();
  const owners = new Map<string, string | undefined>();
  const ownerOf = (id: string) => {
    if (!owners.has(id)) owners.set(id, store.entitlementOwner(id));
    return owners.get(id);
  };
  for (const grant of store.expandableGrants()) {
    for (const source of grant.entitlementIds) {
      const owner = ownerOf(source);
      if (owner === undefined) {
        result.droppedEdges++;
        missing.add(source);
        continue;
      }
      if (owner !== `${grant.principalType}\u0000${grant.principalId}`) {
        throw new ExpansionError("source entitlement resource id did not match grant principal id", {
          grant: `${grant.entitlementId}:${grant.principalType}:${grant.principalId}`,
          sourceEntitlement: source,
        });
      }
      const spec: EdgeSpec = { shallow: grant.shallow, types: grant.resourceTypeIds.length > 0 ? new Set(grant.resourceTypeIds) : null };
      let targets = out.get(source);
      if (!targets) out.set(source, (targets = new Map()));
      const existing = targets.get(grant.entitlementId);
      targets.set(grant.entitlementId, existing ? mergeSpec(existing, spec) : spec);
      nodes.add(source);
      nodes.add(grant.entitlementId);
    }
  }
  for (const targets of out.values()) result.edges += targets.size;
  if (result.edges === 0) return report(result, missing, warn);

  // 2. Cycles: strongly connected components; a component of several entitlements, or of one
  // with an edge to itself, is a cycle and becomes one node whose inner edges are dropped.
  const components = stronglyConnected([...nodes].sort(compare), (id) => out.get(id)?.keys() ?? []);
  const componentOf = new Map<string, number>();
  components.forEach((members, i) => members.forEach((id) => componentOf.set(id, i)));
  const cyclic = components.filter((members) => members.length > 1 || out.get(members[0]!)?.has(members[0]!)).length;
  if (cyclic > 0) {
    result.cycles = cyclic;
    warn({ message: "cycle detected in entitlement graph", fields: { cycles: components.filter((m) => m.length > 1 || out.get(m[0]!)?.has(m[0]!)).map((m) => m.join(", ")) } });
  }
  // Edges between components, folded: one per (from, to) pair, merged as above.
  const incoming = components.map(() => new Map<number, EdgeSpec>());
  const outgoing = components.map(() => new Set<number>());
  for (const [source, targets] of out) {
    const from = componentOf.get(source)!;
    for (const [destination, spec] of targets) {
      const to = componentOf.get(destination)!;
      if (from === to) continue;
      const existing = incoming[to]!.get(from);
      incoming[to]!.set(from, existing ? mergeSpec(existing, spec) : spec);
      outgoing[from]!.add(to);
    }
  }

  // 3. Order: layer by layer (a component comes after every component with an edge into it).
  const order = topologicalOrder(components, incoming, outgoing);
  const depth = Math.max(0, ...order.map((c) => c.layer));
  if (depth > MAX_DEPTH) throw new ExpansionError(`expander: max depth exceeded (${MAX_DEPTH})`, { depth });
  const rank = new Map(order.map((c, i) => [c.component, i]));

  // 4. Each destination, once everything feeding it is final. Holders of a source are read once
  // and kept while later destinations may read them again.
  const holdersCache = new Map<string, G[]>();
  const holdersOf = (source: string): G[] => {
    let holders = holdersCache.get(source);
    if (!holders) holdersCache.set(source, (holders = [...store.grantsOn(source)]));
    return holders;
  };
  for (const { component } of order) {
    const feeding = [...incoming[component]!].sort(([a], [b]) => rank.get(a)! - rank.get(b)!);
    if (feeding.length === 0) continue;
    for (const destination of components[component]!) {
      if (ownerOf(destination) === undefined) {
        result.droppedEdges += feeding.length;
        missing.add(destination);
        continue;
      }
      const contributions = new Map<string, { holder: G; sources: Map<string, boolean> }>();
      for (const [from, spec] of feeding) {
        for (const source of components[from]!) {
          if (ownerOf(source) === undefined) continue;
          for (const holder of holdersOf(source)) {
            if (spec.types && !spec.types.has(holder.principalType)) continue;
            const direct = holder.sources.size === 0 || holder.sources.has(source);
            if (spec.shallow && !direct) continue;
            const key = `${holder.principalType}\u0000${holder.principalId}`;
            let contribution = contributions.get(key);
            if (!contribution) contributions.set(key, (contribution = { holder, sources: new Map() }));
            contribution.sources.set(source, (contribution.sources.get(source) ?? false) || direct);
          }
        }
      }
      if (contributions.size === 0) continue;
      const existing = new Map<string, G[]>();
      for (const grant of store.grantsOn(destination)) {
        const key = `${grant.principalType}\u0000${grant.principalId}`;
        if (contributions.has(key)) existing.set(key, [...(existing.get(key) ?? []), grant]);
      }
      for (const [key, { holder, sources }] of contributions) {
        const held = existing.get(key);
        if (!held) {
          store.putDerived({
            id: `${destination}:${holder.principalType}:${holder.principalId}`,
            entitlementId: destination,
            principalType: holder.principalType,
            principalId: holder.principalId,
            principal: holder.principal,
            sources: new Map([...sources].sort(([a], [b]) => compare(a, b))),
          });
          result.derived++;
          continue;
        }
        for (const grant of held) {
          const merged = new Map(grant.sources);
          if (merged.size === 0) merged.set(destination, true);
          for (const [source, direct] of sources) merged.set(source, (merged.get(source) ?? false) || direct);
          if (sameSources(merged, grant.sources)) continue;
          store.setSources(grant, new Map([...merged].sort(([a], [b]) => compare(a, b))));
          result.updated++;
        }
      }
    }
    // A source's holders are final once read; those no later component reads can go.
    for (const [from] of feeding) {
      const stillRead = [...outgoing[from]!].some((to) => rank.get(to)! > rank.get(component)!);
      if (!stillRead) for (const source of components[from]!) holdersCache.delete(source);
    }
  }
  return report(result, missing, warn);
}

function report(result: ExpansionResult, missing: Set<string>, warn: (w: ExpansionWarning) => void): ExpansionResult {
  if (result.droppedEdges > 0) {
    warn({
      message: "grant expansion: dropped edges referencing entitlements that are not in the sync",
      fields: { droppedEdges: result.droppedEdges, examples: [...missing].slice(0, 25) },
    });
  }
  return result;
}

function sameSources(a: ReadonlyMap<string, boolean>, b: ReadonlyMap<string, boolean>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * stronglyConnected returns the strongly connected components of a graph (Tarjan's algorithm,
 * without recursion: chains of nested groups can be long), each sorted.
 */
function stronglyConnected(ids: readonly string[], next: (id: string) => Iterable<string>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of ids) {
    if (index.has(start)) continue;
    const work: { id: string; children: Iterator<string> }[] = [];
    const visit = (id: string) => {
      index.set(id, counter);
      low.set(id, counter++);
      stack.push(id);
      onStack.add(id);
      work.push({ id, children: next(id)[Symbol.iterator]() });
    };
    visit(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const child = frame.children.next();
      if (!child.done) {
        if (!index.has(child.value)) visit(child.value);
        else if (onStack.has(child.value)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(child.value)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const members: string[] = [];
        let id: string;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          members.push(id);
        } while (id !== frame.id);
        components.push(members.sort(compare));
      }
    }
  }
  return components;
}

/**
 * topologicalOrder orders the components so that every edge goes forward, by layer (the longest
 * chain of edges reaching a component) and within a layer by their first entitlement id.
 */
function topologicalOrder(components: string[][], incoming: Map<number, EdgeSpec>[], outgoing: Set<number>[]): { component: number; layer: number }[] {
  const waiting = components.map((_, i) => incoming[i]!.size);
  const layer = components.map(() => 0);
  let ready = components.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: { component: number; layer: number }[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => layer[a]! - layer[b]! || compare(components[a]![0]!, components[b]![0]!));
    const next: number[] = [];
    for (const c of ready) {
      order.push({ component: c, layer: layer[c]! });
      for (const to of outgoing[c]!) {
        layer[to] = Math.max(layer[to]!, layer[c]! + 1);
        if (--waiting[to]! === 0) next.push(to);
      }
    }
    ready = next;
  }
  return order;
}
