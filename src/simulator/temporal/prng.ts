/**
 * Prng is a small deterministic pseudo-random generator (mulberry32). The simulator uses it
 * wherever randomness must be reproducible from a seed: generated accounts, ids, fault
 * injection and latency jitter.
 */
export interface Prng {
  /** next returns a float in [0, 1). */
  next(): number;
  /** int returns an integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** between returns an integer in [min, max], both inclusive. */
  between(min: number, max: number): number;
  /** chance returns true with probability p. */
  chance(p: number): boolean;
  /** pick returns a random element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** hex returns `length` lower-case hexadecimal characters. */
  hex(length: number): string;
  /** uuid returns a random version-4 UUID string. */
  uuid(): string;
}

/**
 * createPrng returns a Prng seeded with `seed`; the same seed always yields the same sequence.
 */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (length: number): string => {
    let out = "";
    while (out.length < length) {
      out += Math.floor(next() * 4294967296)
        .toString(16)
        .padStart(8, "0");
    }
    return out.slice(0, length);
  };
  return {
    next,
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("prng: pick from an empty array");
      return item;
    },
    hex,
    uuid: () => {
      const h = hex(32);
      const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
}
