/**
 * PageResult is one page taken from a SortedCollection.
 */
export interface PageResult<R> {
  rows: R[];
  /** Key of the last row when more matching rows follow; undefined on the last page. */
  nextKey: string | undefined;
}

/**
 * SortedView is the read-only side of a SortedCollection: a ReadonlyMap by id that can also
 * list its items in list order.
 */
export interface SortedView<T> extends ReadonlyMap<string, T> {
  /** sorted returns every item in list order. */
  sorted(): readonly T[];
  /**
   * page returns up to `size` rows after `afterKey`, in list order. `select` maps an item to
   * its row or filters it out by returning undefined.
   */
  page<R>(afterKey: string | undefined, size: number, select: (item: T) => R | undefined): PageResult<R>;
}

/**
 * SortedCollection is a map of items by id plus a lazily rebuilt array sorted by a list key.
 * The array is rebuilt only after an insert, delete or explicit invalidate, so serving many
 * pages of a large, unchanged list never sorts again.
 */
export interface SortedCollection<T> extends SortedView<T> {
  set(id: string, item: T): void;
  delete(id: string): boolean;
  /** invalidate drops the sorted array; call it when an item's list key changed. */
  invalidate(): void;
}

/**
 * createSortedCollection returns an empty SortedCollection ordered by `keyOf` (ascending,
 * code-unit order). Keys must be unique within the collection.
 */
export function createSortedCollection<T>(keyOf: (item: T) => string): SortedCollection<T> {
  const map = new Map<string, T>();
  let items: T[] | undefined;
  let keys: string[] = [];

  const ensureSorted = (): T[] => {
    if (items === undefined) {
      const entries = Array.from(map.values(), (item) => ({ key: keyOf(item), item }));
      entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      items = entries.map((e) => e.item);
      keys = entries.map((e) => e.key);
    }
    return items;
  };

  // firstAfter is the index of the first key strictly greater than `key` (binary search).
  const firstAfter = (key: string): number => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as string) <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  function page<R>(
    afterKey: string | undefined,
    size: number,
    select: (item: T) => R | undefined,
  ): PageResult<R> {
    const all = ensureSorted();
    const rows: R[] = [];
    let index = afterKey === undefined ? 0 : firstAfter(afterKey);
    let lastKey: string | undefined;
    for (; index < all.length && rows.length < size; index++) {
      const row = select(all[index] as T);
      if (row !== undefined) {
        rows.push(row);
        lastKey = keys[index];
      }
    }
    // Look ahead for one more match so that the last page carries no token (docs/temporal-cloud-api.md, "Pagination").
    for (; index < all.length; index++) {
      if (select(all[index] as T) !== undefined) return { rows, nextKey: lastKey };
    }
    return { rows, nextKey: undefined };
  }

  return {
    get size() {
      return map.size;
    },
    get: (id) => map.get(id),
    has: (id) => map.has(id),
    keys: () => map.keys(),
    values: () => map.values(),
    entries: () => map.entries(),
    forEach: (callback, thisArg) => map.forEach((value, key) => callback.call(thisArg, value, key, map)),
    [Symbol.iterator]: () => map[Symbol.iterator](),
    set(id, item) {
      map.set(id, item);
      items = undefined;
    },
    delete(id) {
      const deleted = map.delete(id);
      if (deleted) items = undefined;
      return deleted;
    },
    invalidate() {
      items = undefined;
    },
    sorted: ensureSorted,
    page,
  };
}
